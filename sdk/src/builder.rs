//! What every generated request builder has in common.

// Compiled when some API area is (a build without any has no builders); rustfmt does not
// format macro bodies, so the nesting costs nothing.
crate::generated::with_operations! {
    /// Implements the per-call options, `send` and `IntoFuture` for a generated request builder
    /// (a tuple struct around a `crate::call::Call<'a>`), decoding the response with `$decode`.
    /// With `null_field`, also the setter for explicit JSON nulls (builders with a JSON body).
    ///
    /// Everything here is `#[inline]`: a builder's methods are compiled in the crates that call
    /// them (and only those), and a response type's decoding only where that operation is sent.
    macro_rules! request_builder {
        ($builder:ident => $output:ty, $decode:expr) => {
            impl<'a> $builder<'a> {
                /// Sets a timeout for this call only (overrides the client's default).
                #[inline]
                pub fn timeout(self, timeout: std::time::Duration) -> Self {
                    Self(self.0.set_timeout(timeout))
                }

                /// Adds an HTTP header to this call only.
                #[inline]
                pub fn header(self, name: &str, value: &str) -> Self {
                    Self(self.0.set_header(name, value))
                }

                /// Sends the request; the same as `.await`ing the builder.
                #[inline]
                pub fn send(self) -> crate::call::Pending<'a, $output> {
                    self.0.send($decode)
                }
            }

            impl<'a> std::future::IntoFuture for $builder<'a> {
                type Output = crate::Result<$output>;
                type IntoFuture = crate::call::Pending<'a, $output>;

                #[inline]
                fn into_future(self) -> Self::IntoFuture {
                    self.0.send($decode)
                }
            }
        };
        ($builder:ident => $output:ty, $decode:expr, null_field) => {
            crate::builder::request_builder!($builder => $output, $decode);

            impl<'a> $builder<'a> {
                /// Sends `name` as an explicit JSON `null` in the body (to clear a field: the body's
                /// `None` fields are left out, which leaves them unchanged).
                #[inline]
                pub fn null_field(self, name: &'static str) -> Self {
                    Self(self.0.null_field(name))
                }
            }
        };
    }
    pub(crate) use request_builder;
}
