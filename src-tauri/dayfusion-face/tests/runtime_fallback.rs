//! ONNX Runtime's library is only ever loaded from the model pack with its
//! pinned SHA-256: a missing or tampered file is refused with a clear error
//! (never opened), the default choice falls back to tract, and neither is
//! remembered, so the real library loads once it is there. Its own test
//! binary, because ONNX Runtime is loaded once per process.

mod common;

use dayfusion_face::{FaceError, OnnxBackend, RuntimeChoice};
use dayfusion_models::ModelId;

#[test]
fn a_missing_or_tampered_library_is_refused_auto_falls_back_and_the_real_one_loads_later()
-> Result<(), Box<dyn std::error::Error>> {
    let empty = tempfile::tempdir()?;
    let err = OnnxBackend::resolve(RuntimeChoice::OnnxRuntime, empty.path())
        .err()
        .ok_or("ONNX Runtime loaded from an empty folder")?;
    assert!(matches!(err, FaceError::OnnxRuntimeUnavailable(_)), "{err}");
    assert_eq!(
        OnnxBackend::resolve(RuntimeChoice::Auto, empty.path())?,
        OnnxBackend::Tract
    );

    let tampered = tempfile::tempdir()?;
    // Anything but the pinned bytes: dlopen would run its constructors.
    std::fs::write(
        tampered.path().join(ModelId::OnnxRuntime.spec().file),
        b"\x7fELF not the pinned library",
    )?;
    let err = OnnxBackend::resolve(RuntimeChoice::OnnxRuntime, tampered.path())
        .err()
        .ok_or("a tampered library was loaded")?;
    let message = err.to_string();
    assert!(message.contains("sha256"), "{message}");
    assert!(
        message.contains("DAYFUSION_ONNX_RUNTIME=tract"),
        "{message}"
    );
    assert_eq!(
        OnnxBackend::resolve(RuntimeChoice::Auto, tampered.path())?,
        OnnxBackend::Tract
    );
    assert_eq!(
        OnnxBackend::resolve(RuntimeChoice::Tract, tampered.path())?,
        OnnxBackend::Tract
    );

    // The pack's real library still loads in this process.
    let test = "a_missing_or_tampered_library_is_refused";
    let Some(dir) = common::models_dir(test, &[ModelId::OnnxRuntime])? else {
        return Ok(());
    };
    assert_eq!(
        OnnxBackend::resolve(RuntimeChoice::Auto, &dir)?,
        OnnxBackend::OnnxRuntime
    );
    Ok(())
}
