//! The two runtimes that run the face engine's models behind one
//! [`OnnxPlan`]: tract (pure Rust, always available) and ONNX Runtime (the
//! model pack's `libonnxruntime`, several times faster on x86-64). The ONNX
//! models (YuNet, SFace) are fed to both as the same graph, SFace's
//! block-quantized weights folded to fp32 by [`crate::onnx`]; the MediaPipe
//! `.tflite` models run on tract as they are and on ONNX Runtime translated
//! by [`crate::tflite_onnx`]. Every path is checked against the reference
//! runtimes' outputs (`tests/reference.rs`, `tests/onnx_reference.rs`).
//!
//! ONNX Runtime is loaded once per process from the model pack (its
//! SHA-256 verified first). Where it is missing or will not load (another
//! CPU architecture, an old C++ library), [`RuntimeChoice::Auto`] falls back
//! to tract and says so in the log (MobileFaceNet, face engine v1, always
//! runs on tract).

use std::path::Path;
use std::sync::{Mutex, OnceLock, PoisonError};

use serde::Serialize;
use tract_onnx::prelude::{TValue, Tensor, tvec};

use crate::error::FaceError;
use crate::tflite::RunnableTract;
use dayfusion_models::ModelId;

/// Environment variable that picks the ONNX runtime: `tract`,
/// `onnxruntime`, or `auto` (the default).
pub const ONNX_RUNTIME_ENV: &str = "DAYFUSION_ONNX_RUNTIME";

/// Which runtime to run the ONNX models on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RuntimeChoice {
    /// ONNX Runtime when the model pack has it and it loads, else tract.
    #[default]
    Auto,
    /// tract only.
    Tract,
    /// ONNX Runtime only: an error where it cannot load.
    OnnxRuntime,
}

impl RuntimeChoice {
    /// The choice in [`ONNX_RUNTIME_ENV`] (any case); [`RuntimeChoice::Auto`]
    /// when unset, and when the value is not one of the three (logged: a
    /// typo in the kiosk's environment must not stop it verifying anyone).
    pub fn from_env() -> Self {
        match std::env::var(ONNX_RUNTIME_ENV) {
            Ok(value) => value.parse().unwrap_or_else(|e| {
                tracing::warn!(error = %e, "ignoring {ONNX_RUNTIME_ENV}; using auto");
                RuntimeChoice::Auto
            }),
            Err(_) => RuntimeChoice::Auto,
        }
    }
}

impl std::str::FromStr for RuntimeChoice {
    type Err = FaceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Ok(RuntimeChoice::Auto),
            "tract" => Ok(RuntimeChoice::Tract),
            "onnxruntime" => Ok(RuntimeChoice::OnnxRuntime),
            _ => Err(FaceError::UnknownRuntime(s.trim().to_owned())),
        }
    }
}

/// The runtime a loaded engine uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnnxBackend {
    /// tract, in-process Rust.
    Tract,
    /// ONNX Runtime, the model pack's shared library.
    #[serde(rename = "onnxruntime")]
    OnnxRuntime,
}

impl OnnxBackend {
    /// Resolves `choice` against the model pack in `models_dir`: loads ONNX
    /// Runtime where chosen and possible.
    pub fn resolve(choice: RuntimeChoice, models_dir: &Path) -> Result<Self, FaceError> {
        match choice {
            RuntimeChoice::Tract => Ok(OnnxBackend::Tract),
            RuntimeChoice::OnnxRuntime => {
                environment(models_dir)?;
                Ok(OnnxBackend::OnnxRuntime)
            }
            RuntimeChoice::Auto => match environment(models_dir) {
                Ok(_) => Ok(OnnxBackend::OnnxRuntime),
                Err(e) => {
                    tracing::warn!(error = %e, "ONNX Runtime unavailable; the face engine runs on tract");
                    Ok(OnnxBackend::Tract)
                }
            },
        }
    }

    /// Name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            OnnxBackend::Tract => "tract",
            OnnxBackend::OnnxRuntime => "onnxruntime",
        }
    }
}

/// The process's ONNX Runtime environment, once the library has loaded.
static ENVIRONMENT: OnceLock<ort::environment::Environment> = OnceLock::new();
/// Why the library would not load, once it has been tried: a failed
/// `dlopen` is not retried. A library that is missing or fails its SHA-256
/// check is not remembered, so a later `models fetch` takes effect at the
/// next engine load.
static LOAD_FAILURE: OnceLock<String> = OnceLock::new();
/// Serialises the first load (one environment per process).
static LOADING: Mutex<()> = Mutex::new(());

/// Loads ONNX Runtime from the model pack in `models_dir` (SHA-256
/// verified) on the first successful call; later calls return it.
fn environment(models_dir: &Path) -> Result<&'static ort::environment::Environment, FaceError> {
    let unavailable = FaceError::OnnxRuntimeUnavailable;
    let _loading = LOADING.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(env) = ENVIRONMENT.get() {
        return Ok(env);
    }
    if let Some(reason) = LOAD_FAILURE.get() {
        return Err(unavailable(reason.clone()));
    }
    // Absolute, so the file checked is the file opened (ort resolves a
    // relative path against the executable's folder first).
    let models_dir = std::path::absolute(models_dir).map_err(|e| unavailable(e.to_string()))?;
    let library = dayfusion_models::path(&models_dir, ModelId::OnnxRuntime)
        .map_err(|e| unavailable(e.to_string()))?;
    let built = ort::init_from(&library)
        .map_err(|e| e.to_string())
        .and_then(|builder| {
            builder
                .with_name("dayfusion-face")
                .with_telemetry(false)
                .build()
                .map_err(|e| e.to_string())
        });
    match built {
        Ok(env) => Ok(ENVIRONMENT.get_or_init(|| env)),
        Err(reason) => {
            let _ = LOAD_FAILURE.set(reason.clone());
            Err(unavailable(reason))
        }
    }
}

/// The environment [`OnnxBackend::resolve`] loaded, if it did.
fn loaded_environment() -> Result<&'static ort::environment::Environment, FaceError> {
    ENVIRONMENT.get().ok_or_else(|| {
        FaceError::OnnxRuntimeUnavailable(
            "not loaded: resolve the backend against a model pack first".to_owned(),
        )
    })
}

/// One model (ONNX, or a `.tflite` one translated) loaded on one runtime:
/// one f32 input in, every output (as f32, graph order) out.
pub(crate) enum OnnxPlan {
    Tract(RunnableTract),
    OnnxRuntime(Mutex<ort::session::Session>),
}

impl OnnxPlan {
    /// Loads the ONNX `bytes` of `model` on `backend` with its input fixed
    /// to `input_shape`.
    pub(crate) fn load(
        model: ModelId,
        bytes: &[u8],
        input_shape: &[usize],
        backend: OnnxBackend,
    ) -> Result<Self, FaceError> {
        match backend {
            OnnxBackend::Tract => Ok(OnnxPlan::Tract(crate::onnx::load_model(
                model,
                bytes,
                input_shape,
            )?)),
            OnnxBackend::OnnxRuntime => {
                let graph = crate::onnx::graph_for_runtime(bytes)
                    .map_err(|source| FaceError::OnnxLoad { model, source })?;
                ort_session(model, &graph, input_shape)
            }
        }
    }

    /// Loads the `.tflite` `bytes` of `model` on `backend`: as they are on
    /// tract, translated to ONNX ([`crate::tflite_onnx`]) for ONNX Runtime.
    pub(crate) fn load_tflite(
        model: ModelId,
        bytes: &[u8],
        input_shape: &[usize],
        backend: OnnxBackend,
    ) -> Result<Self, FaceError> {
        match backend {
            OnnxBackend::Tract => Ok(OnnxPlan::Tract(crate::tflite::load_model(model, bytes)?)),
            OnnxBackend::OnnxRuntime => {
                let graph = crate::tflite_onnx::tflite_to_onnx_bytes(bytes)
                    .map_err(|source| FaceError::ModelLoad { model, source })?;
                ort_session(model, &graph, input_shape)
            }
        }
    }

    /// Which runtime this plan runs on.
    pub(crate) fn backend(&self) -> OnnxBackend {
        match self {
            OnnxPlan::Tract(_) => OnnxBackend::Tract,
            OnnxPlan::OnnxRuntime(_) => OnnxBackend::OnnxRuntime,
        }
    }

    /// Runs the model on one input of `shape`; returns every output's
    /// values in the graph's output order.
    pub(crate) fn run(&self, shape: &[usize], input: &[f32]) -> Result<Vec<Vec<f32>>, FaceError> {
        match self {
            OnnxPlan::Tract(plan) => {
                let inference =
                    |e: tract_onnx::prelude::TractError| FaceError::Inference(format!("{e:#}"));
                let tensor = Tensor::from_shape(shape, input).map_err(inference)?;
                let outputs = plan.run(tvec!(TValue::from(tensor))).map_err(inference)?;
                outputs
                    .iter()
                    .map(|o| {
                        o.to_plain_array_view::<f32>()
                            .map(|v| v.iter().copied().collect())
                            .map_err(inference)
                    })
                    .collect()
            }
            OnnxPlan::OnnxRuntime(session) => {
                let inference = |e: ort::Error| FaceError::Inference(e.to_string());
                let tensor =
                    ort::value::TensorRef::from_array_view((shape, input)).map_err(inference)?;
                // A panic elsewhere while the lock was held leaves the
                // session itself intact.
                let mut session = session.lock().unwrap_or_else(PoisonError::into_inner);
                let outputs = session.run(ort::inputs![tensor]).map_err(inference)?;
                outputs
                    .values()
                    .map(|value| {
                        value
                            .try_extract_tensor::<f32>()
                            .map(|(_, data)| data.to_vec())
                            .map_err(inference)
                    })
                    .collect()
            }
        }
    }
}

/// An ONNX Runtime session for the ONNX `graph` of `model`, run once on
/// zeros of `input_shape` before it is returned: a graph that loads but
/// will not run fails here, as a load failure, so [`RuntimeChoice::Auto`]
/// can still fall back to tract.
fn ort_session(model: ModelId, graph: &[u8], input_shape: &[usize]) -> Result<OnnxPlan, FaceError> {
    let load = |reason: String| FaceError::OnnxRuntimeLoad { model, reason };
    let env = loaded_environment()?;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get().min(4))
        .unwrap_or(1);
    let session = ort::session::Session::builder(env)
        .map_err(|e| load(e.to_string()))?
        .with_optimization_level(ort::session::builder::GraphOptimizationLevel::All)
        .map_err(|e| load(e.to_string()))?
        .with_intra_threads(threads)
        .map_err(|e| load(e.to_string()))?
        // The webview shares the CPU: no busy-waiting threads.
        .with_intra_op_spinning(false)
        .map_err(|e| load(e.to_string()))?
        .commit_from_memory(graph)
        .map_err(|e| load(e.to_string()))?;
    let plan = OnnxPlan::OnnxRuntime(Mutex::new(session));
    let zeros = vec![0.0f32; input_shape.iter().product()];
    plan.run(input_shape, &zeros)
        .map_err(|e| load(format!("a first run failed: {e}")))?;
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_choices_parse_and_unknown_ones_are_refused() {
        assert!(matches!("".parse(), Ok(RuntimeChoice::Auto)));
        assert!(matches!("auto".parse(), Ok(RuntimeChoice::Auto)));
        assert!(matches!(" tract ".parse(), Ok(RuntimeChoice::Tract)));
        assert!(matches!(
            "onnxruntime".parse(),
            Ok(RuntimeChoice::OnnxRuntime)
        ));
        assert!(matches!(
            "ONNXRuntime".parse(),
            Ok(RuntimeChoice::OnnxRuntime)
        ));
        let err = "cuda".parse::<RuntimeChoice>().err();
        assert!(
            matches!(&err, Some(FaceError::UnknownRuntime(name)) if name == "cuda"),
            "{err:?}"
        );
    }
}
