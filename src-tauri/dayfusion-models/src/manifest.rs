//! `manifest.json`: what the models folder holds and where each file came from.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{ModelId, ModelSpec, ModelsError, Registry, fetch::write_atomic};

/// File name of the manifest inside the models folder (defined in
/// `dayfusion_core::paths`, which resolves the folder by it).
pub use dayfusion_core::paths::MODELS_MANIFEST_FILE as MANIFEST_FILE;
/// Version of the manifest's format; bumped when its shape changes (2: each
/// entry names its package's registry).
pub const FORMAT_VERSION: u32 = 2;

/// The manifest of a models folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// One entry per model, in catalogue order.
    pub models: Vec<ManifestEntry>,
}

/// One model in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManifestEntry {
    /// The model.
    pub id: ModelId,
    /// Registry of the package it came from (`npm`, `pypi`).
    pub registry: Registry,
    /// Package it came from (its name).
    pub package: String,
    /// Exact package version.
    pub version: String,
    /// File name inside the models folder.
    pub file: String,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Licence of the model.
    pub licence: String,
    /// Licence caveat, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence_note: Option<String>,
}

impl ManifestEntry {
    /// The entry describing `spec` with a file of `size` bytes.
    pub fn for_spec(spec: &ModelSpec, size: u64) -> Self {
        Self {
            id: spec.id,
            registry: spec.package.registry,
            package: spec.package.name.to_owned(),
            version: spec.package.version.to_owned(),
            file: spec.file.to_owned(),
            sha256: spec.sha256.to_owned(),
            size,
            licence: spec.licence.to_owned(),
            licence_note: spec.licence_note.map(str::to_owned),
        }
    }
}

impl Manifest {
    /// Reads `dir/manifest.json`.
    pub fn read(dir: &Path) -> Result<Self, ModelsError> {
        let path = dir.join(MANIFEST_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ModelsError::MissingManifest { path });
            }
            Err(e) => return Err(ModelsError::io("reading", &path)(e)),
        };
        serde_json::from_slice(&bytes).map_err(|e| ModelsError::BadManifest {
            path,
            reason: e.to_string(),
        })
    }

    /// The manifest for `catalogue`, sizes taken from the pins.
    pub(crate) fn for_catalogue(catalogue: &[ModelSpec]) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            models: catalogue
                .iter()
                .map(|spec| ManifestEntry::for_spec(spec, spec.size))
                .collect(),
        }
    }

    /// Writes the manifest atomically unless an identical one is there.
    pub(crate) fn write(&self, dir: &Path) -> Result<(), ModelsError> {
        let path = dir.join(MANIFEST_FILE);
        let mut json = serde_json::to_vec_pretty(self).map_err(|e| ModelsError::BadManifest {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        json.push(b'\n');
        if std::fs::read(&path).is_ok_and(|old| old == json) {
            return Ok(());
        }
        write_atomic(dir, MANIFEST_FILE, &json)
    }

    /// Fails unless the manifest lists the catalogue's models (optional ones
    /// may be missing) with their pinned package, file and checksum, and
    /// nothing else.
    pub(crate) fn check_matches(
        &self,
        path: &Path,
        catalogue: &[ModelSpec],
    ) -> Result<(), ModelsError> {
        let bad = |reason: String| ModelsError::BadManifest {
            path: path.to_path_buf(),
            reason,
        };
        if self.format_version != FORMAT_VERSION {
            return Err(bad(format!(
                "format version {} (this build reads {FORMAT_VERSION})",
                self.format_version
            )));
        }
        if let Some(stray) = self
            .models
            .iter()
            .find(|e| !catalogue.iter().any(|s| s.id == e.id))
        {
            return Err(bad(format!("model {} is not in the pack", stray.id)));
        }
        for spec in catalogue {
            let Some(entry) = self.models.iter().find(|e| e.id == spec.id) else {
                // A pack fetched before an optional entry was added.
                if spec.optional {
                    continue;
                }
                return Err(bad(format!("model {} not listed", spec.id)));
            };
            let expected = ManifestEntry::for_spec(spec, spec.size);
            if *entry != expected {
                return Err(bad(format!(
                    "entry for {} does not match the pinned catalogue",
                    spec.id
                )));
            }
        }
        Ok(())
    }
}
