//! The process's standard streams as the CLI sees them, replaceable for tests and embedding.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncWrite};

/// Standard input, output and error of one run, and whether each is a terminal.
pub struct Io {
    /// Where results go.
    pub stdout: Box<dyn AsyncWrite + Send + Unpin>,
    /// Whether stdout is a terminal (JSON is then pretty-printed and binary refused).
    pub stdout_is_terminal: bool,
    /// Where errors, `-v` and progress go.
    pub stderr: Stderr,
    /// Whether stderr is a terminal (progress bars only then).
    pub stderr_is_terminal: bool,
    /// Where `--body -` is read from.
    pub stdin: Box<dyn AsyncRead + Send + Unpin>,
    /// Ctrl-C handling, for the process's own run only (`None`: the host keeps the signal).
    pub interrupt: Option<crate::interrupt::Interrupt>,
}

impl Io {
    /// The process's own streams. [`FORCE_TTY_ENV`] makes the CLI treat them as terminals.
    pub fn process() -> Io {
        use std::io::IsTerminal;
        let forced = std::env::var(FORCE_TTY_ENV).unwrap_or_default();
        let (force_stdout, force_stderr) = forced_terminals(&forced);
        Io {
            stdout: Box::new(Blocking(std::io::BufWriter::with_capacity(
                256 * 1024,
                std::io::stdout(),
            ))),
            stdout_is_terminal: force_stdout || std::io::stdout().is_terminal(),
            stderr: Stderr::new(Box::new(std::io::stderr())),
            stderr_is_terminal: force_stderr || std::io::stderr().is_terminal(),
            stdin: Box::new(tokio::io::stdin()),
            interrupt: Some(crate::interrupt::Interrupt::default()),
        }
    }

    /// Streams that record into memory (stdin empty, nothing a terminal): for running the CLI
    /// in-process, as the conformance suite does.
    pub fn captured() -> (Io, Captured) {
        let captured = Captured::default();
        let io = Io {
            stdout: Box::new(CaptureWriter(captured.stdout.clone())),
            stdout_is_terminal: false,
            stderr: Stderr::new(Box::new(SyncCapture(captured.stderr.clone()))),
            stderr_is_terminal: false,
            stdin: Box::new(tokio::io::empty()),
            interrupt: None,
        };
        (io, captured)
    }
}

/// A hidden environment variable for tests and recordings: `stdout`, `stderr`, or `1` (both)
/// makes the process's streams count as terminals (spinners, `wrote FILE`, no binary on
/// stdout), whatever they really are.
pub const FORCE_TTY_ENV: &str = "LOOKER_FORCE_TTY";

/// Which streams [`FORCE_TTY_ENV`]'s value forces: (stdout, stderr).
fn forced_terminals(value: &str) -> (bool, bool) {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "all" => (true, true),
        "stdout" => (true, false),
        "stderr" => (false, true),
        _ => (false, false),
    }
}

/// A writer used with plain blocking writes: a local file (`-o`) or the process's stdout.
///
/// The CLI runs one task at a time, so a short blocking write stalls nothing else; tokio's own
/// file and stdout types hand every chunk to a blocking thread instead, which halved the
/// download speed of `-o` (210 vs 407 MiB/s for 1 GiB). A slow reader of stdout holds the
/// download back, as a pipe should.
pub(crate) struct Blocking<W>(pub(crate) W);

impl<W: Write + Unpin> AsyncWrite for Blocking<W> {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Ready(self.get_mut().0.write(buf))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(self.get_mut().0.flush())
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(self.get_mut().0.flush())
    }
}

/// The output of a run with [`Io::captured`].
#[derive(Debug, Clone, Default)]
pub struct Captured {
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Captured {
    /// Everything written to stdout.
    pub fn stdout(&self) -> Vec<u8> {
        self.stdout.lock().map(|b| b.clone()).unwrap_or_default()
    }

    /// Everything written to stderr, as text.
    pub fn stderr(&self) -> String {
        let bytes = self.stderr.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl AsyncWrite for CaptureWriter {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if let Ok(mut out) = self.0.lock() {
            out.extend_from_slice(buf);
        }
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

struct SyncCapture(Arc<Mutex<Vec<u8>>>);

impl Write for SyncCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut out) = self.0.lock() {
            out.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A shared handle on stderr (the `-v` tracer, progress lines and error lines all write to it).
///
/// It knows whether a progress line ([`Stderr::progress`]) is on screen: any other output
/// clears that line first, so that a message (an error, Ctrl-C's notice) starts on a fresh
/// line and the next redraw puts the progress line back below it.
#[derive(Clone)]
pub struct Stderr(Arc<Mutex<StderrState>>);

struct StderrState {
    writer: Box<dyn Write + Send>,
    /// A progress line (without newline) is on screen.
    progress_shown: bool,
}

/// Clears the line the cursor is on (`\r`, then erase to the end of the line).
const CLEAR_LINE: &[u8] = b"\r\x1b[K";

impl Stderr {
    /// Wraps a writer.
    pub fn new(writer: Box<dyn Write + Send>) -> Self {
        Stderr(Arc::new(Mutex::new(StderrState {
            writer,
            progress_shown: false,
        })))
    }

    /// Writes one line (a newline is appended); write errors are ignored, as there is nowhere
    /// left to report them.
    pub fn line(&self, text: &str) {
        self.write(format!("{text}\n").as_bytes());
    }

    /// Writes raw text, after clearing a progress line if one is shown.
    pub fn write(&self, bytes: &[u8]) {
        if let Ok(mut state) = self.0.lock() {
            if std::mem::take(&mut state.progress_shown) {
                let _ = state.writer.write_all(CLEAR_LINE);
            }
            let _ = state.writer.write_all(bytes);
            let _ = state.writer.flush();
        }
    }

    /// Draws `text` as the progress line (it replaces the one shown; no newline). Only for a
    /// terminal: the caller decides.
    pub fn progress(&self, text: &str) {
        if let Ok(mut state) = self.0.lock() {
            let _ = state.writer.write_all(b"\r");
            let _ = state.writer.write_all(text.as_bytes());
            let _ = state.writer.write_all(b"\x1b[K");
            let _ = state.writer.flush();
            state.progress_shown = true;
        }
    }

    /// Removes the progress line, if one is shown.
    pub fn clear_progress(&self) {
        if let Ok(mut state) = self.0.lock() {
            if std::mem::take(&mut state.progress_shown) {
                let _ = state.writer.write_all(CLEAR_LINE);
                let _ = state.writer.flush();
            }
        }
    }
}
