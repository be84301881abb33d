//! A library in the models folder whose SHA-256 is not the pinned one is
//! never loaded: ONNX Runtime is refused with a clear error, and the
//! default choice falls back to tract. Its own test binary, because ONNX
//! Runtime is loaded (or refused) once per process.

use dayfusion_face::{FaceError, OnnxBackend, RuntimeChoice};
use dayfusion_models::ModelId;

#[test]
fn a_tampered_onnx_runtime_library_is_refused_and_auto_falls_back_to_tract()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    // Anything but the pinned bytes: dlopen would run its constructors.
    std::fs::write(
        dir.path().join(ModelId::OnnxRuntime.spec().file),
        b"\x7fELF not the pinned library",
    )?;
    let err = OnnxBackend::resolve(RuntimeChoice::OnnxRuntime, dir.path())
        .err()
        .ok_or("a tampered library was loaded")?;
    assert!(matches!(err, FaceError::OnnxRuntimeUnavailable(_)), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("sha256") || message.contains("SHA-256"),
        "{message}"
    );
    assert!(
        message.contains("DAYFUSION_ONNX_RUNTIME=tract"),
        "{message}"
    );
    assert_eq!(
        OnnxBackend::resolve(RuntimeChoice::Auto, dir.path())?,
        OnnxBackend::Tract
    );
    assert_eq!(
        OnnxBackend::resolve(RuntimeChoice::Tract, dir.path())?,
        OnnxBackend::Tract
    );
    Ok(())
}
