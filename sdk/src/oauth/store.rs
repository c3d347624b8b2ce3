//! Where OAuth tokens live between runs: the [`TokenStore`] trait, an in-memory store and a
//! file store (atomic writes, mode 0600 on Unix).

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{OAuthError, OAuthTokens, TokenKey, TokenStore};
use crate::settings::Settings;
use crate::Result;

/// The key of the settings' tokens; here rather than beside [`TokenKey`] (credentials.rs), which
/// sits below the settings.
impl TokenKey {
    /// The key for these settings (`None` without a `client_id`).
    pub fn for_settings(settings: &Settings) -> Option<Self> {
        let id = settings.client_id.as_deref()?;
        Some(TokenKey::new(settings.base_url(), id))
    }
}

/// Tokens kept in memory only, for the life of the store (tests, or apps that log in at every
/// start).
#[derive(Default)]
pub struct MemoryStore {
    tokens: Mutex<HashMap<TokenKey, OAuthTokens>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<TokenKey, OAuthTokens>> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("entries", &self.map().len())
            .finish()
    }
}

impl TokenStore for MemoryStore {
    fn load(&self, key: &TokenKey) -> Result<Option<OAuthTokens>> {
        Ok(self.map().get(key).cloned())
    }
    fn save(&self, key: &TokenKey, tokens: &OAuthTokens) -> Result<()> {
        self.map().insert(key.clone(), tokens.clone());
        Ok(())
    }
    fn delete(&self, key: &TokenKey) -> Result<()> {
        self.map().remove(key);
        Ok(())
    }
}

/// Tokens in one JSON file at a path of the caller's choice, for every server and app used.
///
/// Every change writes a new file next to it (created with mode 0600 on Unix, flushed to disk)
/// and renames it over the old one, so the file is never seen half-written, and a crash
/// leaves the previous version intact. Missing parent directories are created (mode 0700).
/// Two processes saving at the same moment do not corrupt the file; the last one wins.
/// A command-line tool keeps it under the user's config directory (e.g.
/// `$XDG_CONFIG_HOME/looker/tokens.json`).
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
}

#[derive(Serialize, Deserialize, Default)]
struct FileContents {
    version: u32,
    #[serde(default)]
    tokens: Vec<FileEntry>,
}

#[derive(Serialize, Deserialize)]
struct FileEntry {
    base_url: String,
    client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sudo_user: Option<String>,
    access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<u64>,
}

impl FileEntry {
    fn matches(&self, key: &TokenKey) -> bool {
        self.base_url == key.base_url()
            && self.client_id == key.client_id()
            && self.sudo_user.as_deref() == key.sudo_user()
    }
}

const FILE_VERSION: u32 = 1;

impl FileStore {
    /// A store in the file at `path` (created on the first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileStore { path: path.into() }
    }

    /// The token file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, source: io::Error) -> crate::Error {
        OAuthError::Store {
            path: self.path.clone(),
            source,
        }
        .into()
    }

    fn read(&self) -> Result<FileContents> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(FileContents::default()),
            Err(e) => return Err(self.error(e)),
        };
        // serde_json's messages name a line and column, never the content.
        let contents: FileContents = serde_json::from_slice(&bytes).map_err(|e| {
            self.error(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not a token file ({e}); delete it and log in again"),
            ))
        })?;
        if contents.version != FILE_VERSION {
            return Err(self.error(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "token file version {} is not supported (expected {FILE_VERSION})",
                    contents.version
                ),
            )));
        }
        Ok(contents)
    }

    fn write(&self, mut contents: FileContents) -> Result<()> {
        contents.version = FILE_VERSION;
        let bytes = serde_json::to_vec_pretty(&contents)
            .map_err(|e| self.error(io::Error::other(e.to_string())))?;
        write_atomic(&self.path, &bytes).map_err(|e| self.error(e))
    }
}

impl TokenStore for FileStore {
    fn load(&self, key: &TokenKey) -> Result<Option<OAuthTokens>> {
        let contents = self.read()?;
        Ok(contents
            .tokens
            .into_iter()
            .find(|e| e.matches(key))
            .map(|e| {
                OAuthTokens::new(
                    e.access_token,
                    e.refresh_token,
                    e.expires_at.map(|s| UNIX_EPOCH + Duration::from_secs(s)),
                )
            }))
    }

    fn save(&self, key: &TokenKey, tokens: &OAuthTokens) -> Result<()> {
        let mut contents = self.read()?;
        contents.tokens.retain(|e| !e.matches(key));
        contents.tokens.push(FileEntry {
            base_url: key.base_url().to_owned(),
            client_id: key.client_id().to_owned(),
            sudo_user: key.sudo_user().map(str::to_owned),
            access_token: tokens.access_token().expose().to_owned(),
            refresh_token: tokens.refresh_token().map(|t| t.expose().to_owned()),
            expires_at: tokens
                .expires_at()
                .map(|t| t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())),
        });
        self.write(contents)
    }

    fn delete(&self, key: &TokenKey) -> Result<()> {
        let mut contents = self.read()?;
        let before = contents.tokens.len();
        contents.tokens.retain(|e| !e.matches(key));
        if contents.tokens.len() == before {
            return Ok(());
        }
        if contents.tokens.is_empty() {
            return match std::fs::remove_file(&self.path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(self.error(e)),
            };
        }
        self.write(contents)
    }
}

/// Replaces `path` with `bytes` atomically: a new private file beside it, flushed, renamed over.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, bytes, |_| Ok(()))
}

/// [`write_atomic`] with a hook that runs between the temp file's write and the rename (tests
/// use it to fail or inspect at that point).
fn write_atomic_with(
    path: &Path,
    bytes: &[u8],
    before_rename: impl FnOnce(&Path) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    create_private_dir(&dir)?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"))?
        .to_string_lossy()
        .into_owned();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = dir.join(format!(".{name}.{}.{nanos:09}.tmp", std::process::id()));
    let result = (|| {
        let mut file = private_file(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        before_rename(&tmp)?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // Make the rename itself durable (best effort: not every platform can open a directory).
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(unix)]
fn private_file(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(access: &str) -> OAuthTokens {
        OAuthTokens::new(
            access,
            Some(format!("refresh-of-{access}")),
            Some(UNIX_EPOCH + Duration::from_secs(2_000_000_000)),
        )
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    }

    #[test]
    fn failure_between_write_and_rename_leaves_the_old_file_and_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        let store = FileStore::new(&path);
        let key = TokenKey::new("https://a.example.com", "app");
        store.save(&key, &tokens("first")).unwrap();
        let before = std::fs::read(&path).unwrap();

        let mut seen_tmp = None;
        let err = write_atomic_with(&path, b"{\"half\":", |tmp| {
            // The new content exists only in the temp file, already private.
            seen_tmp = Some(tmp.to_path_buf());
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(tmp).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600);
            }
            assert_eq!(std::fs::read(&path).unwrap(), before);
            Err(io::Error::other("simulated crash before rename"))
        })
        .unwrap_err();
        assert!(err.to_string().contains("simulated crash"));
        assert!(!seen_tmp.unwrap().exists(), "the temp file is removed");
        assert!(leftovers(dir.path()).is_empty());
        assert_eq!(std::fs::read(&path).unwrap(), before, "old file intact");
        assert_eq!(store.load(&key).unwrap(), Some(tokens("first")));
    }

    #[test]
    fn entries_are_keyed_by_server_and_app() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("nested/dir/tokens.json"));
        let a = TokenKey::new("https://a.example.com/", "app");
        let b = TokenKey::new("https://b.example.com", "app");
        let c = TokenKey::new("https://a.example.com", "other-app");
        assert_eq!(store.load(&a).unwrap(), None);
        store.save(&a, &tokens("ta")).unwrap();
        store.save(&b, &tokens("tb")).unwrap();
        assert_eq!(store.load(&a).unwrap(), Some(tokens("ta")));
        assert_eq!(store.load(&b).unwrap(), Some(tokens("tb")));
        assert_eq!(store.load(&c).unwrap(), None);
        store.save(&a, &tokens("ta2")).unwrap();
        assert_eq!(store.load(&a).unwrap(), Some(tokens("ta2")));
        store.delete(&a).unwrap();
        assert_eq!(store.load(&a).unwrap(), None);
        assert_eq!(store.load(&b).unwrap(), Some(tokens("tb")));
        store.delete(&b).unwrap();
        assert!(!store.path().exists(), "the last delete removes the file");
        store.delete(&b).unwrap();
        assert!(leftovers(store.path().parent().unwrap()).is_empty());
    }

    #[test]
    fn a_sudo_session_is_kept_apart_from_its_parent_and_other_users() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("sessions.json"));
        let parent = TokenKey::new("https://a.example.com", "api-client");
        let ada = parent.clone().with_sudo_user("17");
        let bob = parent.clone().with_sudo_user("18");
        store.save(&parent, &tokens("tp")).unwrap();
        store.save(&ada, &tokens("t17")).unwrap();
        assert_eq!(store.load(&parent).unwrap(), Some(tokens("tp")));
        assert_eq!(store.load(&ada).unwrap(), Some(tokens("t17")));
        assert_eq!(store.load(&bob).unwrap(), None);
        store.delete(&ada).unwrap();
        assert_eq!(store.load(&parent).unwrap(), Some(tokens("tp")));
        // A file without the field (written before it existed) is read as no sudo user.
        std::fs::write(
            store.path(),
            r#"{"version":1,"tokens":[{"base_url":"https://a.example.com","client_id":"api-client","access_token":"old"}]}"#,
        )
        .unwrap();
        assert_eq!(
            store
                .load(&parent)
                .unwrap()
                .unwrap()
                .access_token()
                .expose(),
            "old"
        );
        assert_eq!(store.load(&ada).unwrap(), None);
    }

    #[test]
    fn a_corrupt_file_is_an_error_naming_the_path_without_its_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        std::fs::write(
            &path,
            "{\"version\":1,\"tokens\":[{\"access_token\":\"SECRET-AT\"",
        )
        .unwrap();
        let e = FileStore::new(&path)
            .load(&TokenKey::new("https://a", "x"))
            .unwrap_err();
        let text = format!("{e} {e:?}");
        assert!(
            text.contains("tokens.json") && text.contains("not a token file"),
            "{text}"
        );
        assert!(!text.contains("SECRET-AT"), "{text}");
    }

    #[test]
    fn memory_store_round_trip() {
        let store = MemoryStore::new();
        let key = TokenKey::new("https://a", "x");
        store.save(&key, &tokens("m")).unwrap();
        assert_eq!(store.load(&key).unwrap(), Some(tokens("m")));
        assert!(!format!("{store:?}").contains("refresh-of"));
        store.delete(&key).unwrap();
        assert_eq!(store.load(&key).unwrap(), None);
    }
}
