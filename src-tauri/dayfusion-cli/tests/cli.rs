//! Runs the real `dayfusion` binary against temporary kiosk folders.

use std::process::Command;

fn dayfusion() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dayfusion"))
}

#[test]
fn health_json_reports_the_configured_folders() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let out = dayfusion()
        .args(["health", "--json"])
        .env("DAYFUSION_DATA_DIR", tmp.path())
        .env_remove("DAYFUSION_LOG_DIR")
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: dayfusion_ipc::HealthReport = serde_json::from_slice(&out.stdout)?;
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
        .env("DAYFUSION_LOG_DIR", tmp.path().join("logs"))
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("overall: Failing"), "{text}");
    Ok(())
}
