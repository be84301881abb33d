//! What can go wrong with the model pack; every message ends with the fix.

use std::path::PathBuf;

use crate::{MODELS_DIR_ENV, ModelId, NPM_ENV, PIP_ENV, Registry};

/// The command that (re)creates the model pack, quoted in every fix.
pub const FETCH_COMMAND: &str = "dayfusion models fetch";

/// Errors of the model pack.
#[derive(Debug, thiserror::Error)]
pub enum ModelsError {
    /// The models folder does not exist.
    #[error(
        "no models folder at {}; run `{FETCH_COMMAND}` (or set {MODELS_DIR_ENV} to the folder that holds the models)",
        dir.display()
    )]
    MissingDir {
        /// The folder that was looked for.
        dir: PathBuf,
    },

    /// The folder exists but has no `manifest.json`.
    #[error("no model manifest at {}; run `{FETCH_COMMAND}`", path.display())]
    MissingManifest {
        /// Where the manifest was looked for.
        path: PathBuf,
    },

    /// The manifest cannot be read, or disagrees with the pinned catalogue.
    #[error("model manifest {} is not usable: {reason}; run `{FETCH_COMMAND}` to rewrite it", path.display())]
    BadManifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// A model file is missing from the folder.
    #[error("model {id} is missing ({}); run `{FETCH_COMMAND}`", path.display())]
    MissingFile {
        /// The model.
        id: ModelId,
        /// Where its file should be.
        path: PathBuf,
    },

    /// A model file on disk does not have the pinned SHA-256.
    #[error(
        "model {id} at {} is corrupt: expected sha256 {expected}, found {actual}; run `{FETCH_COMMAND}` to replace it",
        path.display()
    )]
    CorruptFile {
        /// The model.
        id: ModelId,
        /// The file.
        path: PathBuf,
        /// Pinned SHA-256.
        expected: String,
        /// SHA-256 of the file's bytes.
        actual: String,
    },

    /// The bytes in the downloaded package do not have the pinned SHA-256.
    #[error(
        "{registry} package {package} does not hold the pinned model {id} ({entry}): expected sha256 {expected}, got {actual}; nothing was written; \
         {}, then run `{FETCH_COMMAND}` again; \
         if the package really changed, the pin in dayfusion-models must be reviewed",
        checksum_fix(*registry)
    )]
    PackageChecksum {
        /// The model.
        id: ModelId,
        /// The registry the package came from.
        registry: Registry,
        /// The package's spec (`name@version`, `name==version`).
        package: String,
        /// Archive entry the bytes came from.
        entry: String,
        /// Pinned SHA-256.
        expected: String,
        /// SHA-256 of the bytes found.
        actual: String,
    },

    /// npm could not be started.
    #[error(
        "could not run npm (`{program}`): {cause}; install Node.js with npm, or set {NPM_ENV} to the npm binary, then run `{FETCH_COMMAND}` again"
    )]
    NpmMissing {
        /// The program that was tried.
        program: String,
        /// Why it did not start (in the message, so not a `source`).
        cause: std::io::Error,
    },

    /// `npm pack` ran and failed.
    #[error(
        "`npm pack {package}` failed ({status}): {stderr}; check that npm reaches its registry (`npm config get registry`, proxy settings) and run `{FETCH_COMMAND}` again"
    )]
    NpmFailed {
        /// `name@version` of the package (an npm package).
        package: String,
        /// Exit status as text.
        status: String,
        /// What npm wrote on stderr (trimmed).
        stderr: String,
    },

    /// `npm pack` succeeded but left no tarball.
    #[error(
        "`npm pack {package}` left no .tgz in {}; check the npm version (`npm --version`, 7 or later) and run `{FETCH_COMMAND}` again",
        dir.display()
    )]
    NoTarball {
        /// `name@version` of the package.
        package: String,
        /// The folder npm was told to write into.
        dir: PathBuf,
    },

    /// The tarball cannot be read as gzip + tar.
    #[error("package tarball {} of {package} is unreadable: {reason}; run `npm cache verify`, then `{FETCH_COMMAND}` again", path.display())]
    BadTarball {
        /// `name@version` of the package (an npm package).
        package: String,
        /// The tarball.
        path: PathBuf,
        /// What failed.
        reason: String,
    },

    /// pip could not be started, or the Python it runs under has no pip.
    #[error(
        "could not run pip (`{program}`): {cause}; install pip (Debian: `apt install python3-pip`), or set {PIP_ENV} to a pip program (e.g. a virtualenv's bin/pip), then run `{FETCH_COMMAND}` again"
    )]
    PipMissing {
        /// The command that was tried (`python3 -m pip`, or `DAYFUSION_PIP`).
        program: String,
        /// Why it did not start (in the message, so not a `source`).
        cause: std::io::Error,
    },

    /// `pip download` ran and failed.
    #[error(
        "`pip download {package}` failed ({status}): {stderr}; check that pip reaches its package index (`pip config list`: index-url, proxy settings) and run `{FETCH_COMMAND}` again"
    )]
    PipFailed {
        /// `name==version` of the package (a PyPI package).
        package: String,
        /// Exit status as text.
        status: String,
        /// What pip wrote on stderr (trimmed).
        stderr: String,
    },

    /// `pip download` succeeded but did not leave exactly one wheel.
    #[error(
        "`pip download {package}` left {found} wheel files (.whl) in {}, expected exactly one; check that the program run as pip is pip (`pip --version`; {PIP_ENV} if set) and run `{FETCH_COMMAND}` again",
        dir.display()
    )]
    NoWheel {
        /// `name==version` of the package (a PyPI package).
        package: String,
        /// The folder pip was told to write into.
        dir: PathBuf,
        /// How many `.whl` files were there.
        found: usize,
    },

    /// The wheel cannot be read as a zip archive.
    #[error(
        "package wheel {} of {package} is unreadable: {reason}; check which index pip uses (`pip config list`: index-url, proxy settings; a proxy's error page is not a wheel), then run `{FETCH_COMMAND}` again",
        path.display()
    )]
    BadWheel {
        /// `name==version` of the package (a PyPI package).
        package: String,
        /// The wheel.
        path: PathBuf,
        /// What failed.
        reason: String,
    },

    /// A package source was asked for a package of a registry it does not serve.
    #[error(
        "the {client} source cannot fetch {package}, a {registry} package (a caller passed a single-registry source to fetch_from); run `{FETCH_COMMAND}`, which picks npm or pip by each package's registry"
    )]
    WrongRegistry {
        /// The client of the source that was asked (`npm`, `pip`).
        client: &'static str,
        /// The package's spec.
        package: String,
        /// The package's registry.
        registry: Registry,
    },

    /// The package's archive lacks the entry the catalogue points at.
    #[error(
        "{registry} package {package} has no file {entry} (needed for model {id}); the pin in dayfusion-models is wrong or {} served another package: {}, then run `{FETCH_COMMAND}` again",
        registry.client(),
        index_check(*registry)
    )]
    MissingEntry {
        /// The model.
        id: ModelId,
        /// The registry the package came from.
        registry: Registry,
        /// The package's spec (`name@version`, `name==version`).
        package: String,
        /// The missing entry.
        entry: String,
    },

    /// The pinned byte range lies outside the archive entry.
    #[error(
        "{registry} package {package}: bytes {start}..{end} of {entry} (model {id}) do not exist, the entry has {len} bytes; the pin in dayfusion-models is wrong or {} served another package: {}, then run `{FETCH_COMMAND}` again",
        registry.client(),
        index_check(*registry)
    )]
    RangeOutOfBounds {
        /// The model.
        id: ModelId,
        /// The registry the package came from.
        registry: Registry,
        /// The package's spec (`name@version`, `name==version`).
        package: String,
        /// The entry.
        entry: String,
        /// Pinned start.
        start: u64,
        /// Pinned end.
        end: u64,
        /// Real length of the entry.
        len: u64,
    },

    /// Reading or writing a file failed.
    #[error("{action} {}: {cause}; check the folder's permissions and free space, then run `{FETCH_COMMAND}` again", path.display())]
    Io {
        /// What was being done ("writing", "reading", ...).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The underlying error (in the message, so not a `source`).
        cause: std::io::Error,
    },

    /// No models folder given and none could be derived from the kiosk's data folder.
    #[error("{0}; or set {MODELS_DIR_ENV}, or pass --dir")]
    NoDataDir(dayfusion_core::paths::PathsError),
}

/// How to see where a registry's client downloads from.
fn index_check(registry: Registry) -> &'static str {
    match registry {
        Registry::Npm => "check which registry npm uses (`npm config get registry`)",
        Registry::Pypi => {
            "check which index pip uses (`pip config list`: index-url, extra-index-url, find-links)"
        }
    }
}

/// The fix for a package whose bytes are not the pinned ones: the source,
/// and npm's cache (pip runs with `--no-cache-dir`, so it has none to check).
fn checksum_fix(registry: Registry) -> String {
    match registry {
        Registry::Npm => format!("{}, run `npm cache verify`", index_check(registry)),
        Registry::Pypi => index_check(registry).to_owned(),
    }
}

impl ModelsError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |cause| ModelsError::Io {
            action,
            path,
            cause,
        }
    }
}
