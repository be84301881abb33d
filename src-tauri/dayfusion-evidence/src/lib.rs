//! Local evidence store: write-once evidence objects (document photos,
//! liveness frames), encrypted at rest, implementing
//! [`dayfusion_verify::EvidenceStore`].
//!
//! # Layout
//!
//! ```text
//! <root>/                      0700 (root is e.g. <data>/evidence)
//!   key.json                   0600  {"source":"keyring"|"file","keyId":"<16 hex>","createdAt":"…"}
//!   evidence.key               0600  32 raw key bytes (only when source = file)
//!   objects/                   0700
//!     documents/<uuid>/document.jpg          0600, one encrypted object
//!     liveness/<sessionId>/reference.jpg
//!     liveness/<sessionId>/audit_0.jpg
//! ```
//!
//! Each [`EvidenceKey`] segment is a directory level under `objects/`.
//! Missing directories are created one level at a time (0700), each parent
//! that gained an entry synced, so that they survive a power cut. Writes
//! go to a `.tmp-<uuid>` file in the target directory, are synced, then
//! hard-linked to the final name (which fails if it exists, so objects are
//! write-once without a race) and the directory is synced. Names starting
//! with `.` are never objects; [`LocalEvidenceStore::sweep_temp_files`]
//! removes temporary files an interrupted write left behind.
//!
//! # File format (version 1)
//!
//! ```text
//! offset  size  field
//! 0       4     magic "DFEV"
//! 4       1     format version = 1
//! 5       8     key id = first 8 bytes of SHA-256(key material)
//! 13      12    AES-GCM nonce (random per object)
//! 25      n+16  AES-256-GCM ciphertext of the n plaintext bytes, then the tag
//! ```
//!
//! The associated data is the key string (`liveness/…/reference.jpg`), so a
//! file copied or moved under another key fails to decrypt. Nothing else is
//! stored: no plaintext hash, size or header. The caller records the SHA-256
//! that [`EvidenceStore::put`] returns and compares it after a `get`.
//!
//! # Key handling
//!
//! One AES-256 key per kiosk (per store root), 32 bytes from the OS RNG,
//! held in memory in a [`zeroize::Zeroizing`] buffer. `key.json` records
//! where it lives:
//!
//! - `keyring`: the OS keyring (Secret Service on Linux), service
//!   `br.com.dayfusion.kiosk`, user `evidence-key`;
//! - `file`: `evidence.key`, which must be mode 0600 (no group or other
//!   bits) and owned by the owner of the root folder. Only where chosen
//!   explicitly: a key file beside the evidence does not protect it against
//!   theft of the disk.
//!
//! Opening a store reads the key from the recorded place and checks its id
//! against the record; any failure is [`StoreError::KeyUnavailable`].
//! [`LocalEvidenceStore::open_existing`] (for commands that only read)
//! never creates anything and answers [`StoreError::NotFound`] where there
//! is no `key.json`. A key
//! is created only for a store without a record *and* without objects (a
//! new key would make existing evidence unreadable). Where a new key goes is
//! chosen by [`KeySource`] (`DAYFUSION_EVIDENCE_KEY=auto|keyring|file`):
//! the default (`auto` or unset) and `keyring` use the keyring (an existing
//! entry is adopted, never overwritten; a new one is written and read back)
//! and fail with [`StoreError::KeyUnavailable`] where it is not usable
//! (headless, no Secret Service): they never fall back to a key file. The
//! key file is made only under `file`, chosen by an administrator or the
//! installer. [`LocalEvidenceStore::key_status`] tells health where the key
//! lives without loading it.

mod fsutil;
mod key;

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use dayfusion_verify::{EvidenceKey, EvidenceRef, EvidenceStore, StoreError};
use sha2::{Digest, Sha256};

pub use key::{
    KEY_FILE, KEY_SOURCE_ENV, KEYRING_SERVICE, KEYRING_USER, KeyLocation, KeySource, KeyStatus,
    MARKER_FILE,
};

/// Largest plaintext object accepted (64 MiB).
pub const MAX_OBJECT_BYTES: u64 = 64 * 1024 * 1024;
/// Magic bytes opening every object file.
pub const MAGIC: &[u8; 4] = b"DFEV";
/// The object file format version written.
pub const FORMAT_VERSION: u8 = 1;
/// Bytes before the ciphertext: magic, version, key id, nonce.
pub const HEADER_LEN: usize = 4 + 1 + 8 + 12;
/// Bytes an object file adds to its plaintext: header and GCM tag.
pub const OVERHEAD: u64 = HEADER_LEN as u64 + 16;
/// Name of the objects folder under the root.
pub const OBJECTS_DIR: &str = "objects";

/// Encrypted, write-once evidence objects under a local folder.
pub struct LocalEvidenceStore {
    root: PathBuf,
    objects: PathBuf,
    key: key::KeyBytes,
    key_id: [u8; 8],
    key_id_hex: String,
    location: key::KeyLocation,
}

impl std::fmt::Debug for LocalEvidenceStore {
    /// Never prints the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalEvidenceStore")
            .field("root", &self.root)
            .field("key_source", &self.location.as_str())
            .field("key_id", &self.key_id_hex)
            .finish_non_exhaustive()
    }
}

impl LocalEvidenceStore {
    /// Opens (creating if needed) the store at `root`, loading its key or
    /// creating one as `key_source` allows (see the crate docs).
    pub fn open(root: &Path, key_source: KeySource) -> Result<LocalEvidenceStore, StoreError> {
        Self::open_with(root, key_source, &key::OsKeyring)
    }

    /// Opens the existing store at `root` for commands that only read
    /// (`evidence get`): loads its key from where `key.json` says, as
    /// `key_source` allows, and never creates a key, a key file, a key
    /// record or a folder. `NotFound` when `root` has no `key.json`.
    pub fn open_existing(
        root: &Path,
        key_source: KeySource,
    ) -> Result<LocalEvidenceStore, StoreError> {
        Self::open_existing_with(root, key_source, &key::OsKeyring)
    }

    /// Where the key of the store at `root` lives, or where a new one would
    /// go under `key_source`, without loading it or decrypting anything:
    /// reads `key.json` and the key file's metadata; asks the OS keyring only
    /// when there is no store yet. Creates nothing. For health checks.
    pub fn key_status(root: &Path, key_source: KeySource) -> KeyStatus {
        key::status(root, &root.join(OBJECTS_DIR), key_source, &key::OsKeyring)
    }

    fn with_key(root: PathBuf, objects: PathBuf, loaded: key::LoadedKey) -> LocalEvidenceStore {
        LocalEvidenceStore {
            root,
            objects,
            key_id_hex: hex::encode(loaded.id),
            key: loaded.bytes,
            key_id: loaded.id,
            location: loaded.location,
        }
    }

    fn open_existing_with(
        root: &Path,
        key_source: KeySource,
        keyring: &dyn key::SecretBackend,
    ) -> Result<LocalEvidenceStore, StoreError> {
        let root = root.to_path_buf();
        let objects = root.join(OBJECTS_DIR);
        let loaded = key::load_existing_only(&root, key_source, keyring)?;
        Ok(LocalEvidenceStore::with_key(root, objects, loaded))
    }

    fn open_with(
        root: &Path,
        key_source: KeySource,
        keyring: &dyn key::SecretBackend,
    ) -> Result<LocalEvidenceStore, StoreError> {
        let root = root.to_path_buf();
        let objects = root.join(OBJECTS_DIR);
        if !objects.is_dir() {
            fsutil::create_dir_private(&objects)
                .map_err(|e| StoreError::from_io(&e, "creating the evidence folder"))?;
        }
        let loaded = key::load_or_create(&root, &objects, key_source, keyring)?;
        Ok(LocalEvidenceStore::with_key(root, objects, loaded))
    }

    /// Where the key lives: `keyring` or `file`.
    pub fn key_source(&self) -> &str {
        self.location.as_str()
    }

    /// Where the key lives.
    pub fn key_location(&self) -> KeyLocation {
        self.location
    }

    /// The key id (16 hex digits: the first 8 bytes of SHA-256 of the key).
    pub fn key_id(&self) -> &str {
        &self.key_id_hex
    }

    /// The store root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Removes temporary files left by interrupted writes; returns how many.
    /// Call it when no write is in progress (at start-up).
    pub fn sweep_temp_files(&self) -> Result<usize, StoreError> {
        let mut files = Vec::new();
        fsutil::walk_files(&self.objects, &mut files)
            .map_err(|e| StoreError::from_io(&e, "scanning evidence"))?;
        // Key record and key file temporaries live in the root itself.
        for entry in std::fs::read_dir(&self.root)
            .map_err(|e| StoreError::from_io(&e, "scanning the evidence root"))?
        {
            let entry = entry.map_err(|e| StoreError::from_io(&e, "scanning the evidence root"))?;
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                files.push(entry.path());
            }
        }
        let mut removed = 0;
        for file in files {
            let is_temp = file
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(fsutil::TEMP_PREFIX));
            if !is_temp {
                continue;
            }
            match std::fs::remove_file(&file) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::from_io(&e, "removing a temporary file")),
            }
            if let Some(dir) = file.parent() {
                fsutil::prune_empty_dirs(dir, &self.objects);
            }
        }
        if removed > 0 {
            tracing::info!(removed, "removed leftover evidence temporary files");
        }
        Ok(removed)
    }

    /// The file of `key`, checked to stay under `objects/`.
    fn object_path(&self, key: &EvidenceKey) -> Result<PathBuf, StoreError> {
        let mut path = self.objects.clone();
        for segment in key.segments() {
            if segment.is_empty() || segment.starts_with('.') || segment.contains(['/', '\\']) {
                return Err(StoreError::Other(format!("unsafe evidence key {key}")));
            }
            path.push(segment);
        }
        let escapes = path
            .strip_prefix(&self.objects)
            .map(|rel| {
                rel.components()
                    .any(|c| !matches!(c, std::path::Component::Normal(_)))
            })
            .unwrap_or(true);
        if escapes {
            return Err(StoreError::Other(format!("unsafe evidence key {key}")));
        }
        Ok(path)
    }

    fn cipher(&self) -> Result<Aes256Gcm, StoreError> {
        Aes256Gcm::new_from_slice(&self.key[..])
            .map_err(|_| StoreError::KeyUnavailable("invalid key length".to_owned()))
    }
}

impl EvidenceStore for LocalEvidenceStore {
    fn put(&self, key: &EvidenceKey, bytes: &[u8]) -> Result<EvidenceRef, StoreError> {
        let size = bytes.len() as u64;
        if size > MAX_OBJECT_BYTES {
            return Err(StoreError::TooLarge(size));
        }
        let path = self.object_path(key)?;
        if std::fs::symlink_metadata(&path).is_ok() {
            return Err(StoreError::AlreadyExists(key.to_string()));
        }
        let dir = path
            .parent()
            .ok_or_else(|| StoreError::Other(format!("unsafe evidence key {key}")))?;
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher()?
            .encrypt(
                &nonce,
                Payload {
                    msg: bytes,
                    aad: key.as_str().as_bytes(),
                },
            )
            .map_err(|_| StoreError::Other(format!("encrypting {key} failed")))?;
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.push(FORMAT_VERSION);
        header.extend_from_slice(&self.key_id);
        header.extend_from_slice(nonce.as_slice());

        if let Err(e) = fsutil::create_dir_private(dir) {
            fsutil::prune_empty_dirs(dir, &self.objects);
            return Err(StoreError::from_io(
                &e,
                &format!("creating the folder of {key}"),
            ));
        }
        match fsutil::write_new_atomic(&path, &[&header, &ciphertext]) {
            Ok(()) => {}
            Err(fsutil::WriteError::Exists) => {
                return Err(StoreError::AlreadyExists(key.to_string()));
            }
            Err(fsutil::WriteError::Io(e, what)) => {
                if std::fs::symlink_metadata(&path).is_err() {
                    fsutil::prune_empty_dirs(dir, &self.objects);
                }
                return Err(StoreError::from_io(&e, &format!("{what} {key}")));
            }
        }
        Ok(EvidenceRef {
            key: key.clone(),
            sha256: hex::encode(Sha256::digest(bytes)),
            size,
        })
    }

    fn get(&self, key: &EvidenceKey) -> Result<Vec<u8>, StoreError> {
        let path = self.object_path(key)?;
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StoreError::NotFound(key.to_string()));
            }
            Err(e) => return Err(StoreError::from_io(&e, &format!("reading {key}"))),
        };
        if !meta.file_type().is_file() {
            return Err(StoreError::Corrupt(format!("{key} is not a regular file")));
        }
        let limit = MAX_OBJECT_BYTES + OVERHEAD;
        if meta.len() > limit {
            return Err(StoreError::Corrupt(format!(
                "{key} is larger than any object the store writes"
            )));
        }
        let mut data = Vec::new();
        File::open(&path)
            .and_then(|f| f.take(limit + 1).read_to_end(&mut data))
            .map_err(|e| StoreError::from_io(&e, &format!("reading {key}")))?;
        if data.len() as u64 > limit {
            return Err(StoreError::Corrupt(format!(
                "{key} is larger than any object the store writes"
            )));
        }
        if (data.len() as u64) < OVERHEAD {
            return Err(StoreError::Corrupt(format!("{key} is truncated")));
        }
        let (header, ciphertext) = data.split_at(HEADER_LEN);
        if &header[..4] != MAGIC {
            return Err(StoreError::Corrupt(format!(
                "{key} is not an evidence object (bad magic)"
            )));
        }
        if header[4] != FORMAT_VERSION {
            return Err(StoreError::Corrupt(format!(
                "{key} has unsupported format version {}",
                header[4]
            )));
        }
        if header[5..13] != self.key_id {
            return Err(StoreError::KeyUnavailable(format!(
                "{key} was encrypted under key {}, this store holds key {}",
                hex::encode(&header[5..13]),
                self.key_id_hex
            )));
        }
        let nonce = Nonce::from_slice(&header[13..HEADER_LEN]);
        self.cipher()?
            .decrypt(
                nonce,
                Payload {
                    msg: ciphertext,
                    aad: key.as_str().as_bytes(),
                },
            )
            .map_err(|_| {
                StoreError::Corrupt(format!(
                    "{key} failed authentication (tampered, torn or stored under another key)"
                ))
            })
    }

    fn delete(&self, key: &EvidenceKey) -> Result<bool, StoreError> {
        let path = self.object_path(key)?;
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(StoreError::from_io(&e, &format!("deleting {key}"))),
        }
        if let Some(dir) = path.parent() {
            fsutil::sync_dir(dir)
                .map_err(|e| StoreError::from_io(&e, &format!("syncing after deleting {key}")))?;
            fsutil::prune_empty_dirs(dir, &self.objects);
        }
        Ok(true)
    }

    fn list(&self) -> Result<Vec<EvidenceKey>, StoreError> {
        let mut files = Vec::new();
        fsutil::walk_files(&self.objects, &mut files)
            .map_err(|e| StoreError::from_io(&e, "listing evidence"))?;
        let mut keys = Vec::with_capacity(files.len());
        let mut ignored = 0usize;
        for file in files {
            if fsutil::is_hidden(&file) {
                continue;
            }
            let parsed = file
                .strip_prefix(&self.objects)
                .ok()
                .and_then(|rel| {
                    rel.components()
                        .map(|c| match c {
                            std::path::Component::Normal(s) => s.to_str(),
                            _ => None,
                        })
                        .collect::<Option<Vec<&str>>>()
                })
                .and_then(|segments| EvidenceKey::parse(&segments.join("/")).ok());
            match parsed {
                Some(key) => keys.push(key),
                None => ignored += 1,
            }
        }
        if ignored > 0 {
            tracing::warn!(
                ignored,
                "files under the evidence folder that are not evidence keys were ignored"
            );
        }
        keys.sort();
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn store_is_send_and_sync() {
        assert_send_sync::<LocalEvidenceStore>();
    }

    /// A keyring that is never reachable (a bare X session).
    struct NoKeyring;
    impl key::SecretBackend for NoKeyring {
        fn read(&self) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, String> {
            Err("no Secret Service".to_owned())
        }
        fn write(&self, _: &[u8]) -> Result<(), String> {
            Err("no Secret Service".to_owned())
        }
    }

    #[test]
    fn store_under_the_default_source_refuses_to_fall_back_to_a_key_file()
    -> Result<(), Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let root = tmp.path().join("evidence");
        let err = LocalEvidenceStore::open_with(&root, KeySource::default(), &NoKeyring).err();
        assert!(
            matches!(&err, Some(StoreError::KeyUnavailable(m)) if m.contains(KEY_SOURCE_ENV)),
            "{err:?}"
        );
        assert!(!root.join(KEY_FILE).exists());
        assert!(!root.join(MARKER_FILE).exists());
        Ok(())
    }

    #[test]
    fn store_opens_a_file_keyed_store_under_the_default_and_reports_file()
    -> Result<(), Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let first = LocalEvidenceStore::open(tmp.path(), KeySource::FileOnly)?;
        let again = LocalEvidenceStore::open_with(tmp.path(), KeySource::default(), &NoKeyring)?;
        assert_eq!(again.key_id(), first.key_id());
        assert_eq!(again.key_source(), "file");
        assert_eq!(again.key_location(), KeyLocation::File);
        assert_eq!(
            LocalEvidenceStore::key_status(tmp.path(), KeySource::default()),
            KeyStatus::Recorded(KeyLocation::File)
        );
        Ok(())
    }

    #[test]
    fn debug_hides_the_key() -> Result<(), Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let store = LocalEvidenceStore::open(tmp.path(), KeySource::FileOnly)?;
        let text = format!("{store:?}");
        assert!(text.contains(store.key_id()));
        assert!(!text.contains(&hex::encode(&store.key[..])));
        assert!(!text.contains("key: ["));
        Ok(())
    }
}
