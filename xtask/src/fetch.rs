//! `cargo xtask fetch-spec [--version X.Y | --from PATH|URL] [--pin]`: get a Looker spec, verify
//! it, and install it as `spec/Looker.4.0.oas.json`.
//!
//! * Default source: the pin (`spec/pin.toml`: version, release, url, sha256). If the environment
//!   variable `LOOKER_SPEC_DIR` names a directory whose `Looker.4.0.oas.json` matches the pin,
//!   it is copied from there (CI points it at `../shared/spec`); otherwise the pin's URL is
//!   downloaded.
//! * `--version 26.14`: the upstream file at tag `sdk-codegen-v26.14.0`.
//! * `--from PATH|URL`: a local file or an http(s) URL.
//! * Without `--pin` the file's sha256 must equal the pin's. With `--pin` any valid spec is
//!   accepted and the pin moves to it (version from `info.version`, release from
//!   `info.x-looker-release-version`, the URL, the sha256).
//!
//! Safety: the whole file is read into memory and validated before anything on disk changes; it
//! is then written to a temporary `spec/*.partial` file and atomically renamed into place (the
//! pin likewise). On any failure (network error, HTTP error, a download cut short, checksum
//! mismatch, invalid JSON or OpenAPI) the working tree is left exactly as it was.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use codegen::sha256_hex;
use serde::Deserialize;

use crate::CmdResult;

/// The environment variable naming a directory that may hold the pinned spec.
pub const SPEC_DIR_ENV: &str = "LOOKER_SPEC_DIR";
/// The spec's file name, in `spec/` and in `LOOKER_SPEC_DIR`.
pub const SPEC_FILE_NAME: &str = "Looker.4.0.oas.json";
/// Largest spec accepted (the real one is ~2 MB).
const MAX_BYTES: u64 = 64 * 1024 * 1024;

const USAGE: &str =
    "usage: cargo xtask fetch-spec [--version X.Y | --from PATH|URL] [--pin] | --test-specs";

/// The upstream URL of the spec published for Looker release `X.Y` (or `X.Y.Z`).
pub fn url_for_version(version: &str) -> Result<String, String> {
    let parts: Vec<&str> = version.split('.').collect();
    let numeric = parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let tag = match parts.len() {
        2 if numeric => format!("{version}.0"),
        3 if numeric => version.to_string(),
        _ => {
            return Err(format!(
                "--version expects a Looker release like 26.14, got {version:?}"
            ))
        }
    };
    Ok(format!(
        "https://raw.githubusercontent.com/looker-open-source/sdk-codegen/sdk-codegen-v{tag}/spec/{SPEC_FILE_NAME}"
    ))
}

/// The contents of `spec/pin.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Pin {
    pub version: String,
    pub release: String,
    pub url: String,
    pub sha256: String,
}

impl Pin {
    /// Reads a pin file.
    pub fn load(path: &Path) -> Result<Pin, String> {
        let text = fs::read_to_string(path)
            .map_err(|e| format!("cannot read the pin {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("invalid pin {}: {e}", path.display()))
    }

    /// `text` (the current pin file) with this pin's four values, comments and order kept.
    fn render_over(&self, text: &str) -> String {
        let fields = [
            ("version", &self.version),
            ("release", &self.release),
            ("url", &self.url),
            ("sha256", &self.sha256),
        ];
        let mut seen = [false; 4];
        let mut out = String::new();
        for line in text.lines() {
            let key = line.split('=').next().unwrap_or("").trim();
            match fields.iter().position(|(k, _)| *k == key) {
                Some(i) if line.contains('=') && !line.trim_start().starts_with('#') => {
                    seen[i] = true;
                    out.push_str(&format!("{key} = {}\n", toml_string(fields[i].1)));
                }
                _ => {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        for (i, (key, value)) in fields.iter().enumerate() {
            if !seen[i] {
                out.push_str(&format!("{key} = {}\n", toml_string(value)));
            }
        }
        out
    }
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Where to get the spec from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The pin (or `LOOKER_SPEC_DIR` when it holds the pinned file).
    Pinned,
    /// An http(s) URL.
    Url(String),
    /// A local file.
    File(PathBuf),
}

/// A parsed `fetch-spec` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub source: Source,
    /// Move the pin to the fetched spec instead of verifying against it.
    pub pin: bool,
}

impl Request {
    /// Parses the arguments after `fetch-spec`.
    pub fn parse(args: &[String]) -> Result<Request, String> {
        let mut source = None;
        let mut pin = false;
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
                _ => (arg.as_str(), None),
            };
            let mut value = |name: &str| {
                inline
                    .clone()
                    .or_else(|| it.next().cloned())
                    .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
            };
            let new = match flag {
                "--version" => Source::Url(url_for_version(&value("--version")?)?),
                "--from" => {
                    let v = value("--from")?;
                    if v.starts_with("http://") || v.starts_with("https://") {
                        Source::Url(v)
                    } else {
                        Source::File(PathBuf::from(v))
                    }
                }
                "--pin" => {
                    pin = true;
                    continue;
                }
                "-h" | "--help" => return Err(USAGE.to_string()),
                other => return Err(format!("unexpected argument {other:?}\n{USAGE}")),
            };
            if source.replace(new).is_some() {
                return Err(format!("give at most one of --version and --from\n{USAGE}"));
            }
        }
        Ok(Request {
            source: source.unwrap_or(Source::Pinned),
            pin,
        })
    }
}

/// What a successful fetch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The installed file.
    pub path: PathBuf,
    /// Where it came from (URL or path).
    pub origin: String,
    pub version: String,
    pub sha256: String,
    /// `Some((old, new))` when the pin moved.
    pub pin_moved: Option<(Pin, Pin)>,
    /// False when the installed file was already identical.
    pub changed: bool,
}

/// `cargo xtask fetch-spec …`
pub fn run(args: &[String]) -> CmdResult {
    if args == ["--test-specs"] {
        return crate::test_specs::fetch_all();
    }
    let request = Request::parse(args)?;
    let spec_dir = std::env::var_os(SPEC_DIR_ENV)
        .filter(|d| !d.is_empty())
        .map(PathBuf::from);
    let root = crate::paths::root()?;
    let outcome = fetch_into(&root, &request, spec_dir.as_deref())?;
    let spec_file = spec_path(&root);
    let shown = spec_file
        .strip_prefix(&root)
        .unwrap_or(&spec_file)
        .display()
        .to_string();
    println!(
        "{shown} {} from {} (version {}, sha256 {})",
        if outcome.changed {
            "written"
        } else {
            "unchanged"
        },
        outcome.origin,
        outcome.version,
        outcome.sha256
    );
    if let Some((old, new)) = &outcome.pin_moved {
        if old == new {
            println!("{} already pins this spec", pin_path(&root).display());
        } else {
            let pin = pin_path(&root);
            println!(
                "{} moved: {} ({}) → {} ({})",
                pin.display(),
                old.version,
                old.release,
                new.version,
                new.release
            );
            println!("next: cargo xtask diff-spec OLD_SPEC {shown}; cargo xtask codegen");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Returns the pinned spec file, fetching it (from `LOOKER_SPEC_DIR` or the pin's URL) when it
/// is missing or does not match the pin's sha256. `cargo xtask codegen` calls this.
pub fn ensure_pinned_spec() -> Result<PathBuf, String> {
    let spec_dir = std::env::var_os(SPEC_DIR_ENV)
        .filter(|d| !d.is_empty())
        .map(PathBuf::from);
    ensure_pinned_spec_in(&crate::paths::root()?, spec_dir.as_deref())
}

/// [`ensure_pinned_spec`] for the workspace at `root`.
pub fn ensure_pinned_spec_in(root: &Path, spec_dir: Option<&Path>) -> Result<PathBuf, String> {
    let pin = Pin::load(&pin_path(root))?;
    let path = spec_path(root);
    if let Ok(bytes) = fs::read(&path) {
        if sha256_hex(&bytes) == pin.sha256 {
            return Ok(path);
        }
        eprintln!(
            "{} does not match the pin (sha256 {}); fetching the pinned spec",
            path.display(),
            pin.sha256
        );
    } else {
        eprintln!(
            "{} is missing; fetching the pinned spec {}",
            path.display(),
            pin.version
        );
    }
    let outcome = fetch_into(
        root,
        &Request {
            source: Source::Pinned,
            pin: false,
        },
        spec_dir,
    )?;
    eprintln!("fetched {} from {}", pin.version, outcome.origin);
    Ok(outcome.path)
}

fn spec_path(root: &Path) -> PathBuf {
    root.join("spec").join(SPEC_FILE_NAME)
}

fn pin_path(root: &Path) -> PathBuf {
    root.join("spec").join("pin.toml")
}

/// The whole fetch for the workspace at `root`. `spec_dir` plays the role of `LOOKER_SPEC_DIR`.
pub fn fetch_into(
    root: &Path,
    request: &Request,
    spec_dir: Option<&Path>,
) -> Result<Outcome, String> {
    let pin_file = pin_path(root);
    let pin = Pin::load(&pin_file)?;

    // 1. Get the bytes (nothing on disk changes here).
    let (bytes, origin, url) = match &request.source {
        Source::Pinned => {
            let local = spec_dir
                .map(|d| d.join(SPEC_FILE_NAME))
                .filter(|p| p.is_file());
            match local.map(|p| (fs::read(&p), p)) {
                Some((Ok(bytes), p)) if sha256_hex(&bytes) == pin.sha256 => {
                    (bytes, p.display().to_string(), pin.url.clone())
                }
                Some((_, p)) => {
                    eprintln!(
                        "note: {} does not match the pin; downloading {}",
                        p.display(),
                        pin.url
                    );
                    (download(&pin.url)?, pin.url.clone(), pin.url.clone())
                }
                None => (download(&pin.url)?, pin.url.clone(), pin.url.clone()),
            }
        }
        Source::Url(url) => (download(url)?, url.clone(), url.clone()),
        Source::File(path) => {
            let bytes =
                fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            (bytes, path.display().to_string(), String::new())
        }
    };

    // 2. Verify.
    let sha256 = sha256_hex(&bytes);
    let text =
        std::str::from_utf8(&bytes).map_err(|e| format!("{origin} is not UTF-8 text: {e}"))?;
    let document: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "{origin} is not valid JSON (line {} column {}): {e}; nothing was changed",
            e.line(),
            e.column()
        )
    })?;
    let version = document
        .pointer("/info/version")
        .and_then(|v| v.as_str())
        .ok_or_else(|| {
            format!(
                "{origin} has no info.version; is it a Looker OpenAPI spec? Nothing was changed"
            )
        })?
        .to_string();
    let new_pin = if request.pin {
        codegen::parse::parse(text)
            .map_err(|e| format!("{origin} is not a usable spec: {e}; nothing was changed"))?;
        let release = document
            .pointer("/info/x-looker-release-version")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let url = if url.is_empty() {
            upstream_url_for_release(&release).unwrap_or_default()
        } else {
            url
        };
        if url.is_empty() {
            return Err(format!(
                "{origin}: cannot derive an upstream URL (info.x-looker-release-version is {release:?}); \
                 use --version X.Y or --from URL to pin. Nothing was changed"
            ));
        }
        Some(Pin {
            version: version.clone(),
            release,
            url,
            sha256: sha256.clone(),
        })
    } else {
        if sha256 != pin.sha256 {
            return Err(format!(
                "checksum mismatch for {origin}: sha256 {sha256}, but spec/pin.toml pins {} ({}). \
                 Nothing was changed. To move the pin to this file, add --pin.",
                pin.sha256, pin.version
            ));
        }
        None
    };

    // 3. Install atomically: temp files next to the targets, then renames.
    let target = spec_path(root);
    let previous = fs::read(&target).ok();
    let changed = previous.as_deref() != Some(bytes.as_slice());
    // Keep every spec seen, by sha256, so `cargo xtask codegen` can diff against the one the
    // committed code was generated from (best effort; under the gitignored target/).
    if let Some(previous) = &previous {
        archive(root, previous);
    }
    archive(root, &bytes);
    let pin_changed = new_pin.as_ref().is_some_and(|p| *p != pin);
    if !changed && !pin_changed {
        // Already installed (and pinned): leave the files alone, timestamps included.
        return Ok(Outcome {
            path: target,
            origin,
            version,
            sha256,
            pin_moved: new_pin.map(|p| (pin, p)),
            changed,
        });
    }
    let spec_tmp = TempFile::write(&root.join("spec"), SPEC_FILE_NAME, &bytes)?;
    let pin_tmp = match &new_pin {
        Some(p) => {
            let current = fs::read_to_string(&pin_file)
                .map_err(|e| format!("cannot read {}: {e}", pin_file.display()))?;
            Some(TempFile::write(
                &root.join("spec"),
                "pin.toml",
                p.render_over(&current).as_bytes(),
            )?)
        }
        None => None,
    };
    // Keep the old spec until the pin is in place, so a failed pin rename can be rolled back.
    let backup = if target.exists() && pin_tmp.is_some() {
        let backup = root.join("spec").join(format!(
            ".{SPEC_FILE_NAME}.{}.backup.partial",
            std::process::id()
        ));
        fs::copy(&target, &backup)
            .map_err(|e| format!("cannot back up {}: {e}", target.display()))?;
        Some(TempFile {
            path: backup,
            keep: false,
        })
    } else {
        None
    };
    spec_tmp.persist(&target)?;
    if let Some(pin_tmp) = pin_tmp {
        if let Err(e) = pin_tmp.persist(&pin_file) {
            match &backup {
                Some(b) => {
                    let _ = fs::rename(&b.path, &target);
                }
                None => {
                    let _ = fs::remove_file(&target);
                }
            }
            return Err(e);
        }
    }
    drop(backup);
    Ok(Outcome {
        path: target,
        origin,
        version,
        sha256,
        pin_moved: new_pin.map(|p| (pin, p)),
        changed,
    })
}

/// Where installed specs are kept by sha256: `target/looker-spec/` (gitignored).
pub fn archive_dir(root: &Path) -> PathBuf {
    root.join("target").join("looker-spec")
}

/// The archived copy of the spec with this sha256, if any.
pub fn archived_spec(root: &Path, sha256: &str) -> Option<PathBuf> {
    let path = archive_dir(root).join(format!("{sha256}.oas.json"));
    path.is_file().then_some(path)
}

/// Stores `bytes` as `target/looker-spec/<sha256>.oas.json` unless present. Best effort.
fn archive(root: &Path, bytes: &[u8]) {
    if let Err(e) = store_archived(root, bytes) {
        eprintln!("note: could not keep a copy of the spec: {e}");
    }
}

/// Stores `bytes` as `target/looker-spec/<sha256>.oas.json` (a temporary file renamed into
/// place) unless it is there already; returns its path.
pub fn store_archived(root: &Path, bytes: &[u8]) -> Result<PathBuf, String> {
    let sha = sha256_hex(bytes);
    if let Some(path) = archived_spec(root, &sha) {
        return Ok(path);
    }
    let dir = archive_dir(root);
    let path = dir.join(format!("{sha}.oas.json"));
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    TempFile::write(&dir, &format!("{sha}.oas.json"), bytes)?.persist(&path)?;
    Ok(path)
}

/// `https://…/sdk-codegen-vX.Y.0/spec/Looker.4.0.oas.json` for a release `X.Y[.Z]`.
fn upstream_url_for_release(release: &str) -> Option<String> {
    let mut parts = release.split('.');
    let (major, minor) = (parts.next()?, parts.next()?);
    url_for_version(&format!("{major}.{minor}")).ok()
}

/// Downloads a URL into memory; any HTTP error, a body cut short (fewer bytes than the
/// `Content-Length`), or an oversized body is an error.
pub fn download(url: &str) -> Result<Vec<u8>, String> {
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(15))
        .timeout_read(Duration::from_secs(60))
        .build();
    let response = agent.get(url).call().map_err(|e| match e {
        ureq::Error::Status(code, _) => {
            format!("download of {url} failed: HTTP {code}; nothing was changed")
        }
        ureq::Error::Transport(t) => format!("download of {url} failed: {t}; nothing was changed"),
    })?;
    let expected: Option<u64> = response
        .header("Content-Length")
        .and_then(|v| v.trim().parse().ok());
    if expected.is_some_and(|n| n > MAX_BYTES) {
        return Err(format!(
            "download of {url} refused: {} bytes is more than a spec should be",
            expected.unwrap_or(0)
        ));
    }
    let mut bytes = Vec::new();
    response
        .into_reader()
        .take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            format!(
                "download of {url} was interrupted after {} bytes: {e}; nothing was changed",
                bytes.len()
            )
        })?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!(
            "download of {url} refused: more than {MAX_BYTES} bytes"
        ));
    }
    if let Some(n) = expected {
        if bytes.len() as u64 != n {
            return Err(format!(
                "download of {url} was interrupted: got {} of {n} bytes; nothing was changed",
                bytes.len()
            ));
        }
    }
    Ok(bytes)
}

/// A temporary file that is removed on drop unless persisted.
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl TempFile {
    /// Writes `bytes` to `dir/.{name}.{pid}.partial` and syncs it.
    fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<TempFile, String> {
        let path = dir.join(format!(".{name}.{}.partial", std::process::id()));
        let temp = TempFile { path, keep: false };
        let mut file = fs::File::create(&temp.path)
            .map_err(|e| format!("cannot create {}: {e}", temp.path.display()))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| format!("cannot write {}: {e}", temp.path.display()))?;
        Ok(temp)
    }

    /// Atomically renames the file onto `target`.
    fn persist(mut self, target: &Path) -> Result<(), String> {
        fs::rename(&self.path, target)
            .map_err(|e| format!("cannot replace {}: {e}", target.display()))?;
        self.keep = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::io::BufRead;
    use std::net::TcpListener;

    const OLD_SPEC: &str =
        r#"{"openapi":"3.0.0","info":{"title":"old","version":"4.0.1.0"},"paths":{}}"#;

    fn new_spec(version: &str, release: &str) -> String {
        format!(
            r#"{{"openapi":"3.0.0","info":{{"title":"Looker API 4.0","version":"{version}","x-looker-release-version":"{release}"}},"paths":{{}}}}"#
        )
    }

    /// A workspace root with `spec/pin.toml` pinning `pinned` and an installed `OLD_SPEC`.
    fn workspace(pinned: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("spec/fixtures")).unwrap();
        fs::write(dir.path().join("spec/fixtures/keep.yaml"), "x: 1\n").unwrap();
        let pin = format!(
            "# The upstream spec.\nversion = \"4.0.26.12\"\nrelease = \"26.12.3\"\n\
             url = \"https://example.invalid/Looker.4.0.oas.json\"\nsha256 = \"{}\"\n",
            sha256_hex(pinned.as_bytes())
        );
        fs::write(dir.path().join("spec/pin.toml"), pin).unwrap();
        fs::write(dir.path().join("spec").join(SPEC_FILE_NAME), OLD_SPEC).unwrap();
        dir
    }

    /// Every file under `root` with its bytes.
    fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
            for entry in fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    out.insert(
                        path.strip_prefix(root).unwrap().to_path_buf(),
                        fs::read(&path).unwrap(),
                    );
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(root, root, &mut out);
        out
    }

    fn from_file(root: &Path, name: &str, contents: &str, pin: bool) -> Result<Outcome, String> {
        let source = root.join(name);
        fs::write(&source, contents).unwrap();
        let request = Request {
            source: Source::File(source.clone()),
            pin,
        };
        let result = fetch_into(root, &request, None);
        fs::remove_file(source).unwrap();
        result
    }

    /// Serves one canned HTTP response per connection on 127.0.0.1; returns the base URL.
    fn serve(response: Vec<u8>, connections: usize) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(connections) {
                let Ok(mut stream) = stream else { continue };
                let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                    if line == "\r\n" {
                        break;
                    }
                    line.clear();
                }
                let _ = stream.write_all(&response);
                let _ = stream.flush();
                // Dropping the stream closes the connection, mid-body if the response is short.
            }
        });
        format!("http://{addr}/spec/{SPEC_FILE_NAME}")
    }

    #[test]
    fn wrong_checksum_leaves_the_tree_untouched() {
        let ws = workspace("the pinned bytes");
        let before = tree(ws.path());
        let err = from_file(
            ws.path(),
            "other.json",
            &new_spec("4.0.26.14", "26.14.0"),
            false,
        )
        .unwrap_err();
        assert!(err.contains("checksum mismatch"), "{err}");
        assert!(err.contains("--pin"), "{err}");
        assert_eq!(tree(ws.path()), before);
    }

    #[test]
    fn interrupted_download_leaves_the_tree_untouched() {
        let ws = workspace("the pinned bytes");
        let before = tree(ws.path());
        let body = new_spec("4.0.26.14", "26.14.0");
        let mut response = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            body.len() * 10
        )
        .into_bytes();
        response.extend_from_slice(&body.as_bytes()[..body.len() / 2]);
        let url = serve(response, 1);
        for pin in [false, true] {
            let url = if pin { serve_again(&body) } else { url.clone() };
            let err = fetch_into(
                ws.path(),
                &Request {
                    source: Source::Url(url),
                    pin,
                },
                None,
            )
            .unwrap_err();
            assert!(err.contains("interrupted"), "{err}");
            assert_eq!(tree(ws.path()), before);
        }
    }

    fn serve_again(body: &str) -> String {
        let mut response = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            body.len() + 100
        )
        .into_bytes();
        response.extend_from_slice(body.as_bytes());
        serve(response, 1)
    }

    #[test]
    fn http_error_and_refused_connection_leave_the_tree_untouched() {
        let ws = workspace("the pinned bytes");
        let before = tree(ws.path());
        let url = serve(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found".to_vec(),
            1,
        );
        let err = fetch_into(
            ws.path(),
            &Request {
                source: Source::Url(url),
                pin: true,
            },
            None,
        )
        .unwrap_err();
        assert!(err.contains("HTTP 404"), "{err}");
        let closed = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            let a = l.local_addr().unwrap();
            drop(l);
            format!("http://{a}/x.json")
        };
        let err = fetch_into(
            ws.path(),
            &Request {
                source: Source::Url(closed),
                pin: true,
            },
            None,
        )
        .unwrap_err();
        assert!(err.contains("download of"), "{err}");
        assert_eq!(tree(ws.path()), before);
    }

    #[test]
    fn invalid_json_leaves_the_tree_untouched() {
        let ws = workspace("the pinned bytes");
        let before = tree(ws.path());
        let err = from_file(
            ws.path(),
            "bad.json",
            "{\"openapi\": \"3.0.0\", \"info\": ",
            true,
        )
        .unwrap_err();
        assert!(err.contains("not valid JSON"), "{err}");
        // Valid JSON that is not an OpenAPI document is refused by --pin too.
        let err =
            from_file(ws.path(), "bad.json", r#"{"info":{"version":"1"}}"#, true).unwrap_err();
        assert!(err.contains("not a usable spec"), "{err}");
        assert_eq!(tree(ws.path()), before);
    }

    #[test]
    fn matching_file_is_installed_and_pin_untouched() {
        let good = new_spec("4.0.26.12", "26.12.3");
        let ws = workspace(&good);
        let pin_before = fs::read(ws.path().join("spec/pin.toml")).unwrap();
        let outcome = from_file(ws.path(), "good.json", &good, false).unwrap();
        assert!(outcome.changed);
        assert_eq!(outcome.version, "4.0.26.12");
        assert_eq!(
            fs::read_to_string(ws.path().join("spec").join(SPEC_FILE_NAME)).unwrap(),
            good
        );
        assert_eq!(
            fs::read(ws.path().join("spec/pin.toml")).unwrap(),
            pin_before
        );
        // No temporary files left behind.
        let leftovers: Vec<_> = tree(ws.path())
            .into_keys()
            .filter(|p| p.to_string_lossy().contains("partial"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        // Fetching the same file again changes nothing, not even the timestamp.
        let spec = ws.path().join("spec").join(SPEC_FILE_NAME);
        let mtime = fs::metadata(&spec).unwrap().modified().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        let again = from_file(ws.path(), "good.json", &good, false).unwrap();
        assert!(!again.changed);
        assert_eq!(fs::metadata(&spec).unwrap().modified().unwrap(), mtime);
    }

    #[test]
    fn good_download_is_installed() {
        let good = new_spec("4.0.26.12", "26.12.3");
        let ws = workspace(&good);
        let mut response =
            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", good.len()).into_bytes();
        response.extend_from_slice(good.as_bytes());
        let url = serve(response, 1);
        fetch_into(
            ws.path(),
            &Request {
                source: Source::Url(url),
                pin: false,
            },
            None,
        )
        .unwrap();
        assert_eq!(
            fs::read_to_string(ws.path().join("spec").join(SPEC_FILE_NAME)).unwrap(),
            good
        );
    }

    #[test]
    fn pin_moves_to_a_new_spec() {
        let ws = workspace("the pinned bytes");
        let next = new_spec("4.0.26.14", "26.14.1");
        let outcome = from_file(ws.path(), "next.json", &next, true).unwrap();
        let pin = Pin::load(&ws.path().join("spec/pin.toml")).unwrap();
        assert_eq!(
            pin,
            Pin {
                version: "4.0.26.14".into(),
                release: "26.14.1".into(),
                url: url_for_version("26.14").unwrap(),
                sha256: sha256_hex(next.as_bytes()),
            }
        );
        assert!(fs::read_to_string(ws.path().join("spec/pin.toml"))
            .unwrap()
            .starts_with("# The upstream spec.\n"));
        assert_eq!(outcome.pin_moved.unwrap().1, pin);
        assert_eq!(
            fs::read_to_string(ws.path().join("spec").join(SPEC_FILE_NAME)).unwrap(),
            next
        );
        // Both the replaced and the new spec are kept by sha256 for later diffs.
        let old = archived_spec(ws.path(), &sha256_hex(OLD_SPEC.as_bytes())).unwrap();
        assert_eq!(fs::read_to_string(old).unwrap(), OLD_SPEC);
        assert!(archived_spec(ws.path(), &sha256_hex(next.as_bytes())).is_some());
        // And now the same file verifies without --pin.
        from_file(ws.path(), "next.json", &next, false).unwrap();
    }

    #[test]
    fn ensure_pinned_spec_uses_the_installed_file_or_the_spec_dir() {
        let good = new_spec("4.0.26.12", "26.12.3");
        let ws = workspace(&good);
        let spec = ws.path().join("spec").join(SPEC_FILE_NAME);
        // The installed file (OLD_SPEC) does not match and the pin URL is unreachable: error,
        // and the old file stays.
        let err = ensure_pinned_spec_in(ws.path(), None).unwrap_err();
        assert!(err.contains("download of"), "{err}");
        assert_eq!(fs::read_to_string(&spec).unwrap(), OLD_SPEC);
        // A LOOKER_SPEC_DIR holding the pinned file is used.
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(SPEC_FILE_NAME), &good).unwrap();
        assert_eq!(
            ensure_pinned_spec_in(ws.path(), Some(dir.path())).unwrap(),
            spec
        );
        assert_eq!(fs::read_to_string(&spec).unwrap(), good);
        // Present and valid: returned as is, no source needed.
        assert_eq!(ensure_pinned_spec_in(ws.path(), None).unwrap(), spec);
    }

    #[test]
    fn arguments() {
        let args =
            |a: &[&str]| Request::parse(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            args(&[]).unwrap(),
            Request {
                source: Source::Pinned,
                pin: false
            }
        );
        assert_eq!(
            args(&["--version", "26.14", "--pin"]).unwrap(),
            Request {
                source: Source::Url(
                    "https://raw.githubusercontent.com/looker-open-source/sdk-codegen/sdk-codegen-v26.14.0/spec/Looker.4.0.oas.json"
                        .into()
                ),
                pin: true
            }
        );
        assert_eq!(
            args(&["--from=../x.json"]).unwrap().source,
            Source::File("../x.json".into())
        );
        assert_eq!(
            args(&["--from", "https://h/x.json"]).unwrap().source,
            Source::Url("https://h/x.json".into())
        );
        assert!(args(&["--version", "26"]).is_err());
        assert!(args(&["--version", "26.14", "--from", "x"]).is_err());
        assert!(args(&["--bogus"]).is_err());
        assert!(args(&["--from"]).is_err());
    }
}
