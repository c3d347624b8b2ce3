//! One LookML dev-mode run per API user and project across `looker` processes.
//!
//! The user's git working copy on Looker is shared by all of that user's sessions, so two
//! runs with one API user on one project switch each other's branches (Spectacles #556, #562,
//! #778). The SDK refuses a second guard inside one process
//! ([`DevModeError::Busy`](looker_sdk::workflows::lookml::DevModeError::Busy)); this module
//! refuses it across processes: an exclusive OS file lock (`flock`) on
//! `looker/locks/project-<hash>.lock` in the config directory (beside `sessions.json`), keyed
//! by instance, client id, sudo user and project. The kernel releases the lock when its
//! holder exits, however it exits (a `kill -9` included), so no run leaves a stale lock
//! behind. The file holds the holder's process id, for the message of a refused run; it is
//! never deleted (deleting a lock file while another process opens it would let two
//! processes hold "the" lock at once).
//!
//! It serialises the processes of one machine and one config directory. Runs on two
//! machines with one API user are not seen: use one API user per pipeline.

use std::fs::File;
use std::path::{Path, PathBuf};

use looker_sdk::LookerSdk;

use crate::error::{exit, CliError};

/// A held lock: released when dropped (or when the process ends).
#[derive(Debug)]
pub struct ProjectLock {
    /// Kept open: closing the file releases the lock.
    _file: File,
    path: PathBuf,
}

impl ProjectLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Takes the lock for `sdk`'s API user (its client id, or the sudo user `sudo_user`) on
/// `project`, without waiting. `Ok(None)` when there is nothing to key it by (no client id,
/// e.g. `--token`), no config directory, or a platform without `flock`: the SDK's
/// in-process refusal still applies. A lock held by another process is an error (exit 1)
/// naming that process.
pub fn acquire(
    sdk: &LookerSdk,
    sudo_user: Option<&str>,
    project: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<ProjectLock>, CliError> {
    let settings = sdk.settings();
    let Some(client_id) = settings.client_id() else {
        return Ok(None);
    };
    let Some(dir) = crate::session_cache::session_file(env)
        .as_deref()
        .and_then(Path::parent)
        .map(|d| d.join("locks"))
    else {
        return Ok(None);
    };
    let key = lock_key(settings.base_url(), client_id, sudo_user, project);
    let path = dir.join(format!("project-{:016x}.lock", fnv1a(key.as_bytes())));
    lock_file(&dir, path, project)
}

/// What the lock is keyed by, one field a line (none of them holds a line break that
/// matters: a base URL, an id and a project name).
fn lock_key(base_url: &str, client_id: &str, sudo_user: Option<&str>, project: &str) -> String {
    format!(
        "{}\n{client_id}\n{}\n{project}",
        base_url.trim_end_matches('/'),
        sudo_user.unwrap_or("")
    )
}

/// FNV-1a, 64 bits: a file name that is the same for every build of `looker` (the std
/// hasher's output may change between Rust releases, and two versions must agree).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(unix)]
fn lock_file(dir: &Path, path: PathBuf, project: &str) -> Result<Option<ProjectLock>, CliError> {
    use std::io::{Read as _, Seek as _, Write as _};

    use rustix::fs::{flock, FlockOperation};

    let io_error = |what: &str, e: std::io::Error| {
        CliError::Io(format!(
            "cannot {what} the project lock {}: {e}",
            path.display()
        ))
    };
    create_private_dir(dir).map_err(|e| io_error("create the directory of", e))?;
    // Not truncated on open: a refused process reads the holder's pid from it.
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| io_error("open", e))?;
    match flock(&file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {}
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => {
            let mut holder = String::new();
            // The holder may not have written its pid yet: then it is unknown.
            let _ = file.read_to_string(&mut holder);
            let holder_pid = holder
                .lines()
                .next()
                .and_then(|l| l.trim().parse::<u32>().ok());
            if holder_pid == Some(std::process::id()) {
                // `looker mcp` runs tools concurrently: the holder is this very process.
                return Err(CliError::Exit(
                    exit::API,
                    format!(
                        "this process is already running a LookML check on project {project} \
                         for this API user (one at a time: one user's git working copy cannot \
                         serve two); try again when it has finished"
                    ),
                ));
            }
            let pid = holder_pid.map_or_else(|| "pid unknown".to_owned(), |p| format!("pid {p}"));
            return Err(CliError::Exit(
                exit::API,
                format!(
                    "another looker process ({pid}) is using project {project} for this API \
                     user; one user's git working copy cannot serve two runs: wait for it to \
                     end, or use one API user per pipeline (lock file {})",
                    path.display()
                ),
            ));
        }
        Err(e) => return Err(io_error("lock", e.into())),
    }
    let write_pid = |file: &mut File| -> std::io::Result<()> {
        file.set_len(0)?;
        file.rewind()?;
        writeln!(file, "{}", std::process::id())
    };
    // The pid only improves the message of a refused run: the lock holds without it.
    if let Err(e) = write_pid(&mut file) {
        tracing::debug!(error = %e, "could not write the pid into the project lock");
    }
    Ok(Some(ProjectLock { _file: file, path }))
}

#[cfg(not(unix))]
fn lock_file(_dir: &Path, _path: PathBuf, _project: &str) -> Result<Option<ProjectLock>, CliError> {
    Ok(None)
}

/// Creates `dir` (mode 0700 for the directories it creates, like the token store's).
#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_separates_instance_user_sudo_user_and_project() {
        let base = lock_key("https://x.looker.com/", "id", None, "shop");
        assert_eq!(base, "https://x.looker.com\nid\n\nshop");
        let others = [
            lock_key("https://y.looker.com", "id", None, "shop"),
            lock_key("https://x.looker.com", "id2", None, "shop"),
            lock_key("https://x.looker.com", "id", Some("7"), "shop"),
            lock_key("https://x.looker.com", "id", None, "shop2"),
        ];
        for other in &others {
            assert_ne!(fnv1a(base.as_bytes()), fnv1a(other.as_bytes()), "{other}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_second_lock_in_the_same_process_says_so_and_the_first_drop_frees_it() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().to_string_lossy().into_owned();
        let env = move |name: &str| (name == "XDG_CONFIG_HOME").then(|| config.clone());
        let sdk = LookerSdk::builder()
            .base_url("https://x.looker.com")
            .client_id("id")
            .client_secret("secret")
            .build()
            .unwrap();
        let first = acquire(&sdk, None, "shop", &env).unwrap().expect("a lock");
        let second = acquire(&sdk, None, "shop", &env).unwrap_err().to_string();
        assert!(
            second.contains("this process is already running a LookML check on project shop"),
            "{second}"
        );
        assert!(acquire(&sdk, None, "other", &env).unwrap().is_some());
        drop(first);
        assert!(acquire(&sdk, None, "shop", &env).unwrap().is_some());
    }

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        // From the FNV reference test suite.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
