//! The local evidence store on real files (always with the key file, so a
//! developer's keyring is never touched).

use std::fs;
use std::path::{Path, PathBuf};

use dayfusion_evidence::{KEY_FILE, KeySource, LocalEvidenceStore, MARKER_FILE, MAX_OBJECT_BYTES};
use dayfusion_verify::{EvidenceKey, EvidenceStore, StoreError};
use sha2::{Digest, Sha256};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn jpeg(seed: u8) -> Vec<u8> {
    let mut bytes = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00,
    ];
    // Pseudo-random body (xorshift), different per seed.
    let mut x: u32 = 0x9E37_79B9 ^ u32::from(seed);
    for _ in 0..4096 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.push((x >> 11) as u8);
    }
    bytes.extend_from_slice(&[0xFF, 0xD9]);
    bytes
}

fn key(text: &str) -> Result<EvidenceKey, Box<dyn std::error::Error>> {
    Ok(EvidenceKey::parse(text)?)
}

fn doc_key() -> Result<EvidenceKey, Box<dyn std::error::Error>> {
    key("documents/0190a6b2-7c1e-7d3a-9f00-1234567890ab/document.jpg")
}

fn open(root: &Path) -> Result<LocalEvidenceStore, StoreError> {
    LocalEvidenceStore::open(root, KeySource::FileOnly)
}

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            all_files(&entry.path(), out)?;
        } else {
            out.push(entry.path());
        }
    }
    Ok(())
}

fn object_file(root: &Path, key: &EvidenceKey) -> PathBuf {
    root.join("objects").join(key.as_str())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn round_trip_returns_the_plaintext_and_its_hash() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let store = open(tmp.path())?;
    let k = doc_key()?;
    let image = jpeg(1);
    let r = store.put(&k, &image)?;
    assert_eq!(r.key, k);
    assert_eq!(r.size, image.len() as u64);
    assert_eq!(r.sha256, hex::encode(Sha256::digest(&image)));
    assert_eq!(store.get(&k)?, image);
    assert_eq!(store.key_source(), "file");
    assert_eq!(store.key_id().len(), 16);
    Ok(())
}

#[test]
fn nothing_on_disk_reveals_the_plaintext() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let store = open(tmp.path())?;
    let image = jpeg(2);
    let digest = Sha256::digest(&image);
    let hash_hex = hex::encode(digest);
    let k1 = doc_key()?;
    let k2 = key("liveness/2f6c7f0e-8f1e-4c59-9b1a-0d3b1b7a9c11/reference.jpg")?;
    store.put(&k1, &image)?;
    store.put(&k2, &image)?;

    let mut files = Vec::new();
    all_files(tmp.path(), &mut files)?;
    assert!(files.iter().any(|f| f.ends_with(MARKER_FILE)));
    assert!(files.iter().any(|f| f.ends_with(KEY_FILE)));
    assert_eq!(files.len(), 4, "{files:?}");
    for file in &files {
        let bytes = fs::read(file)?;
        // 16-byte probes: a 3-byte magic turns up in random ciphertext
        // by chance.
        assert!(!bytes.starts_with(&[0xFF, 0xD8]), "JPEG file {file:?}");
        let middle = image.len() / 2;
        for probe in [&image[..16], &image[middle..middle + 16]] {
            assert!(!contains(&bytes, probe), "plaintext image in {file:?}");
        }
        assert!(
            !contains(&bytes, hash_hex.as_bytes()),
            "hex hash in {file:?}"
        );
        assert!(
            !contains(&bytes, hash_hex.to_uppercase().as_bytes()),
            "hex hash in {file:?}"
        );
        assert!(!contains(&bytes, &digest), "raw hash in {file:?}");
        for window in image.windows(32).step_by(7) {
            assert!(!contains(&bytes, window), "plaintext in {file:?}");
        }
    }
    // The two objects of the same plaintext differ (fresh nonce).
    assert_ne!(
        fs::read(object_file(tmp.path(), &k1))?[25..],
        fs::read(object_file(tmp.path(), &k2))?[25..]
    );
    Ok(())
}

#[test]
fn file_format_is_magic_version_key_id_nonce_ciphertext() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let store = open(tmp.path())?;
    let k = doc_key()?;
    let image = jpeg(3);
    store.put(&k, &image)?;
    let bytes = fs::read(object_file(tmp.path(), &k))?;
    assert_eq!(&bytes[..4], b"DFEV");
    assert_eq!(bytes[4], 1);
    let key_material = fs::read(tmp.path().join(KEY_FILE))?;
    assert_eq!(key_material.len(), 32);
    let key_id = &Sha256::digest(&key_material)[..8];
    assert_eq!(&bytes[5..13], key_id);
    assert_eq!(hex::encode(key_id), store.key_id());
    assert_eq!(bytes.len(), 4 + 1 + 8 + 12 + image.len() + 16);
    let marker: serde_json::Value =
        serde_json::from_slice(&fs::read(tmp.path().join(MARKER_FILE))?)?;
    assert_eq!(marker["source"], "file");
    assert_eq!(marker["keyId"], store.key_id());
    assert!(marker["createdAt"].is_string());
    Ok(())
}

#[test]
fn objects_are_write_once() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let store = open(tmp.path())?;
    let k = doc_key()?;
    let original = jpeg(4);
    store.put(&k, &original)?;
    let err = store.put(&k, &jpeg(5)).err();
    assert!(matches!(err, Some(StoreError::AlreadyExists(_))), "{err:?}");
    assert_eq!(store.get(&k)?, original);
    // No temp file was left behind.
    assert_eq!(store.sweep_temp_files()?, 0);
    Ok(())
}

#[test]
fn tampering_is_detected() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let store = open(tmp.path())?;
    let a = key("liveness/session-1/audit_0.jpg")?;
    let b = key("liveness/session-1/audit_1.jpg")?;
    store.put(&a, &jpeg(6))?;
    store.put(&b, &jpeg(7))?;

    // Copying A over B: the AAD (key string) no longer matches.
    let a_bytes = fs::read(object_file(tmp.path(), &a))?;
    let b_path = object_file(tmp.path(), &b);
    fs::remove_file(&b_path)?;
    fs::write(&b_path, &a_bytes)?;
    let err = store.get(&b).err();
    assert!(matches!(err, Some(StoreError::Corrupt(_))), "{err:?}");

    // One flipped byte anywhere in the ciphertext or nonce.
    for offset in [13, 30, a_bytes.len() - 1] {
        let mut bad = a_bytes.clone();
        bad[offset] ^= 0x01;
        let a_path = object_file(tmp.path(), &a);
        fs::remove_file(&a_path)?;
        fs::write(&a_path, &bad)?;
        let err = store.get(&a).err();
        assert!(
            matches!(err, Some(StoreError::Corrupt(_))),
            "{offset}: {err:?}"
        );
    }

    // Bad magic, truncation.
    let a_path = object_file(tmp.path(), &a);
    fs::remove_file(&a_path)?;
    fs::write(&a_path, b"JUNK")?;
    assert!(matches!(store.get(&a), Err(StoreError::Corrupt(_))));
    let mut bad = a_bytes.clone();
    bad[0] = b'X';
    fs::remove_file(&a_path)?;
    fs::write(&a_path, &bad)?;
    assert!(matches!(store.get(&a), Err(StoreError::Corrupt(_))));

    // Another key id in the header.
    let mut bad = a_bytes.clone();
    bad[6] ^= 0xFF;
    fs::remove_file(&a_path)?;
    fs::write(&a_path, &bad)?;
    let err = store.get(&a).err();
    assert!(
        matches!(err, Some(StoreError::KeyUnavailable(_))),
        "{err:?}"
    );

    // Absent.
    let err = store.get(&key("liveness/session-1/audit_9.jpg")?).err();
    assert!(matches!(err, Some(StoreError::NotFound(_))), "{err:?}");
    Ok(())
}

#[test]
fn oversized_files_are_refused_on_read() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let store = open(tmp.path())?;
    let k = doc_key()?;
    store.put(&k, b"small")?;
    let path = object_file(tmp.path(), &k);
    let file = fs::OpenOptions::new().write(true).open(&path)?;
    file.set_len(MAX_OBJECT_BYTES + 4096)?; // sparse
    drop(file);
    let err = store.get(&k).err();
    assert!(matches!(err, Some(StoreError::Corrupt(_))), "{err:?}");
    Ok(())
}

#[test]
fn reopening_and_key_problems() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().join("evidence");
    let k = doc_key()?;
    let image = jpeg(8);
    let id = {
        let store = open(&root)?;
        store.put(&k, &image)?;
        store.key_id().to_owned()
    };

    // A new instance reads old objects.
    let store = open(&root)?;
    assert_eq!(store.key_id(), id);
    assert_eq!(store.get(&k)?, image);
    drop(store);

    // Another key in evidence.key: id mismatch.
    let key_path = root.join(KEY_FILE);
    let original_key = fs::read(&key_path)?;
    let mut other = original_key.clone();
    other[0] ^= 0xFF;
    fs::write(&key_path, &other)?;
    let err = open(&root).err();
    assert!(
        matches!(err, Some(StoreError::KeyUnavailable(_))),
        "{err:?}"
    );
    fs::write(&key_path, &original_key)?;
    open(&root)?;

    // A key file others can read.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&key_path, fs::Permissions::from_mode(0o644))?;
        let err = open(&root).err();
        assert!(
            matches!(err, Some(StoreError::KeyUnavailable(_))),
            "{err:?}"
        );
        fs::set_permissions(&key_path, fs::Permissions::from_mode(0o600))?;
        open(&root)?;
    }

    // Missing key file.
    fs::rename(&key_path, root.join("moved.key"))?;
    let err = open(&root).err();
    assert!(
        matches!(err, Some(StoreError::KeyUnavailable(_))),
        "{err:?}"
    );
    fs::rename(root.join("moved.key"), &key_path)?;

    // The key record refers to the keyring: FileOnly refuses it.
    let marker_path = root.join(MARKER_FILE);
    let marker = fs::read(&marker_path)?;
    let mut as_keyring: serde_json::Value = serde_json::from_slice(&marker)?;
    as_keyring["source"] = "keyring".into();
    fs::write(&marker_path, serde_json::to_vec(&as_keyring)?)?;
    let err = open(&root).err();
    assert!(
        matches!(err, Some(StoreError::KeyUnavailable(_))),
        "{err:?}"
    );
    fs::write(&marker_path, &marker)?;

    // No key record while evidence exists: refuse, and do not make a key.
    fs::remove_file(&marker_path)?;
    let err = open(&root).err();
    assert!(
        matches!(err, Some(StoreError::KeyUnavailable(_))),
        "{err:?}"
    );
    assert!(!marker_path.exists());
    assert_eq!(fs::read(&key_path)?, original_key);
    Ok(())
}

#[test]
fn an_orphan_key_file_of_an_empty_store_is_adopted() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let first = open(tmp.path())?;
    let id = first.key_id().to_owned();
    drop(first);
    // As if the process died between writing the key and the record.
    fs::remove_file(tmp.path().join(MARKER_FILE))?;
    let again = open(tmp.path())?;
    assert_eq!(again.key_id(), id);
    Ok(())
}

#[cfg(unix)]
#[test]
fn read_only_folder_gives_not_writable_and_keeps_objects_readable() -> TestResult {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir()?;
    let store = open(tmp.path())?;
    let k = doc_key()?;
    let image = jpeg(9);
    store.put(&k, &image)?;

    // Root bypasses permissions: probe.
    let probe = tmp.path().join("probe");
    fs::create_dir(&probe)?;
    fs::set_permissions(&probe, fs::Permissions::from_mode(0o500))?;
    let is_root = fs::write(probe.join("x"), b"x").is_ok();
    fs::set_permissions(&probe, fs::Permissions::from_mode(0o700))?;
    if is_root {
        eprintln!("skipped: running as root");
        return Ok(());
    }

    let objects = tmp.path().join("objects");
    let mut dirs = vec![objects.clone()];
    let mut all = Vec::new();
    all_files(&objects, &mut all)?;
    for file in &all {
        let mut dir = file.parent();
        while let Some(d) = dir {
            if !d.starts_with(&objects) {
                break;
            }
            dirs.push(d.to_path_buf());
            dir = d.parent();
        }
    }
    dirs.sort();
    dirs.dedup();
    for dir in &dirs {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o500))?;
    }

    let same_folder = key("documents/0190a6b2-7c1e-7d3a-9f00-1234567890ab/other.jpg")?;
    let new_folder = key("liveness/session-2/reference.jpg")?;
    let r1 = store.put(&same_folder, &image).err();
    let r2 = store.put(&new_folder, &image).err();
    let read = store.get(&k);
    let listed = store.list();

    for dir in dirs.iter().rev() {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    assert!(matches!(r1, Some(StoreError::NotWritable(_))), "{r1:?}");
    assert!(matches!(r2, Some(StoreError::NotWritable(_))), "{r2:?}");
    assert_eq!(read?, image);
    assert_eq!(listed?, vec![k]);
    assert_eq!(store.sweep_temp_files()?, 0);
    Ok(())
}

#[test]
fn too_large_objects_are_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let store = open(tmp.path())?;
    let big = vec![0u8; usize::try_from(MAX_OBJECT_BYTES)? + 1];
    let err = store.put(&doc_key()?, &big).err();
    assert!(
        matches!(err, Some(StoreError::TooLarge(n)) if n == MAX_OBJECT_BYTES + 1),
        "{err:?}"
    );
    assert!(store.list()?.is_empty());
    Ok(())
}

#[test]
fn delete_list_and_temp_files() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let store = open(tmp.path())?;
    let keys = [
        key("liveness/s2/reference.jpg")?,
        key("documents/t1/document.jpg")?,
        key("liveness/s1/audit_1.jpg")?,
        key("liveness/s1/audit_0.jpg")?,
    ];
    for (i, k) in keys.iter().enumerate() {
        store.put(k, &jpeg(u8::try_from(i)?))?;
    }
    let mut sorted = keys.to_vec();
    sorted.sort();
    assert_eq!(store.list()?, sorted);

    // Leftovers of an interrupted write and a stray file are not listed.
    let dir = tmp.path().join("objects/liveness/s1");
    fs::write(dir.join(".tmp-0000"), b"partial")?;
    fs::create_dir_all(tmp.path().join("objects/liveness/s9"))?;
    fs::write(tmp.path().join("objects/liveness/s9/.tmp-1111"), b"partial")?;
    fs::write(tmp.path().join(".tmp-2222"), b"partial marker")?;
    fs::write(tmp.path().join("objects/stray file"), b"?")?;
    assert_eq!(store.list()?, sorted);
    assert_eq!(store.sweep_temp_files()?, 3);
    assert!(!dir.join(".tmp-0000").exists());
    assert!(!tmp.path().join("objects/liveness/s9").exists());
    assert_eq!(store.sweep_temp_files()?, 0);
    assert_eq!(store.list()?, sorted);

    // Delete: true, then false; empty folders go.
    let gone = &keys[0];
    assert!(store.delete(gone)?);
    assert!(!store.delete(gone)?);
    assert!(!tmp.path().join("objects/liveness/s2").exists());
    assert!(tmp.path().join("objects/liveness").exists());
    assert!(matches!(store.get(gone), Err(StoreError::NotFound(_))));
    sorted.retain(|k| k != gone);
    assert_eq!(store.list()?, sorted);
    // Deleted keys can be written again.
    store.put(gone, b"again")?;
    assert_eq!(store.get(gone)?, b"again");
    Ok(())
}

#[cfg(unix)]
#[test]
fn modes_are_owner_only() -> TestResult {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().join("evidence");
    let store = open(&root)?;
    store.put(&doc_key()?, &jpeg(10))?;
    let mode =
        |p: &Path| -> std::io::Result<u32> { Ok(fs::metadata(p)?.permissions().mode() & 0o777) };
    assert_eq!(mode(&root)?, 0o700);
    assert_eq!(mode(&root.join("objects"))?, 0o700);
    assert_eq!(mode(&root.join("objects/documents"))?, 0o700);
    assert_eq!(
        mode(&root.join("objects/documents/0190a6b2-7c1e-7d3a-9f00-1234567890ab"))?,
        0o700
    );
    assert_eq!(mode(&object_file(&root, &doc_key()?))?, 0o600);
    assert_eq!(mode(&root.join(KEY_FILE))?, 0o600);
    assert_eq!(mode(&root.join(MARKER_FILE))?, 0o600);
    Ok(())
}

#[test]
fn store_is_usable_as_a_trait_object() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let store: std::sync::Arc<dyn EvidenceStore> = std::sync::Arc::new(open(tmp.path())?);
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let store = store.clone();
            std::thread::spawn(move || -> Result<(), StoreError> {
                let k = EvidenceKey::liveness_audit("concurrent", i)
                    .map_err(|e| StoreError::Other(e.to_string()))?;
                store.put(&k, &[i as u8; 100])?;
                Ok(())
            })
        })
        .collect();
    for handle in handles {
        handle.join().map_err(|_| "thread panicked")??;
    }
    assert_eq!(store.list()?.len(), 4);
    Ok(())
}

#[test]
fn open_existing_reads_a_store_and_never_creates_one() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().join("evidence");

    // No folder at all: NotFound, and nothing is created.
    let err = LocalEvidenceStore::open_existing(&root, KeySource::FileOnly).err();
    assert!(matches!(err, Some(StoreError::NotFound(_))), "{err:?}");
    assert!(!root.exists());
    // An empty folder: NotFound, and it stays empty.
    fs::create_dir(&root)?;
    let err = LocalEvidenceStore::open_existing(&root, KeySource::Keyring).err();
    assert!(matches!(err, Some(StoreError::NotFound(_))), "{err:?}");
    assert_eq!(fs::read_dir(&root)?.count(), 0);

    // A store made by `open`: its objects read back under the same key.
    let k = doc_key()?;
    let image = jpeg(11);
    let id = {
        let store = open(&root)?;
        store.put(&k, &image)?;
        store.key_id().to_owned()
    };
    let existing = LocalEvidenceStore::open_existing(&root, KeySource::FileOnly)?;
    assert_eq!(existing.key_id(), id);
    assert_eq!(existing.key_source(), "file");
    assert_eq!(existing.get(&k)?, image);
    assert_eq!(existing.list()?, vec![k.clone()]);
    drop(existing);

    // Without objects/ it opens, lists nothing and creates no folder.
    fs::remove_dir_all(root.join("objects"))?;
    let existing = LocalEvidenceStore::open_existing(&root, KeySource::FileOnly)?;
    assert!(existing.list()?.is_empty());
    assert!(matches!(existing.get(&k), Err(StoreError::NotFound(_))));
    assert!(!root.join("objects").exists());
    drop(existing);

    // A lost key file is not replaced by a new one.
    let key_path = root.join(KEY_FILE);
    fs::rename(&key_path, root.join("moved.key"))?;
    let err = LocalEvidenceStore::open_existing(&root, KeySource::FileOnly).err();
    assert!(
        matches!(err, Some(StoreError::KeyUnavailable(_))),
        "{err:?}"
    );
    assert!(!key_path.exists());

    // No key record (even with a key file): NotFound, no record written.
    fs::rename(root.join("moved.key"), &key_path)?;
    fs::remove_file(root.join(MARKER_FILE))?;
    let err = LocalEvidenceStore::open_existing(&root, KeySource::FileOnly).err();
    assert!(matches!(err, Some(StoreError::NotFound(_))), "{err:?}");
    assert!(!root.join(MARKER_FILE).exists());
    Ok(())
}

#[test]
fn put_creates_missing_folders_level_by_level() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().join("evidence");
    let store = open(&root)?;
    let first = key("liveness/session-1/reference.jpg")?;
    let second = key("liveness/session-1/audit_0.jpg")?;
    let third = key("liveness/session-2/audit_0.jpg")?;
    for (i, k) in [&first, &second, &third].into_iter().enumerate() {
        store.put(k, &jpeg(20 + i as u8))?;
    }
    for (i, k) in [&first, &second, &third].into_iter().enumerate() {
        assert_eq!(store.get(k)?, jpeg(20 + i as u8));
    }
    assert!(root.join("objects/liveness/session-2").is_dir());
    // A file where a folder is needed is an error, not a crash.
    fs::write(root.join("objects/documents"), b"not a folder")?;
    let err = store.put(&doc_key()?, &jpeg(30)).err();
    assert!(err.is_some(), "{err:?}");
    Ok(())
}
