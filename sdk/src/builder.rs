//! What every generated request builder has in common.

/// Implements the per-call options, `send` and `IntoFuture` for a generated request builder
/// (a struct with a `call: crate::call::Call<'a, Output>` field), decoding with `$decode`.
///
/// `send` and `into_future` are `#[inline]` so that the decoding of an operation's response type
/// is compiled only in crates that call that operation.
macro_rules! request_builder {
    ($builder:ident => $output:ty, $decode:expr) => {
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
            #[inline]
            pub fn send(self) -> crate::call::Pending<'a, $output> {
                self.call.send($decode)
            }
        }

        impl<'a> std::future::IntoFuture for $builder<'a> {
            type Output = crate::Result<$output>;
            type IntoFuture = crate::call::Pending<'a, $output>;

            #[inline]
            fn into_future(self) -> Self::IntoFuture {
                self.call.send($decode)
            }
        }
    };
}
pub(crate) use request_builder;
