//! The published Looker specs the tests need, found locally or fetched once.
//!
//! Tests need the pinned spec (`spec/pin.toml`) and older published ones (`spec/test-specs.toml`:
//! 26.10 and 25.20). Like the pinned spec, none is committed. [`read`] finds a spec by its file
//! name, in this order:
//! 1. **`LOOKER_SPEC_DIR`.** When this variable is set, only that directory is used (CI points it
//!    at `../shared/spec`): a missing file there is an error, never a download.
//! 2. **`../shared/spec`** beside the checkout, when it holds the file.
//! 3. **The installed `spec/Looker.4.0.oas.json`** (the pinned spec only).
//! 4. **The cache, `target/looker-spec/<sha256>.oas.json`.** `fetch-spec` archives into the same
//!    directory.
//! 5. **A download** from the entry's `url`, once. It goes through `fetch-spec`'s code: the body
//!    is read whole, checked against `sha256`, then written to a temporary file and renamed into
//!    the cache.
//!
//! Every file found is checked against its pinned sha256. Offline, with no copy, the error says
//! how to provide one.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use codegen::sha256_hex;
use serde::Deserialize;

use crate::fetch::{self, Pin, SPEC_DIR_ENV, SPEC_FILE_NAME};

/// The pinned spec (4.0.26.12): `spec/pin.toml`.
pub const CURRENT: &str = SPEC_FILE_NAME;
/// The 4.0.26.10 spec, pinned in `spec/test-specs.toml`.
pub const V26_10: &str = "Looker.4.0.26.10.oas.json";
/// The 4.0.25.20 spec, pinned in `spec/test-specs.toml`.
pub const V25_20: &str = "Looker.4.0.25.20.oas.json";

/// One spec of `spec/test-specs.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TestSpec {
    /// The file name in `LOOKER_SPEC_DIR` and `../shared/spec`.
    pub file: String,
    /// Version, release, URL and sha256, as in `spec/pin.toml`.
    #[serde(flatten)]
    pub pin: Pin,
}

#[derive(Deserialize)]
struct TestSpecsFile {
    spec: Vec<TestSpec>,
}

/// Where [`read`] looks before the cache and the download.
#[derive(Debug, Clone, Default)]
pub struct LocalCopies {
    /// `LOOKER_SPEC_DIR`: when set, the only place looked at.
    pub spec_dir: Option<PathBuf>,
    /// `../shared/spec`, when it exists.
    pub shared_dir: Option<PathBuf>,
}

impl LocalCopies {
    /// From the environment, for the workspace at `root`.
    pub fn from_env(root: &Path) -> LocalCopies {
        let shared = root.join("..").join("shared").join("spec");
        LocalCopies {
            spec_dir: std::env::var_os(SPEC_DIR_ENV)
                .filter(|d| !d.is_empty())
                .map(PathBuf::from),
            shared_dir: shared.is_dir().then_some(shared),
        }
    }
}

/// The text of the spec `file_name` (e.g. [`V26_10`]) for the checkout being tested.
pub fn read(file_name: &str) -> Result<String, String> {
    let path = path(file_name)?;
    fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The path of the spec `file_name`, fetching it into the cache when needed (see the module docs).
pub fn path(file_name: &str) -> Result<PathBuf, String> {
    let root = crate::paths::root()?;
    find_or_fetch(&root, file_name, &LocalCopies::from_env(&root))
}

/// Every spec the tests need: the pin first, then `spec/test-specs.toml`, as `(file, pin)`.
pub fn pinned(root: &Path) -> Result<Vec<TestSpec>, String> {
    let main = TestSpec {
        file: CURRENT.to_string(),
        pin: Pin::load(&root.join("spec").join("pin.toml"))?,
    };
    let list = root.join("spec").join("test-specs.toml");
    let text = fs::read_to_string(&list)
        .map_err(|e| format!("cannot read the test-spec pins {}: {e}", list.display()))?;
    let others: TestSpecsFile =
        toml::from_str(&text).map_err(|e| format!("invalid {}: {e}", list.display()))?;
    Ok(std::iter::once(main).chain(others.spec).collect())
}

/// [`path`] for the workspace at `root`, with explicit local copies.
pub fn find_or_fetch(root: &Path, file_name: &str, local: &LocalCopies) -> Result<PathBuf, String> {
    // One download per spec even when parallel tests ask at once (the temporary file names are
    // per process).
    static FETCHING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = FETCHING.lock().unwrap_or_else(|e| e.into_inner());

    let specs = pinned(root)?;
    let spec = specs.iter().find(|s| s.file == file_name).ok_or_else(|| {
        format!(
            "{file_name} is not a pinned spec (spec/pin.toml, spec/test-specs.toml pin: {})",
            specs
                .iter()
                .map(|s| s.file.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let sha256 = &spec.pin.sha256;
    let matches = |path: &Path| fs::read(path).is_ok_and(|b| sha256_hex(&b) == *sha256);
    let wrong_copy = |path: &Path| {
        format!(
            "{} is not the pinned {} (its sha256 is not {sha256}); {}",
            path.display(),
            spec.pin.version,
            how_to(spec)
        )
    };

    if let Some(dir) = &local.spec_dir {
        let path = dir.join(&spec.file);
        if !path.is_file() {
            return Err(format!(
                "{SPEC_DIR_ENV}={} does not contain {}; {}",
                dir.display(),
                spec.file,
                how_to(spec)
            ));
        }
        return if matches(&path) {
            Ok(path)
        } else {
            Err(wrong_copy(&path))
        };
    }
    if let Some(path) = local.shared_dir.as_ref().map(|d| d.join(&spec.file)) {
        if path.is_file() {
            return if matches(&path) {
                Ok(path)
            } else {
                Err(wrong_copy(&path))
            };
        }
    }
    let installed = root.join("spec").join(SPEC_FILE_NAME);
    if spec.file == CURRENT && matches(&installed) {
        return Ok(installed);
    }
    if let Some(cached) = fetch::archived_spec(root, sha256).filter(|p| matches(p)) {
        return Ok(cached);
    }

    eprintln!(
        "note: {} ({}) not found locally; downloading {} once into {}",
        spec.file,
        spec.pin.version,
        spec.pin.url,
        fetch::archive_dir(root).display()
    );
    let bytes = fetch::download(&spec.pin.url).map_err(|e| format!("{e}; {}", how_to(spec)))?;
    let got = sha256_hex(&bytes);
    if got != *sha256 {
        return Err(format!(
            "checksum mismatch for {}: sha256 {got}, but the pin for {} is {sha256}; nothing was \
             cached; {}",
            spec.pin.url,
            spec.file,
            how_to(spec)
        ));
    }
    fetch::store_archived(root, &bytes)
}

/// `cargo xtask fetch-spec --test-specs`: finds or fetches every pinned spec, e.g. to prepare a
/// machine that will run the tests offline.
pub fn fetch_all() -> crate::CmdResult {
    let root = crate::paths::root()?;
    let local = LocalCopies::from_env(&root);
    for spec in pinned(&root)? {
        let path = find_or_fetch(&root, &spec.file, &local)?;
        println!("{} ({}): {}", spec.file, spec.pin.version, path.display());
    }
    Ok(std::process::ExitCode::SUCCESS)
}

fn how_to(spec: &TestSpec) -> String {
    format!(
        "to provide {} ({}, sha256 {}): run the tests once with internet access (it is then cached \
         under target/looker-spec/), or set {SPEC_DIR_ENV} to a directory holding a copy \
         (published at {})",
        spec.file, spec.pin.version, spec.pin.sha256, spec.pin.url
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, Write};
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    const CURRENT_TEXT: &str = r#"{"info":{"version":"4.0.26.12"}}"#;
    const OLD_TEXT: &str = r#"{"info":{"version":"4.0.26.10"}}"#;

    /// Serves `body` as 200 to every GET on 127.0.0.1 and counts the requests.
    fn serve(body: &'static str) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                    if line == "\r\n" {
                        break;
                    }
                    line.clear();
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(body.as_bytes());
            }
        });
        (format!("http://{addr}/spec/Looker.4.0.oas.json"), hits)
    }

    /// A closed port: every download fails as it would offline.
    fn offline_url() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        format!("http://{addr}/spec.json")
    }

    /// A workspace whose pins point at `current_url` and `old_url`, pinning `old_sha`.
    fn workspace(current_url: &str, old_url: &str, old_sha: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("spec")).unwrap();
        fs::write(
            dir.path().join("spec/pin.toml"),
            format!(
                "version = \"4.0.26.12\"\nrelease = \"26.12.3\"\nurl = \"{current_url}\"\nsha256 = \"{}\"\n",
                sha256_hex(CURRENT_TEXT.as_bytes())
            ),
        )
        .unwrap();
        fs::write(
            dir.path().join("spec/test-specs.toml"),
            format!(
                "# comment\n[[spec]]\nfile = \"{V26_10}\"\nversion = \"4.0.26.10\"\nrelease = \"26.10.4\"\n\
                 url = \"{old_url}\"\nsha256 = \"{old_sha}\"\n"
            ),
        )
        .unwrap();
        dir
    }

    fn files_under(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn a_missing_spec_is_downloaded_once_verified_and_cached_by_sha256() {
        let (url, hits) = serve(OLD_TEXT);
        let old_sha = sha256_hex(OLD_TEXT.as_bytes());
        let ws = workspace(&offline_url(), &url, &old_sha);
        let none = LocalCopies::default();
        let path = find_or_fetch(ws.path(), V26_10, &none).unwrap();
        assert_eq!(
            path,
            fetch::archive_dir(ws.path()).join(format!("{old_sha}.oas.json"))
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), OLD_TEXT);
        assert_eq!(
            files_under(&fetch::archive_dir(ws.path())),
            [format!("{old_sha}.oas.json")],
            "no temporary file is left"
        );
        // Asked again: the cache answers, no second download.
        assert_eq!(find_or_fetch(ws.path(), V26_10, &none).unwrap(), path);
        assert_eq!(hits.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_download_with_the_wrong_checksum_is_not_cached() {
        let (url, _) = serve(OLD_TEXT);
        let ws = workspace(&offline_url(), &url, &"0".repeat(64));
        let err = find_or_fetch(ws.path(), V26_10, &LocalCopies::default()).unwrap_err();
        assert!(err.contains("checksum mismatch"), "{err}");
        assert!(err.contains("LOOKER_SPEC_DIR"), "{err}");
        assert!(files_under(&fetch::archive_dir(ws.path())).is_empty());
    }

    #[test]
    fn offline_without_copies_the_error_says_what_to_do() {
        let ws = workspace(
            &offline_url(),
            &offline_url(),
            &sha256_hex(OLD_TEXT.as_bytes()),
        );
        for file in [CURRENT, V26_10] {
            let err = find_or_fetch(ws.path(), file, &LocalCopies::default()).unwrap_err();
            assert!(err.contains("download of"), "{err}");
            assert!(err.contains(&format!("to provide {file}")), "{err}");
            assert!(err.contains("set LOOKER_SPEC_DIR"), "{err}");
        }
        let err = find_or_fetch(
            ws.path(),
            "Looker.4.0.1.0.oas.json",
            &LocalCopies::default(),
        )
        .unwrap_err();
        assert!(err.contains("not a pinned spec"), "{err}");
    }

    #[test]
    fn local_copies_come_first_and_are_verified() {
        let (url, hits) = serve(OLD_TEXT);
        let ws = workspace(&url, &url, &sha256_hex(OLD_TEXT.as_bytes()));
        let copies = tempfile::tempdir().unwrap();
        fs::write(copies.path().join(V26_10), OLD_TEXT).unwrap();
        fs::write(copies.path().join(CURRENT), "not the pinned bytes").unwrap();

        // The shared dir holds 26.10: used as is.
        let shared = LocalCopies {
            spec_dir: None,
            shared_dir: Some(copies.path().to_path_buf()),
        };
        assert_eq!(
            find_or_fetch(ws.path(), V26_10, &shared).unwrap(),
            copies.path().join(V26_10)
        );
        // A copy with the right name and the wrong bytes is an error, not silently replaced.
        let err = find_or_fetch(ws.path(), CURRENT, &shared).unwrap_err();
        assert!(err.contains("is not the pinned 4.0.26.12"), "{err}");

        // LOOKER_SPEC_DIR is the only place looked at when set: a missing file is an error even
        // though the server could provide it.
        let empty = tempfile::tempdir().unwrap();
        let env = LocalCopies {
            spec_dir: Some(empty.path().to_path_buf()),
            shared_dir: Some(copies.path().to_path_buf()),
        };
        let err = find_or_fetch(ws.path(), V26_10, &env).unwrap_err();
        assert!(
            err.contains("does not contain Looker.4.0.26.10.oas.json"),
            "{err}"
        );

        // The installed spec/Looker.4.0.oas.json is used for the pinned spec.
        fs::write(ws.path().join("spec").join(SPEC_FILE_NAME), CURRENT_TEXT).unwrap();
        assert_eq!(
            find_or_fetch(ws.path(), CURRENT, &LocalCopies::default()).unwrap(),
            ws.path().join("spec").join(SPEC_FILE_NAME)
        );
        assert_eq!(hits.load(Ordering::SeqCst), 0, "nothing was downloaded");
    }

    #[test]
    fn the_checked_in_pins_name_the_three_specs_the_tests_use() {
        let root = crate::paths::root().unwrap();
        let files: Vec<String> = pinned(&root).unwrap().into_iter().map(|s| s.file).collect();
        assert_eq!(files, [CURRENT, V26_10, V25_20]);
    }
}
