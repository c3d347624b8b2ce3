//! The loopback listener that receives the browser's redirect from Looker.
//!
//! A tiny HTTP/1.1 responder over tokio sockets: it reads one request head per connection,
//! answers stray requests (`/favicon.ico`, a preconnect that never sends anything) without
//! giving up, and ends at the first request to the redirect path that carries a `code` or an
//! `error`. Connections are served concurrently, so an idle one cannot hold up the real one.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::OAuthError;
use crate::error::Error;
use crate::Result;

/// Longest request head read from the browser.
const MAX_HEAD: usize = 16 * 1024;
/// How long one connection may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// What the redirect brought.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Redirect {
    /// `?code=…&state=…`
    Code { code: String, state: Option<String> },
    /// `?error=…&error_description=…&state=…`
    Error {
        error: String,
        description: Option<String>,
        state: Option<String>,
    },
}

/// Bound sockets for one redirect URI (`localhost` binds both 127.0.0.1 and ::1).
pub(crate) struct Listener {
    sockets: Vec<TcpListener>,
    port: u16,
}

impl Listener {
    /// Binds `host:port` of the redirect URI; port 0 picks a free port (see [`Listener::port`]).
    pub(crate) async fn bind(host: &str, port: u16) -> Result<Listener> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<String> = if bare.eq_ignore_ascii_case("localhost") {
            vec!["127.0.0.1".into(), "::1".into()]
        } else {
            vec![bare.to_owned()]
        };
        let listen_error = |addr: &str, port: u16, source| {
            Error::from(OAuthError::Listen {
                addr: socket_text(addr, port),
                source,
            })
        };
        let first = TcpListener::bind((addrs[0].as_str(), port))
            .await
            .map_err(|e| listen_error(&addrs[0], port, e))?;
        let port = first
            .local_addr()
            .map_err(|e| listen_error(&addrs[0], port, e))?
            .port();
        let mut sockets = vec![first];
        // The second address of `localhost` is optional (a host without IPv6).
        for addr in &addrs[1..] {
            if let Ok(s) = TcpListener::bind((addr.as_str(), port)).await {
                sockets.push(s);
            }
        }
        Ok(Listener { sockets, port })
    }

    /// The port listened on.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// Waits up to `timeout` for the redirect to `path` and answers the browser. Checks `state`
    /// and turns error redirects into [`OAuthError::Redirect`]; returns the code.
    pub(crate) async fn wait(&self, path: &str, state: &str, timeout: Duration) -> Result<String> {
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        type Head = Pin<Box<dyn Future<Output = Option<(TcpStream, String, String)>> + Send>>;
        let mut heads: FuturesUnordered<Head> = FuturesUnordered::new();
        loop {
            tokio::select! {
                accepted = accept_any(&self.sockets) => match accepted {
                    Ok(stream) => heads.push(Box::pin(read_head(stream))),
                    // E.g. out of file descriptors: do not spin, try again shortly.
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                },
                Some(head) = heads.next(), if !heads.is_empty() => {
                    let Some((mut stream, method, target)) = head else { continue };
                    match classify(&method, &target, path) {
                        Classified::Stray(status, message) => {
                            respond(&mut stream, status, "Not the login redirect", message).await;
                        }
                        Classified::Redirect(r) => {
                            let (outcome, status, title, message) = decide(r, state);
                            respond(&mut stream, status, title, &message).await;
                            return outcome;
                        }
                    }
                }
                () = &mut deadline => {
                    return Err(OAuthError::Timeout { after: timeout }.into());
                }
            }
        }
    }
}

/// The code from a redirect URL the user copied from the browser's address bar (when the
/// browser runs on another machine and cannot reach the listener).
pub(crate) fn code_from_pasted(pasted: &str, path: &str, state: &str) -> Result<String> {
    let not_redirect = || {
        Error::auth(
            "the pasted text is not the login redirect URL (it should carry ?code=…&state=…)",
            None,
        )
    };
    let url = reqwest::Url::parse(pasted.trim()).map_err(|_| not_redirect())?;
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    match classify("GET", &target, path) {
        Classified::Redirect(r) => decide(r, state).0,
        Classified::Stray(..) => Err(not_redirect()),
    }
}

fn socket_text(addr: &str, port: u16) -> String {
    if addr.contains(':') {
        format!("[{addr}]:{port}")
    } else {
        format!("{addr}:{port}")
    }
}

async fn accept_any(sockets: &[TcpListener]) -> std::io::Result<TcpStream> {
    let accepts = sockets.iter().map(|s| Box::pin(s.accept()));
    let (result, _, _) = futures_util::future::select_all(accepts).await;
    result.map(|(stream, _)| stream)
}

/// Reads the request head; `None` if the peer sends nothing usable in time.
async fn read_head(mut stream: TcpStream) -> Option<(TcpStream, String, String)> {
    let mut buf = Vec::with_capacity(1024);
    let read = async {
        let mut chunk = [0u8; 2048];
        loop {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                return Some(());
            }
            if buf.len() > MAX_HEAD {
                return None;
            }
        }
    };
    tokio::time::timeout(HEAD_TIMEOUT, read).await.ok()??;
    let head = String::from_utf8_lossy(&buf);
    let mut parts = head.lines().next()?.split(' ');
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    Some((stream, method, target))
}

enum Classified {
    Stray(u16, &'static str),
    Redirect(Redirect),
}

fn same_path(a: &str, b: &str) -> bool {
    let norm = |p: &str| {
        if p.is_empty() {
            "/".to_owned()
        } else {
            p.to_owned()
        }
    };
    norm(a) == norm(b)
}

fn classify(method: &str, target: &str, path: &str) -> Classified {
    let Ok(url) = reqwest::Url::parse(&format!("http://127.0.0.1{target}")) else {
        return Classified::Stray(400, "This is not a valid request.");
    };
    if !target.starts_with('/') || !same_path(url.path(), path) {
        return Classified::Stray(404, "This address only receives the Looker login redirect.");
    }
    if method != "GET" {
        return Classified::Stray(405, "The login redirect is a GET request.");
    }
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = None;
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "code" => code = Some(v.into_owned()),
            "state" => state = Some(v.into_owned()),
            "error" => error = Some(v.into_owned()),
            "error_description" => description = Some(v.into_owned()),
            _ => {}
        }
    }
    match (error, code) {
        (Some(error), _) => Classified::Redirect(Redirect::Error {
            error,
            description,
            state,
        }),
        (None, Some(code)) if !code.is_empty() => {
            Classified::Redirect(Redirect::Code { code, state })
        }
        // Neither a code nor an error: not a redirect from Looker; keep waiting.
        _ => Classified::Stray(400, "This request carries no authorization code."),
    }
}

/// The login's outcome and the page the browser gets for it.
fn decide(r: Redirect, expected_state: &str) -> (Result<String>, u16, &'static str, String) {
    let state = match &r {
        Redirect::Code { state, .. } | Redirect::Error { state, .. } => state.as_deref(),
    };
    if state != Some(expected_state) {
        return (
            Err(OAuthError::StateMismatch.into()),
            400,
            "Login failed",
            "This login link does not belong to the login in progress (the state does not match). Start the login again.".into(),
        );
    }
    match r {
        Redirect::Code { code, .. } => (
            Ok(code),
            200,
            "Logged in",
            "You are logged in to Looker. You can close this tab and return to the application."
                .into(),
        ),
        Redirect::Error {
            error, description, ..
        } => {
            let message = match &description {
                Some(d) => format!(
                    "Looker did not authorize the login: {error} ({d}). You can close this tab."
                ),
                None => {
                    format!("Looker did not authorize the login: {error}. You can close this tab.")
                }
            };
            (
                Err(OAuthError::Redirect { error, description }.into()),
                400,
                "Login failed",
                message,
            )
        }
    }
}

async fn respond(stream: &mut TcpStream, status: u16, title: &str, message: &str) {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Bad Request",
    };
    let body = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><p>{}</p></body></html>\n",
        html_escape(message)
    );
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    let write = async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        stream.flush().await?;
        stream.shutdown().await
    };
    // The browser may already be gone; the outcome does not depend on this page.
    let _ = tokio::time::timeout(Duration::from_secs(5), write).await;
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_requests() {
        assert!(matches!(
            classify("GET", "/favicon.ico", "/callback"),
            Classified::Stray(404, _)
        ));
        assert!(matches!(
            classify("GET", "/callback", "/callback"),
            Classified::Stray(400, _)
        ));
        assert!(matches!(
            classify("POST", "/callback?code=x", "/callback"),
            Classified::Stray(405, _)
        ));
        match classify("GET", "/?code=a%2Bb&state=s", "") {
            Classified::Redirect(r) => assert_eq!(
                r,
                Redirect::Code {
                    code: "a+b".into(),
                    state: Some("s".into())
                }
            ),
            Classified::Stray(..) => panic!("the root path is the redirect path"),
        }
        match classify(
            "GET",
            "/cb?error=access_denied&error_description=no+way",
            "/cb",
        ) {
            Classified::Redirect(Redirect::Error {
                error, description, ..
            }) => {
                assert_eq!(error, "access_denied");
                assert_eq!(description.as_deref(), Some("no way"));
            }
            _ => panic!("an error redirect"),
        }
    }

    #[test]
    fn pages_escape_html() {
        assert_eq!(html_escape("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
    }
}
