//! What every generated request builder has in common.

/// Implements the per-call options, `send` and `IntoFuture` for a generated request builder
/// (a struct with a `call: crate::call::Call<'a, Output>` field).
macro_rules! request_builder {
    ($builder:ident => $output:ty) => {
        impl<'a> $builder<'a> {
            /// Sets a timeout for this call only (overrides the client's default).
            pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
                self.call.set_timeout(timeout);
                self
            }

            /// Adds an HTTP header to this call only.
            pub fn header(mut self, name: &str, value: &str) -> Self {
                self.call.set_header(name, value);
                self
            }

            /// Sends the request; the same as `.await`ing the builder.
            pub fn send(self) -> crate::call::Pending<'a, $output> {
                self.call.send()
            }
        }

        impl<'a> std::future::IntoFuture for $builder<'a> {
            type Output = crate::Result<$output>;
            type IntoFuture = crate::call::Pending<'a, $output>;

            fn into_future(self) -> Self::IntoFuture {
                self.call.send()
            }
        }
    };
}
pub(crate) use request_builder;
