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
/// Enough for every screen text in both languages many times over; past it
/// phrases are still said, only not kept.
const MAX_ENTRIES: usize = 2000;
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

    /// Whether another phrase may be kept.
    pub(crate) fn has_room(&self) -> bool {
        std::fs::read_dir(&self.dir)
            .map(|entries| entries.count() < MAX_ENTRIES)
            .unwrap_or(false)
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
        assert!(cache.has_room());
        assert_eq!(
            std::fs::metadata(cache.dir())?.permissions().mode() & 0o777,
            0o700
        );
        Ok(())
    }
}
