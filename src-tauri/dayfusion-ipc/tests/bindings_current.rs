//! The TypeScript declarations committed under `ui/src/app/ipc/bindings/` must be
//! exactly what the Rust types generate. Run `make bindings` (or this test with
//! `UPDATE_BINDINGS=1`) after changing a type.

use std::{fs, path::PathBuf};

fn bindings_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/app/ipc/bindings")
}

#[test]
fn committed_typescript_matches_rust_types() -> Result<(), Box<dyn std::error::Error>> {
    let dir = bindings_dir();
    let update = std::env::var_os("UPDATE_BINDINGS").is_some();
    if update {
        fs::create_dir_all(&dir)?;
    }
    let generated = dayfusion_ipc::bindings::all()?;
    let mut stale = Vec::new();
    for binding in &generated {
        let path = dir.join(&binding.file_name);
        if update {
            fs::write(&path, &binding.contents)?;
        } else if fs::read_to_string(&path).ok().as_deref() != Some(binding.contents.as_str()) {
            stale.push(binding.file_name.clone());
        }
    }
    // No leftovers from renamed or deleted types.
    for entry in fs::read_dir(&dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".ts") && !generated.iter().any(|b| b.file_name == name) {
            if update {
                fs::remove_file(dir.join(&name))?;
            } else {
                stale.push(name);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale TypeScript bindings (run `make bindings`): {stale:?}"
    );
    Ok(())
}

#[test]
fn wire_format_uses_the_names_the_front_end_expects() -> Result<(), serde_json::Error> {
    use dayfusion_ipc::*;
    let settings = KioskSettings {
        backend: BackendMode::Embedded,
        language: Language::PtBr,
        camera_id: None,
        kiosk_id: "agencia-0001-t1".into(),
        policy_id: "default".into(),
        retention_days: 180,
        idle_timeout_seconds: 90,
        document_inbox: None,
        mode: KioskMode::Field,
        sync_alert_hours: 36,
        camera_pin: Some("046d:082d:K1".into()),
        spoken_guidance: true,
    };
    let json = serde_json::to_value(&settings)?;
    assert_eq!(
        json,
        serde_json::json!({
            "backend": "embedded",
            "language": "pt-BR",
            "cameraId": null,
            "kioskId": "agencia-0001-t1",
            "policyId": "default",
            "retentionDays": 180,
            "idleTimeoutSeconds": 90,
            "documentInbox": null,
            "mode": "field",
            "syncAlertHours": 36,
            "cameraPin": "046d:082d:K1",
            "spokenGuidance": true
        })
    );
    let back: KioskSettings = serde_json::from_value(json)?;
    assert_eq!(back, settings);
    // A store written before these settings existed still loads, with defaults.
    let old: KioskSettings = serde_json::from_value(serde_json::json!({
        "backend": "aws", "language": "en", "cameraId": null, "kioskId": "k1"
    }))?;
    assert!(
        !old.spoken_guidance,
        "spoken guidance is off unless staff turn it on"
    );
    assert_eq!(
        (
            old.retention_days,
            old.idle_timeout_seconds,
            old.sync_alert_hours
        ),
        (180, 90, 24)
    );
    assert_eq!(old.policy_id, "default");
    assert_eq!(old.camera_pin, None, "no pin until staff set one");
    Ok(())
}
