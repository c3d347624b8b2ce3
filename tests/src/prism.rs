//! Runs Stoplight Prism (`@stoplight/prism-cli`, pinned in `tests/package.json`) on the Prism copy
//! of the pinned spec, produced by [`codegen::prism::prism_document`].
//!
//! [`Prism::shared`] hands out one server per [`Mode`] to every test that runs at the same time;
//! the process is killed by PID when the last user drops it (a panicking test unwinds, so its
//! handle is dropped too). If the test process dies without unwinding (SIGKILL, abort), Prism
//! still exits: `prism-watchdog.cjs`, preloaded into it, ends Prism when its stdin pipe closes.

use std::io::{Read as _, Seek as _, SeekFrom};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use codegen::prism::{prism_document, PrismOptions};
use serde_json::Value;

/// How Prism answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mode {
    /// `--dynamic --seed 42`: random schema-valid data (nulls in nullable fields); static otherwise
    /// (examples, else placeholders such as `"string"`).
    pub dynamic: bool,
    /// Serve the copy that requires `Authorization` on every operation except `login`.
    pub require_auth: bool,
}

impl Mode {
    /// Static answers, auth required.
    pub const STATIC: Mode = Mode {
        dynamic: false,
        require_auth: true,
    };
    /// Dynamic answers (seeded), auth required.
    pub const DYNAMIC: Mode = Mode {
        dynamic: true,
        require_auth: true,
    };

    /// `static` or `dynamic`.
    pub fn name(&self) -> &'static str {
        if self.dynamic {
            "dynamic"
        } else {
            "static"
        }
    }
}

/// The seed of `--dynamic` runs, fixed so that failures reproduce.
pub const SEED: &str = "42";

/// The pinned Prism version (must match `tests/package.json`).
pub const PRISM_VERSION: &str = "5.14.2";

const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// A running Prism process.
pub struct Prism {
    child: Mutex<Child>,
    // Prism's stdin: the watchdog preloaded into Prism exits when this pipe closes, which also
    // happens when the test process is killed before `Drop` can run.
    _lifeline: Option<ChildStdin>,
    port: u16,
    mode: Mode,
    log: PathBuf,
    // Holds the spec copy and the log for the lifetime of the process.
    _dir: tempfile::TempDir,
}

impl std::fmt::Debug for Prism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prism")
            .field("port", &self.port)
            .field("mode", &self.mode)
            .finish()
    }
}

impl Prism {
    /// A server in `mode`, shared with every other live user of the same mode.
    pub fn shared(mode: Mode) -> Arc<Prism> {
        static LIVE: Mutex<Vec<(Mode, Weak<Prism>)>> = Mutex::new(Vec::new());
        let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
        live.retain(|(_, weak)| weak.strong_count() > 0);
        if let Some(prism) = live
            .iter()
            .find(|(m, _)| *m == mode)
            .and_then(|(_, w)| w.upgrade())
        {
            return prism;
        }
        let prism = Arc::new(Prism::start(mode).unwrap_or_else(|e| panic!("{e}")));
        live.push((mode, Arc::downgrade(&prism)));
        prism
    }

    /// Starts a new server on a free 127.0.0.1 port and waits until it accepts connections.
    pub fn start(mode: Mode) -> Result<Prism, String> {
        let entry = ensure_prism_installed()?;
        let document = spec_copy(mode.require_auth)?.to_string();
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Prism::spawn(&entry, &document, mode) {
                Ok(prism) => return Ok(prism),
                // Another process may take the port between probing and Prism binding it.
                Err(e) if attempt < 3 && e.contains("EADDRINUSE") => continue,
                Err(e) => return Err(format!("Prism did not start: {e}")),
            }
        }
    }

    fn spawn(entry: &Path, document: &str, mode: Mode) -> Result<Prism, String> {
        let dir = tempfile::Builder::new()
            .prefix("looker-prism-")
            .tempdir()
            .map_err(|e| format!("cannot create a temp dir: {e}"))?;
        let spec_path = dir.path().join("looker.prism.json");
        std::fs::write(&spec_path, document)
            .map_err(|e| format!("cannot write {}: {e}", spec_path.display()))?;
        let port = free_port()?;
        let log = dir.path().join("prism.log");
        let log_file =
            std::fs::File::create(&log).map_err(|e| format!("cannot create the Prism log: {e}"))?;
        let log_err = log_file
            .try_clone()
            .map_err(|e| format!("cannot clone the log handle: {e}"))?;
        let mut command = Command::new("node");
        let watchdog = tests_dir().join("prism-watchdog.cjs");
        command.arg("--require").arg(&watchdog).arg(entry).args([
            "mock",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-v",
            "warn",
        ]);
        if mode.dynamic {
            command.args(["--dynamic", "--seed", SEED]);
        }
        command
            .arg(&spec_path)
            .current_dir(tests_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::from(log_file))
            .stderr(Stdio::from(log_err));
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot run `node` (is Node 20 installed?): {e}"))?;
        let lifeline = child.stdin.take();
        // From here on, Drop kills the process whatever happens.
        let prism = Prism {
            child: Mutex::new(child),
            _lifeline: lifeline,
            port,
            mode,
            log,
            _dir: dir,
        };
        prism.wait_ready()?;
        Ok(prism)
    }

    fn wait_ready(&self) -> Result<(), String> {
        let started = Instant::now();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        loop {
            if let Ok(Some(status)) = self
                .child
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .try_wait()
            {
                return Err(format!("Prism exited with {status}:\n{}", self.log_tail()));
            }
            if answers_like_prism(addr) {
                return Ok(());
            }
            if started.elapsed() > READY_TIMEOUT {
                return Err(format!(
                    "Prism not listening after {READY_TIMEOUT:?}:\n{}",
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `http://127.0.0.1:PORT` (no path: the routes carry `/api/4.0`).
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port Prism listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The mode it was started in.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The process id (for diagnostics).
    pub fn pid(&self) -> u32 {
        self.child.lock().unwrap_or_else(|e| e.into_inner()).id()
    }

    /// Whether the process is still running.
    pub fn is_running(&self) -> bool {
        matches!(
            self.child
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .try_wait(),
            Ok(None)
        )
    }

    /// The last 4 KiB of Prism's output (warnings, errors, crash traces).
    pub fn log_tail(&self) -> String {
        let Ok(mut file) = std::fs::File::open(&self.log) else {
            return String::new();
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let _ = file.seek(SeekFrom::Start(len.saturating_sub(4096)));
        let mut text = String::new();
        let _ = file.read_to_string(&mut text);
        text
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(|e| e.into_inner());
        // `Child::kill` signals exactly this PID (SIGKILL); `wait` reaps it.
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// The `tests/` directory (holds package.json and node_modules).
pub fn tests_dir() -> PathBuf {
    workspace_root().join("tests")
}

/// The workspace root of the checkout under test, found at run time (cargo sets
/// `CARGO_MANIFEST_DIR` when it runs a test; see [`codegen::workspace`]), so a test binary
/// reused from another checkout through a shared target dir still reads this one.
pub fn workspace_root() -> PathBuf {
    codegen::workspace::root().unwrap_or_else(|e| panic!("{e}"))
}

/// The pinned spec, read, normalized and parsed once per test process. Found like every spec
/// the tests use (`xtask::test_specs`: `LOOKER_SPEC_DIR`, the installed copy, the cache, or one
/// checksum-verified download).
pub fn spec() -> &'static codegen::parse::Spec {
    static SPEC: OnceLock<codegen::parse::Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = xtask::test_specs::read(xtask::test_specs::CURRENT)
            .unwrap_or_else(|e| panic!("the pinned spec: {e}"));
        codegen::parse::parse(&text)
            .unwrap_or_else(|e| panic!("the pinned spec does not parse: {e}"))
    })
}

/// The document Prism serves (see [`codegen::prism`]).
pub fn spec_copy(require_auth: bool) -> Result<Value, String> {
    Ok(prism_document(spec(), &PrismOptions { require_auth }))
}

/// Whether `node` and `npm`, which Prism needs, are on the PATH, under the workspace's policy
/// for tests that need a program the machine may lack
/// ([`looker_sdk_testkit::external_program`]): when they are missing, `false` after one line on
/// stderr naming `test`, or (in CI, or with `LOOKER_REQUIRE_ALL_TESTS=1`) a panic with that line.
/// Each Prism test calls it first and returns early on `false`.
pub fn node_available(test: &str) -> bool {
    use looker_sdk_testkit::external_program::{require_all_for, Program};
    let programs = [
        Program::new("node").install_hint("Node 20: apt-get install nodejs npm"),
        // The one hint above covers both.
        Program::new("npm"),
    ];
    require_all_for(test, &programs).is_some()
}

/// Runs `npm ci` in tests/ once when Prism is not installed; returns Prism's entry script.
pub fn ensure_prism_installed() -> Result<PathBuf, String> {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tests_dir();
    let entry = dir.join("node_modules/@stoplight/prism-cli/dist/index.js");
    if !entry.exists() {
        eprintln!(
            "conformance: installing Prism with `npm ci` in {}",
            dir.display()
        );
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run `npm ci` (is Node 20 + npm installed?): {e}"))?;
        if !status.success() || !entry.exists() {
            return Err(format!("`npm ci` in {} failed ({status})", dir.display()));
        }
    }
    let manifest = dir.join("node_modules/@stoplight/prism-cli/package.json");
    let installed = std::fs::read_to_string(&manifest)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v["version"].as_str().map(str::to_string))
        .unwrap_or_default();
    if installed != PRISM_VERSION {
        return Err(format!(
            "tests/node_modules has Prism {installed:?}, the pin is {PRISM_VERSION}: run `npm ci --prefix tests`"
        ));
    }
    Ok(entry)
}

/// Whether the server at `addr` is a Prism mock: an unknown route gets Prism's own
/// problem+json 404 (a plain TCP connect could reach another process that took the port).
fn answers_like_prism(addr: SocketAddr) -> bool {
    use std::io::Write as _;
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request =
        "GET /__conformance_ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.take(64 * 1024).read_to_string(&mut answer);
    answer.contains("stoplight.io/prism")
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("cannot bind 127.0.0.1:0: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}
