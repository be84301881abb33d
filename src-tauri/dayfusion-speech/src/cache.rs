//! The per-phrase cache: one WAV file per voice and text, named by the
//! SHA-256 of both, in an owner-only folder.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::Voice;

/// The cache's folder under the kiosk's data folder.
pub const CACHE_DIR: &str = "speech-cache";
/// Bumped when the way a phrase is made changes (old files are then unused).
const CACHE_FORMAT: &str = "espeak-ng-wav-1";
/// The cache's size: every screen text of both languages is a few MiB;
/// past it the oldest phrases go (a phrase is at most about 11 MiB).
pub const MAX_CACHE_BYTES: u64 = 128 * 1024 * 1024;
/// How full eviction leaves the cache.
const AFTER_EVICTION_BYTES: u64 = MAX_CACHE_BYTES / 4 * 3;
const TEMP_PREFIX: &str = ".tmp-";

/// Where synthesised phrases are kept.
#[derive(Debug, Clone)]
pub struct PhraseCache {
    dir: PathBuf,
}

impl PhraseCache {
    /// The cache in `dir` (created owner-only); temporary files a crash left
    /// behind are removed.
    pub fn open(dir: impl Into<PathBuf>) -> std::io::Result<PhraseCache> {
        let dir = dir.into();
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        for entry in std::fs::read_dir(&dir)?.flatten() {
            if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(PhraseCache { dir })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the phrase `text` said by `voice` is kept.
    pub fn path_of(&self, voice: Voice, text: &str) -> PathBuf {
        let mut hash = Sha256::new();
        for part in [
            CACHE_FORMAT,
            voice.name,
            &voice.words_per_minute.to_string(),
            text,
        ] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        self.dir
            .join(format!("{}.wav", hex::encode(hash.finalize())))
    }

    /// A fresh temporary file name in the cache's folder.
    pub(crate) fn temp_path(&self) -> PathBuf {
        self.dir
            .join(format!("{TEMP_PREFIX}{}.wav", uuid::Uuid::new_v4()))
    }

    /// Makes room for the synthesised `file` by removing the oldest kept
    /// phrases when the cache would pass [`MAX_CACHE_BYTES`]; `false` when
    /// it cannot be kept (larger than the cache, or the folder unreadable).
    pub(crate) fn make_room(&self, file: &Path) -> bool {
        let Ok(size) = std::fs::metadata(file).map(|m| m.len()) else {
            return false;
        };
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return false;
        };
        let mut kept: Vec<(std::time::SystemTime, u64, PathBuf)> = entries
            .flatten()
            .filter(|e| !e.file_name().to_string_lossy().starts_with(TEMP_PREFIX))
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                if !meta.is_file() {
                    return None;
                }
                Some((meta.modified().ok()?, meta.len(), e.path()))
            })
            .collect();
        let mut total: u64 = kept.iter().map(|(_, len, _)| len).sum();
        if total + size <= MAX_CACHE_BYTES {
            return true;
        }
        if size > AFTER_EVICTION_BYTES {
            return false;
        }
        kept.sort();
        for (_, len, path) in kept {
            if total + size <= AFTER_EVICTION_BYTES {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total -= len;
            }
        }
        total + size <= MAX_CACHE_BYTES
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dayfusion_ipc::Language;

    #[test]
    fn one_file_per_voice_and_text_and_crash_leftovers_removed() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let leftover = dir.path().join("cache").join(".tmp-crashed.wav");
        std::fs::create_dir_all(dir.path().join("cache"))?;
        std::fs::write(&leftover, b"x")?;
        let cache = PhraseCache::open(dir.path().join("cache"))?;
        assert!(!leftover.exists());
        let pt = Voice::of(Language::PtBr);
        let en = Voice::of(Language::En);
        assert_eq!(cache.path_of(pt, "Olá"), cache.path_of(pt, "Olá"));
        assert_ne!(cache.path_of(pt, "Olá"), cache.path_of(en, "Olá"));
        assert_ne!(cache.path_of(pt, "Olá"), cache.path_of(pt, "Ola"));
        // Room is made by removing the oldest phrases past the budget.
        let phrase = cache.temp_path();
        std::fs::write(&phrase, b"RIFF")?;
        assert!(cache.make_room(&phrase));
        let big = cache.dir().join("old.wav");
        let file = std::fs::File::create(&big)?;
        file.set_len(MAX_CACHE_BYTES - 2)?;
        file.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(60))?;
        assert!(cache.make_room(&phrase));
        assert!(!big.exists(), "the oldest phrase made room");
        assert_eq!(
            std::fs::metadata(cache.dir())?.permissions().mode() & 0o777,
            0o700
        );
        Ok(())
    }
}
