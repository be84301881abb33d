//! The per-kiosk evidence key: where it lives (OS keyring or, only when
//! chosen explicitly, an owner-only key file), the `key.json` record of that
//! choice, creation, loading and a cheap status for health checks.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;
use std::str::FromStr;

use aes_gcm::aead::OsRng;
use aes_gcm::aead::rand_core::RngCore;
use dayfusion_verify::StoreError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::fsutil;

/// Keyring service name of the evidence key.
pub const KEYRING_SERVICE: &str = "br.com.dayfusion.kiosk";
/// Keyring user (account) name of the evidence key.
pub const KEYRING_USER: &str = "evidence-key";
/// Environment variable choosing the [`KeySource`].
pub const KEY_SOURCE_ENV: &str = "DAYFUSION_EVIDENCE_KEY";
/// Name of the key record under the store root.
pub const MARKER_FILE: &str = "key.json";
/// Name of the key file under the store root (when the key is in a file).
pub const KEY_FILE: &str = "evidence.key";
/// Length of the AES-256 key.
pub(crate) const KEY_LEN: usize = 32;

/// The 32 key bytes, wiped on drop.
pub(crate) type KeyBytes = Zeroizing<[u8; KEY_LEN]>;

/// Where a new evidence key may be created, and which existing one may be
/// used. A key file is only ever created when chosen ([`KeySource::FileOnly`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeySource {
    /// The default (`auto`, or [`KEY_SOURCE_ENV`] unset): a new key goes to
    /// the OS keyring and nowhere else; where the keyring is not usable a new
    /// store fails with [`StoreError::KeyUnavailable`]. An existing store's
    /// key is read from wherever its `key.json` records (a key file an
    /// administrator chose included).
    #[default]
    Keyring,
    /// `keyring`: the OS keyring only; also refuses an existing store whose
    /// key is in a file.
    KeyringOnly,
    /// `file`: the owner-only key file beside the evidence, chosen
    /// explicitly; never touches the OS keyring.
    FileOnly,
}

impl KeySource {
    /// Reads [`KEY_SOURCE_ENV`] (`auto`, `keyring` or `file`); unset or empty
    /// means [`KeySource::Keyring`], anything else is refused.
    pub fn from_env() -> Result<KeySource, StoreError> {
        match std::env::var(KEY_SOURCE_ENV) {
            Ok(value) if value.trim().is_empty() => Ok(KeySource::Keyring),
            Ok(value) => value.parse(),
            Err(std::env::VarError::NotPresent) => Ok(KeySource::Keyring),
            Err(std::env::VarError::NotUnicode(_)) => Err(StoreError::KeyUnavailable(format!(
                "{KEY_SOURCE_ENV} must be auto, keyring or file"
            ))),
        }
    }
}

impl FromStr for KeySource {
    type Err = StoreError;

    /// `auto`, `keyring` or `file` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(KeySource::Keyring),
            "keyring" => Ok(KeySource::KeyringOnly),
            "file" => Ok(KeySource::FileOnly),
            _ => Err(StoreError::KeyUnavailable(format!(
                "{KEY_SOURCE_ENV} must be auto, keyring or file"
            ))),
        }
    }
}

/// Where the key of a store actually lives (as `key.json` records it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyLocation {
    /// The OS keyring (Secret Service on Linux).
    Keyring,
    /// `evidence.key` beside the evidence.
    File,
}

impl KeyLocation {
    /// `keyring` or `file`, as in `key.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyLocation::Keyring => "keyring",
            KeyLocation::File => "file",
        }
    }
}

impl std::fmt::Display for KeyLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The key of a store as health sees it, read without loading the key or
/// decrypting anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyStatus {
    /// An existing store: `key.json` records this location and, for a key
    /// file, the file looks usable (the keyring is not asked, so no unlock
    /// prompt can appear).
    Recorded(KeyLocation),
    /// No store yet: a new key would go here (the keyring answered).
    New(KeyLocation),
    /// The key can be neither loaded nor created: why, and what to do.
    Unavailable(String),
}

impl KeyStatus {
    /// Where the key lives or will live; `None` when unavailable.
    pub fn location(&self) -> Option<KeyLocation> {
        match self {
            KeyStatus::Recorded(location) | KeyStatus::New(location) => Some(*location),
            KeyStatus::Unavailable(_) => None,
        }
    }
}

/// `key.json`: where the key lives and which key it is.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Marker {
    source: KeyLocation,
    key_id: String,
    created_at: String,
}

/// The OS keyring as the store sees it (a trait so the key source logic can
/// be tested without touching a developer's real keyring; another secret
/// holder, such as a TPM-sealed key, would plug in here).
pub(crate) trait SecretBackend {
    /// The stored secret; `None` when there is no entry.
    fn read(&self) -> Result<Option<Zeroizing<Vec<u8>>>, String>;
    /// Stores `secret`.
    fn write(&self, secret: &[u8]) -> Result<(), String>;
}

/// The real OS keyring (Secret Service on Linux) via the `keyring` crate.
pub(crate) struct OsKeyring;

impl SecretBackend for OsKeyring {
    fn read(&self) -> Result<Option<Zeroizing<Vec<u8>>>, String> {
        // A fresh entry each time, so a write is confirmed by a real read
        // from the store and not from a cached credential.
        let entry =
            keyring::Entry::new(KEYRING_SERVICE, KEYRING_USER).map_err(|e| e.to_string())?;
        match entry.get_secret() {
            Ok(secret) => Ok(Some(Zeroizing::new(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn write(&self, secret: &[u8]) -> Result<(), String> {
        let entry =
            keyring::Entry::new(KEYRING_SERVICE, KEYRING_USER).map_err(|e| e.to_string())?;
        entry.set_secret(secret).map_err(|e| e.to_string())
    }
}

/// A loaded key with its id and location.
pub(crate) struct LoadedKey {
    pub(crate) bytes: KeyBytes,
    pub(crate) id: [u8; 8],
    pub(crate) location: KeyLocation,
}

/// First 8 bytes of SHA-256 of the key material.
pub(crate) fn key_id(key: &[u8; KEY_LEN]) -> [u8; 8] {
    let digest = Sha256::digest(key);
    let mut id = [0u8; 8];
    id.copy_from_slice(&digest[..8]);
    id
}

fn unavailable(message: impl Into<String>) -> StoreError {
    StoreError::KeyUnavailable(message.into())
}

/// A new store under a keyring source whose keyring is not usable.
fn keyring_unavailable(reason: &str) -> StoreError {
    unavailable(format!(
        "the OS keyring is not available to hold the evidence key ({reason}), so no key was \
         created; an administrator or the installer may choose the key file explicitly with \
         {KEY_SOURCE_ENV}=file, which works without a keyring but, lying beside the evidence, \
         does not protect it against theft of the disk"
    ))
}

/// The message of a key error, without the `evidence key unavailable:`
/// prefix of its display.
fn message(error: StoreError) -> String {
    match error {
        StoreError::KeyUnavailable(message) => message,
        other => other.to_string(),
    }
}

fn to_key(bytes: &[u8], what: &str) -> Result<KeyBytes, StoreError> {
    if bytes.len() != KEY_LEN {
        return Err(unavailable(format!(
            "{what} holds {} bytes, expected {KEY_LEN}",
            bytes.len()
        )));
    }
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    key.copy_from_slice(bytes);
    Ok(key)
}

/// Loads the key of the store at `root`, creating one for a new store.
pub(crate) fn load_or_create(
    root: &Path,
    objects: &Path,
    source: KeySource,
    keyring: &dyn SecretBackend,
) -> Result<LoadedKey, StoreError> {
    let marker_path = root.join(MARKER_FILE);
    match fs::read(&marker_path) {
        Ok(raw) => load_existing(root, &raw, source, keyring),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if has_objects(objects)? {
                return Err(unavailable(
                    "evidence exists but its key record (key.json) is missing; \
                     restore key.json (and the key) from backup",
                ));
            }
            create(root, source, keyring)
        }
        Err(e) => Err(unavailable(format!("cannot read the key record: {e}"))),
    }
}

/// Loads the key of the existing store at `root`; never creates a key, a
/// key file or a record. `NotFound` when `root` has no key record.
pub(crate) fn load_existing_only(
    root: &Path,
    source: KeySource,
    keyring: &dyn SecretBackend,
) -> Result<LoadedKey, StoreError> {
    let marker_path = root.join(MARKER_FILE);
    match fs::read(&marker_path) {
        Ok(raw) => load_existing(root, &raw, source, keyring),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(StoreError::NotFound(format!(
            "no evidence store at {}",
            root.display()
        ))),
        Err(e) => Err(unavailable(format!("cannot read the key record: {e}"))),
    }
}

fn has_objects(objects: &Path) -> Result<bool, StoreError> {
    let mut files = Vec::new();
    fsutil::walk_files(objects, &mut files)
        .map_err(|e| StoreError::from_io(&e, "scanning evidence"))?;
    Ok(files.iter().any(|f| !fsutil::is_hidden(f)))
}

fn load_existing(
    root: &Path,
    raw: &[u8],
    source: KeySource,
    keyring: &dyn SecretBackend,
) -> Result<LoadedKey, StoreError> {
    let marker = parse_marker(raw)?;
    allowed(source, marker.source)?;
    let bytes = match marker.source {
        KeyLocation::Keyring => match keyring.read() {
            Ok(Some(secret)) => to_key(&secret, "the keyring entry")?,
            Ok(None) => {
                return Err(unavailable(
                    "the evidence key is recorded in the OS keyring but the keyring has no entry",
                ));
            }
            Err(e) => {
                return Err(unavailable(format!(
                    "the evidence key is in the OS keyring, which cannot be read: {e}"
                )));
            }
        },
        KeyLocation::File => read_key_file(root)?,
    };
    let id = key_id(&bytes);
    if hex::encode(id) != marker.key_id.to_ascii_lowercase() {
        return Err(unavailable(format!(
            "the {} key has id {} but the key record expects {}",
            marker.source.as_str(),
            hex::encode(id),
            marker.key_id
        )));
    }
    report_loaded(marker.source, &id);
    Ok(LoadedKey {
        bytes,
        id,
        location: marker.source,
    })
}

/// Logs where the key of an opened store lives, every time.
fn report_loaded(location: KeyLocation, id: &[u8; 8]) {
    match location {
        KeyLocation::Keyring => {
            tracing::info!(
                source = location.as_str(),
                key_id = %hex::encode(id),
                "evidence key loaded"
            );
        }
        KeyLocation::File => tracing::warn!(
            source = location.as_str(),
            key_id = %hex::encode(id),
            "evidence key loaded from a key file beside the evidence, which does not protect \
             against disk theft"
        ),
    }
}

fn parse_marker(raw: &[u8]) -> Result<Marker, StoreError> {
    serde_json::from_slice(raw)
        .map_err(|e| unavailable(format!("the key record (key.json) is unreadable: {e}")))
}

/// Refuses a recorded location that the explicit `source` rules out.
fn allowed(source: KeySource, recorded: KeyLocation) -> Result<(), StoreError> {
    match (source, recorded) {
        (KeySource::FileOnly, KeyLocation::Keyring) => Err(unavailable(format!(
            "the evidence key is in the OS keyring but {KEY_SOURCE_ENV}=file"
        ))),
        (KeySource::KeyringOnly, KeyLocation::File) => Err(unavailable(format!(
            "the evidence key is in a key file but {KEY_SOURCE_ENV}=keyring"
        ))),
        _ => Ok(()),
    }
}

/// The status of the store at `root` for health: reads `key.json` and the
/// key file's metadata, never the key; asks `keyring` only when there is
/// no store yet (whether a new key could go there). Creates nothing.
pub(crate) fn status(
    root: &Path,
    objects: &Path,
    source: KeySource,
    keyring: &dyn SecretBackend,
) -> KeyStatus {
    match fs::read(root.join(MARKER_FILE)) {
        Ok(raw) => {
            let recorded = parse_marker(&raw).and_then(|marker| {
                allowed(source, marker.source)?;
                if marker.source == KeyLocation::File {
                    check_key_file(root)?;
                }
                Ok(marker.source)
            });
            match recorded {
                Ok(location) => KeyStatus::Recorded(location),
                Err(e) => KeyStatus::Unavailable(message(e)),
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => match has_objects(objects) {
            Ok(true) => KeyStatus::Unavailable(
                "evidence exists but its key record (key.json) is missing; \
                 restore key.json (and the key) from backup"
                    .to_owned(),
            ),
            Ok(false) => match source {
                KeySource::FileOnly => KeyStatus::New(KeyLocation::File),
                KeySource::Keyring | KeySource::KeyringOnly => match keyring.read() {
                    Ok(Some(secret)) if secret.len() != KEY_LEN => {
                        KeyStatus::Unavailable(message(keyring_unavailable(
                            "the keyring entry exists with a secret that is not a key",
                        )))
                    }
                    Ok(_) => KeyStatus::New(KeyLocation::Keyring),
                    Err(reason) => KeyStatus::Unavailable(message(keyring_unavailable(&reason))),
                },
            },
            Err(e) => KeyStatus::Unavailable(message(e)),
        },
        Err(e) => KeyStatus::Unavailable(format!("cannot read the key record: {e}")),
    }
}

/// The key file's metadata, refusing anything but a regular file.
fn key_file_metadata(root: &Path) -> Result<fs::Metadata, StoreError> {
    let link = fs::symlink_metadata(root.join(KEY_FILE))
        .map_err(|e| unavailable(format!("cannot read the key file: {e}")))?;
    if !link.file_type().is_file() {
        return Err(unavailable("the key file is not a regular file"));
    }
    Ok(link)
}

/// Checks the key file without reading the key: a regular, owner-only file
/// of the root's owner, of a key's length.
fn check_key_file(root: &Path) -> Result<(), StoreError> {
    let meta = key_file_metadata(root)?;
    check_key_file_meta(root, &meta)
}

fn check_key_file_meta(root: &Path, meta: &fs::Metadata) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let mode = meta.mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(unavailable(format!(
                "the key file's mode {mode:o} lets others read it; it must be 600"
            )));
        }
        let root_meta =
            fs::metadata(root).map_err(|e| unavailable(format!("cannot read the root: {e}")))?;
        if meta.uid() != root_meta.uid() {
            return Err(unavailable(
                "the key file is not owned by the owner of the evidence folder",
            ));
        }
    }
    if meta.len() != KEY_LEN as u64 {
        return Err(unavailable(format!(
            "the key file holds {} bytes, expected {KEY_LEN}",
            meta.len()
        )));
    }
    #[cfg(not(unix))]
    let _ = root;
    Ok(())
}

/// Reads `root/evidence.key`, refusing a key others could read.
fn read_key_file(root: &Path) -> Result<KeyBytes, StoreError> {
    key_file_metadata(root)?;
    let mut file = File::open(root.join(KEY_FILE))
        .map_err(|e| unavailable(format!("cannot read the key file: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| unavailable(format!("cannot read the key file: {e}")))?;
    check_key_file_meta(root, &meta)?;
    let mut buf = Zeroizing::new([0u8; KEY_LEN]);
    file.read_exact(&mut buf[..])
        .map_err(|e| unavailable(format!("cannot read the key file: {e}")))?;
    let mut extra = [0u8; 1];
    if matches!(file.read(&mut extra), Ok(n) if n > 0) {
        return Err(unavailable("the key file is longer than a key"));
    }
    Ok(buf)
}

fn random_key() -> KeyBytes {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    OsRng.fill_bytes(&mut key[..]);
    key
}

/// A new store: makes (or adopts) a key where `source` allows and records
/// it in `key.json`. A key file only when chosen: the keyring sources never
/// fall back to one.
fn create(
    root: &Path,
    source: KeySource,
    keyring: &dyn SecretBackend,
) -> Result<LoadedKey, StoreError> {
    let (bytes, location) = match source {
        KeySource::FileOnly => {
            tracing::warn!(
                "{KEY_SOURCE_ENV}=file: the new evidence key goes to a key file beside the \
                 evidence, which does not protect against disk theft"
            );
            (create_file_key(root)?, KeyLocation::File)
        }
        KeySource::Keyring | KeySource::KeyringOnly => (
            create_keyring_key(keyring).map_err(|reason| keyring_unavailable(&reason))?,
            KeyLocation::Keyring,
        ),
    };
    let id = key_id(&bytes);
    let marker = Marker {
        source: location,
        key_id: hex::encode(id),
        created_at: now_rfc3339(),
    };
    let json = serde_json::to_vec_pretty(&marker)
        .map_err(|e| StoreError::Other(format!("encoding the key record: {e}")))?;
    match fsutil::write_new_atomic(&root.join(MARKER_FILE), &[&json]) {
        Ok(()) => {}
        Err(fsutil::WriteError::Exists) => {
            return Err(unavailable(
                "another process created the key record at the same time; open the store again",
            ));
        }
        Err(fsutil::WriteError::Io(e, what)) => {
            return Err(StoreError::from_io(&e, &format!("{what} the key record")));
        }
    }
    tracing::info!(
        source = location.as_str(),
        key_id = %hex::encode(id),
        "evidence key created"
    );
    Ok(LoadedKey {
        bytes,
        id,
        location,
    })
}

/// A key in the keyring: an existing 32-byte entry is adopted (never
/// overwritten), else a new key is stored and read back.
fn create_keyring_key(keyring: &dyn SecretBackend) -> Result<KeyBytes, String> {
    match keyring.read()? {
        Some(existing) if existing.len() == KEY_LEN => {
            let mut key = Zeroizing::new([0u8; KEY_LEN]);
            key.copy_from_slice(&existing);
            tracing::info!("adopting the evidence key already in the OS keyring");
            return Ok(key);
        }
        Some(_) => {
            return Err("the keyring entry exists with a secret that is not a key".to_owned());
        }
        None => {}
    }
    let key = random_key();
    keyring.write(&key[..])?;
    match keyring.read()? {
        Some(back) if back.as_slice() == &key[..] => Ok(key),
        Some(_) => Err("the keyring returned another secret than the one stored".to_owned()),
        None => Err("the keyring did not keep the stored secret".to_owned()),
    }
}

/// A key file: a file left by an interrupted creation (no record, no
/// evidence yet) is adopted if it is sound, else a new one is written.
fn create_file_key(root: &Path) -> Result<KeyBytes, StoreError> {
    let path = root.join(KEY_FILE);
    if fs::symlink_metadata(&path).is_ok() {
        tracing::info!("adopting an evidence key file without a key record");
        return read_key_file(root);
    }
    let key = random_key();
    match fsutil::write_new_atomic(&path, &[&key[..]]) {
        Ok(()) => Ok(key),
        Err(fsutil::WriteError::Exists) => read_key_file(root),
        Err(fsutil::WriteError::Io(e, what)) => {
            Err(StoreError::from_io(&e, &format!("{what} the key file")))
        }
    }
}

/// The current UTC time as RFC 3339 (seconds).
fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// A keyring that is never reachable (headless CI).
    struct Broken;
    impl SecretBackend for Broken {
        fn read(&self) -> Result<Option<Zeroizing<Vec<u8>>>, String> {
            Err("no D-Bus session".to_owned())
        }
        fn write(&self, _: &[u8]) -> Result<(), String> {
            Err("no D-Bus session".to_owned())
        }
    }

    /// An in-memory keyring.
    #[derive(Default)]
    struct Memory(Mutex<Option<Vec<u8>>>);
    impl SecretBackend for Memory {
        fn read(&self) -> Result<Option<Zeroizing<Vec<u8>>>, String> {
            let guard = self.0.lock().map_err(|e| e.to_string())?;
            Ok(guard.clone().map(Zeroizing::new))
        }
        fn write(&self, secret: &[u8]) -> Result<(), String> {
            *self.0.lock().map_err(|e| e.to_string())? = Some(secret.to_vec());
            Ok(())
        }
    }

    fn dirs() -> Result<(tempfile::TempDir, std::path::PathBuf, std::path::PathBuf), io::Error> {
        let tmp = tempfile::tempdir()?;
        let root = tmp.path().join("evidence");
        let objects = root.join("objects");
        fsutil::create_dir_private(&objects)?;
        Ok((tmp, root, objects))
    }

    fn marker(root: &Path) -> Result<Marker, Box<dyn std::error::Error>> {
        Ok(serde_json::from_slice(&fs::read(root.join(MARKER_FILE))?)?)
    }

    #[test]
    fn key_source_file_chosen_explicitly_writes_the_key_file_and_reports_it() -> TestResult {
        let (_tmp, root, objects) = dirs()?;
        let key = load_or_create(&root, &objects, KeySource::FileOnly, &Broken)?;
        assert_eq!(key.location, KeyLocation::File);
        assert!(root.join(KEY_FILE).is_file());
        let m = marker(&root)?;
        assert_eq!(m.source, KeyLocation::File);
        assert_eq!(m.key_id, hex::encode(key.id));
        assert_eq!(
            status(&root, &objects, KeySource::FileOnly, &Broken),
            KeyStatus::Recorded(KeyLocation::File)
        );
        Ok(())
    }

    #[test]
    fn an_existing_file_keyed_store_still_opens_under_the_default_and_reports_file() -> TestResult {
        let (_tmp, root, objects) = dirs()?;
        // An installed kiosk whose administrator chose the key file.
        let key = load_or_create(&root, &objects, KeySource::FileOnly, &Broken)?;
        // Started later with the variable unset and no keyring: the record
        // says file, so it loads, and says so.
        let again = load_or_create(&root, &objects, KeySource::default(), &Broken)?;
        assert_eq!(again.id, key.id);
        assert_eq!(again.location, KeyLocation::File);
        assert_eq!(
            status(&root, &objects, KeySource::default(), &Broken),
            KeyStatus::Recorded(KeyLocation::File)
        );
        Ok(())
    }

    #[test]
    fn key_status_reads_the_source_without_loading_or_creating_the_key() -> TestResult {
        let (_tmp, root, objects) = dirs()?;
        // No store, no keyring: unavailable under the default, with the fix.
        let new = status(&root, &objects, KeySource::default(), &Broken);
        let KeyStatus::Unavailable(why) = &new else {
            return Err(format!("expected Unavailable, got {new:?}").into());
        };
        assert!(why.contains("DAYFUSION_EVIDENCE_KEY=file"), "{why}");
        // A working keyring: a new key would go there; nothing is written.
        let keyring = Memory::default();
        assert_eq!(
            status(&root, &objects, KeySource::default(), &keyring),
            KeyStatus::New(KeyLocation::Keyring)
        );
        assert!(keyring.read()?.is_none());
        assert_eq!(
            status(&root, &objects, KeySource::FileOnly, &Broken),
            KeyStatus::New(KeyLocation::File)
        );
        assert_eq!(fs::read_dir(&root)?.count(), 1, "only objects/ exists");

        // A keyring store: reported from key.json, the keyring not asked
        // (the broken one would have made it unavailable).
        load_or_create(&root, &objects, KeySource::default(), &keyring)?;
        assert_eq!(
            status(&root, &objects, KeySource::default(), &Broken),
            KeyStatus::Recorded(KeyLocation::Keyring)
        );
        assert!(matches!(
            status(&root, &objects, KeySource::FileOnly, &Broken),
            KeyStatus::Unavailable(_)
        ));
        // An unreadable record.
        fs::write(root.join(MARKER_FILE), b"{")?;
        assert!(matches!(
            status(&root, &objects, KeySource::default(), &Broken),
            KeyStatus::Unavailable(_)
        ));
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn key_status_refuses_a_key_file_others_can_read() -> TestResult {
        use std::os::unix::fs::PermissionsExt;
        let (_tmp, root, objects) = dirs()?;
        load_or_create(&root, &objects, KeySource::FileOnly, &Broken)?;
        fs::set_permissions(root.join(KEY_FILE), fs::Permissions::from_mode(0o644))?;
        let now = status(&root, &objects, KeySource::default(), &Broken);
        assert!(
            matches!(&now, KeyStatus::Unavailable(why) if why.contains("600")),
            "{now:?}"
        );
        Ok(())
    }

    /// Issue 16: with no keyring (a bare X session) the default source
    /// used to write `evidence.key` beside the evidence without a word.
    #[test]
    fn key_source_default_refuses_to_fall_back_to_a_key_file() -> TestResult {
        let (_tmp, root, objects) = dirs()?;
        let err = load_or_create(&root, &objects, KeySource::default(), &Broken).err();
        let Some(StoreError::KeyUnavailable(message)) = err else {
            return Err(format!("expected KeyUnavailable, got {err:?}").into());
        };
        assert!(message.contains("keyring is not available"), "{message}");
        assert!(message.contains("DAYFUSION_EVIDENCE_KEY=file"), "{message}");
        assert!(message.contains("disk"), "{message}");
        assert!(!root.join(KEY_FILE).exists(), "no key file may be written");
        assert!(
            !root.join(MARKER_FILE).exists(),
            "no key record may be written"
        );
        Ok(())
    }

    #[test]
    fn keyring_only_fails_when_the_keyring_fails() -> TestResult {
        let (_tmp, root, objects) = dirs()?;
        let err = load_or_create(&root, &objects, KeySource::KeyringOnly, &Broken).err();
        assert!(
            matches!(err, Some(StoreError::KeyUnavailable(_))),
            "{err:?}"
        );
        assert!(!root.join(KEY_FILE).exists());
        assert!(!root.join(MARKER_FILE).exists());
        Ok(())
    }

    #[test]
    fn default_uses_a_working_keyring_and_never_replaces_a_lost_key() -> TestResult {
        let (_tmp, root, objects) = dirs()?;
        let keyring = Memory::default();
        let key = load_or_create(&root, &objects, KeySource::Keyring, &keyring)?;
        assert_eq!(key.location, KeyLocation::Keyring);
        assert!(!root.join(KEY_FILE).exists());
        assert_eq!(marker(&root)?.source, KeyLocation::Keyring);
        let again = load_or_create(&root, &objects, KeySource::Keyring, &keyring)?;
        assert_eq!(&again.bytes[..], &key.bytes[..]);

        // The keyring lost the entry: refuse, do not create a new key.
        *keyring.0.lock().map_err(|e| e.to_string())? = None;
        let err = load_or_create(&root, &objects, KeySource::Keyring, &keyring).err();
        assert!(
            matches!(err, Some(StoreError::KeyUnavailable(_))),
            "{err:?}"
        );
        assert!(keyring.read()?.is_none());

        // The keyring cannot be reached: refuse too (no fallback for an
        // existing store).
        let err = load_or_create(&root, &objects, KeySource::Keyring, &Broken).err();
        assert!(
            matches!(err, Some(StoreError::KeyUnavailable(_))),
            "{err:?}"
        );

        // Another key in the keyring: id mismatch.
        keyring.write(&[7u8; KEY_LEN])?;
        let err = load_or_create(&root, &objects, KeySource::Keyring, &keyring).err();
        assert!(
            matches!(err, Some(StoreError::KeyUnavailable(_))),
            "{err:?}"
        );

        // FileOnly refuses a keyring-held key without touching the keyring.
        let err = load_or_create(&root, &objects, KeySource::FileOnly, &Broken).err();
        assert!(
            matches!(err, Some(StoreError::KeyUnavailable(_))),
            "{err:?}"
        );
        Ok(())
    }

    #[test]
    fn an_existing_keyring_entry_is_adopted_not_overwritten() -> TestResult {
        let (_tmp, root, objects) = dirs()?;
        let keyring = Memory::default();
        keyring.write(&[9u8; KEY_LEN])?;
        let key = load_or_create(&root, &objects, KeySource::KeyringOnly, &keyring)?;
        assert_eq!(&key.bytes[..], &[9u8; KEY_LEN][..]);
        Ok(())
    }

    #[test]
    fn key_source_parses() -> TestResult {
        assert_eq!("auto".parse::<KeySource>()?, KeySource::Keyring);
        assert_eq!(KeySource::default(), KeySource::Keyring);
        assert_eq!("Keyring".parse::<KeySource>()?, KeySource::KeyringOnly);
        assert_eq!(" file ".parse::<KeySource>()?, KeySource::FileOnly);
        assert!("keyrnig".parse::<KeySource>().is_err());
        Ok(())
    }

    #[test]
    fn timestamps_are_rfc3339() {
        let now = now_rfc3339();
        assert_eq!(now.len(), 20, "{now}");
        assert!(now.starts_with("20") && now.ends_with('Z'), "{now}");
    }
}
