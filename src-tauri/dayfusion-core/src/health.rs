//! Health checks of the kiosk, shared by the status screen and `dayfusion health`.

use std::path::Path;

use dayfusion_ipc::{
    BackendMode, CameraReport, CameraState, HealthCheck, HealthCheckId, HealthReport, HealthStatus,
    SyncStatus,
};

use crate::paths::KioskPaths;

/// Below this much free space on the data volume the kiosk stops verifying.
pub const DISK_FAILING_BYTES: u64 = 512 * 1024 * 1024;
/// Below this much free space the kiosk warns staff.
pub const DISK_WARNING_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Detail of a key file: what it protects against, and what to use instead.
pub const KEY_FILE_WARNING: &str = "a key file beside the evidence does not protect against \
disk theft; use the OS keyring or a TPM-sealed key";

/// Where the local evidence key lives, as `dayfusion-evidence` reports it
/// (`LocalEvidenceStore::key_status`, read without loading the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceKeyState {
    /// In the OS keyring (or a new key will be: the keyring answered).
    Keyring,
    /// In a key file beside the evidence, chosen with
    /// `DAYFUSION_EVIDENCE_KEY=file`.
    File,
    /// The key can be neither loaded nor created; why.
    Unavailable(String),
}

/// What the health checks look at.
#[derive(Debug, Clone)]
pub struct HealthInputs<'a> {
    /// The kiosk's folders.
    pub paths: &'a KioskPaths,
    /// Outcome of the last settings store read or write (`Err` holds a technical detail).
    pub settings_store: Result<(), String>,
    /// Configured backend.
    pub backend: BackendMode,
    /// Last camera report from the webview; `None` when no webview is running (CLI).
    pub camera: Option<CameraReport>,
    /// The local evidence key; `None` where no local store is used (the
    /// AWS backend with no local evidence).
    pub evidence_key: Option<EvidenceKeyState>,
}

/// Runs every check and summarises them; the worst check decides the overall status.
pub fn check(inputs: &HealthInputs<'_>) -> HealthReport {
    let mut checks = vec![
        writable_dir(HealthCheckId::DataDir, &inputs.paths.data_dir),
        writable_dir(HealthCheckId::LogDir, &inputs.paths.log_dir),
        disk_space(&inputs.paths.data_dir),
        settings_store(&inputs.settings_store),
        backend(inputs.backend),
    ];
    if let Some(key) = &inputs.evidence_key {
        checks.push(evidence_key(key));
    }
    if let Some(camera_report) = inputs.camera {
        checks.push(camera(camera_report));
    }
    let status = checks
        .iter()
        .map(|c| c.status)
        .max()
        .unwrap_or(HealthStatus::Ok);
    HealthReport {
        status,
        checked_at: now_rfc3339(),
        checks,
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn writable_dir(id: HealthCheckId, dir: &Path) -> HealthCheck {
    let probe = dir.join(format!(".health-probe-{}", std::process::id()));
    let result = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&probe, b"ok"))
        .and_then(|()| std::fs::remove_file(&probe));
    match result {
        Ok(()) => HealthCheck {
            id,
            status: HealthStatus::Ok,
            detail: dir.display().to_string(),
        },
        Err(e) => HealthCheck {
            id,
            status: HealthStatus::Failing,
            detail: format!("{}: {e}", dir.display()),
        },
    }
}

/// Classifies free bytes on the data volume.
pub fn disk_status(free_bytes: u64) -> HealthStatus {
    if free_bytes < DISK_FAILING_BYTES {
        HealthStatus::Failing
    } else if free_bytes < DISK_WARNING_BYTES {
        HealthStatus::Warning
    } else {
        HealthStatus::Ok
    }
}

fn disk_space(dir: &Path) -> HealthCheck {
    // The folder may not exist yet; measure the nearest existing ancestor.
    let existing = dir.ancestors().find(|p| p.exists()).unwrap_or(dir);
    match fs4::available_space(existing) {
        Ok(free) => HealthCheck {
            id: HealthCheckId::DiskSpace,
            status: disk_status(free),
            detail: format!("{:.1} GiB free", free as f64 / (1024.0 * 1024.0 * 1024.0)),
        },
        Err(e) => HealthCheck {
            id: HealthCheckId::DiskSpace,
            status: HealthStatus::Failing,
            detail: format!("cannot read free space: {e}"),
        },
    }
}

fn settings_store(result: &Result<(), String>) -> HealthCheck {
    match result {
        Ok(()) => HealthCheck {
            id: HealthCheckId::SettingsStore,
            status: HealthStatus::Ok,
            detail: "readable and writable".into(),
        },
        Err(detail) => HealthCheck {
            id: HealthCheckId::SettingsStore,
            status: HealthStatus::Failing,
            detail: detail.clone(),
        },
    }
}

fn backend(mode: BackendMode) -> HealthCheck {
    match mode {
        BackendMode::Embedded => HealthCheck {
            id: HealthCheckId::Backend,
            status: HealthStatus::Ok,
            detail: "embedded (offline)".into(),
        },
        // Reaching AWS takes network calls; the status screen only says
        // where to look (`dayfusion doctor` runs the real checks).
        BackendMode::Aws => HealthCheck {
            id: HealthCheckId::Backend,
            status: HealthStatus::Warning,
            detail: "aws: not checked here; run `dayfusion doctor`".into(),
        },
    }
}

/// How the kiosk's document decoders run (`dayfusion_visit::confinement_report`
/// says which; the core does not run them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecoderConfinement {
    /// In a bubblewrap sandbox, with memory, CPU and file limits.
    Sandboxed,
    /// With the limits only (bubblewrap missing or not working here).
    LimitsOnly,
    /// Decoders cannot be limited; PDF scans are refused.
    Unavailable,
}

/// The document parsing check: ok when sandboxed, a warning otherwise;
/// `detail` says how and why (e.g. "limits only (…; bubblewrap
/// unavailable: …)").
pub fn document_parsing(confinement: DecoderConfinement, detail: impl Into<String>) -> HealthCheck {
    HealthCheck {
        id: HealthCheckId::DocumentParsing,
        status: match confinement {
            DecoderConfinement::Sandboxed => HealthStatus::Ok,
            DecoderConfinement::LimitsOnly | DecoderConfinement::Unavailable => {
                HealthStatus::Warning
            }
        },
        detail: detail.into(),
    }
}

/// The AWS sync check: a warning when the oldest transaction waiting for
/// AWS is overdue (`status.overdue`, from the kiosk's `syncAlertHours`) or
/// the sync service itself fails (`status.service_error`), ok otherwise; `None` on a kiosk with no AWS settings and nothing queued.
pub fn aws_sync(status: &SyncStatus, alert_hours: u32) -> Option<HealthCheck> {
    if !status.aws_configured && status.pending == 0 {
        return None;
    }
    let mut detail = format!("{} waiting, {} failing", status.pending, status.failing);
    if let Some(oldest) = &status.oldest_queued_at {
        detail.push_str(&format!("; oldest queued {oldest}"));
    }
    if status.overdue {
        detail.push_str(&format!(" (more than {alert_hours} h)"));
    }
    detail.push_str(&match &status.last_success_at {
        Some(at) => format!("; last reached AWS {at}"),
        None => "; nothing reached AWS yet".to_owned(),
    });
    if let Some(code) = &status.last_error {
        detail.push_str(&format!("; last error {code}"));
    }
    if status.held > 0 {
        detail.push_str(&format!("; {} kept in S3 under a legal hold", status.held));
    }
    if let Some(code) = &status.service_error {
        detail.push_str(&format!("; sync service: {code}"));
    }
    Some(HealthCheck {
        id: HealthCheckId::AwsSync,
        status: if status.overdue || status.service_error.is_some() {
            HealthStatus::Warning
        } else {
            HealthStatus::Ok
        },
        detail,
    })
}

/// Adds a check made outside the core to `report`; the worst check still
/// decides the overall status.
pub fn add_check(report: &mut HealthReport, check: HealthCheck) {
    report.status = report.status.max(check.status);
    report.checks.push(check);
}

fn evidence_key(state: &EvidenceKeyState) -> HealthCheck {
    let (status, detail) = match state {
        EvidenceKeyState::Keyring => (HealthStatus::Ok, "OS keyring".to_owned()),
        EvidenceKeyState::File => (
            HealthStatus::Warning,
            format!("key file (DAYFUSION_EVIDENCE_KEY=file): {KEY_FILE_WARNING}"),
        ),
        EvidenceKeyState::Unavailable(why) => (HealthStatus::Failing, why.clone()),
    };
    HealthCheck {
        id: HealthCheckId::EvidenceKey,
        status,
        detail,
    }
}

fn camera(report: CameraReport) -> HealthCheck {
    let status = match report.state {
        CameraState::Live => HealthStatus::Ok,
        CameraState::Unknown => HealthStatus::Warning,
        _ => HealthStatus::Failing,
    };
    let mut detail = format!("{:?}; {} device(s)", report.state, report.device_count);
    if let (Some(w), Some(h)) = (report.width, report.height) {
        detail.push_str(&format!("; {w}x{h}"));
    }
    if let Some(fps) = report.frame_rate {
        detail.push_str(&format!(" @ {fps:.0} fps"));
    }
    HealthCheck {
        id: HealthCheckId::Camera,
        status,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(paths: &KioskPaths) -> HealthInputs<'_> {
        HealthInputs {
            paths,
            settings_store: Ok(()),
            backend: BackendMode::Embedded,
            camera: None,
            evidence_key: None,
        }
    }

    #[test]
    fn healthy_kiosk_reports_ok_with_real_paths() -> std::io::Result<()> {
        let tmp = tempfile::tempdir()?;
        let paths = KioskPaths::under(tmp.path());
        let report = check(&inputs(&paths));
        let ids: Vec<_> = report.checks.iter().map(|c| c.id).collect();
        assert_eq!(
            ids,
            [
                HealthCheckId::DataDir,
                HealthCheckId::LogDir,
                HealthCheckId::DiskSpace,
                HealthCheckId::SettingsStore,
                HealthCheckId::Backend
            ]
        );
        assert_eq!(report.checks[0].detail, tmp.path().display().to_string());
        assert!(report.checks[2].detail.ends_with("GiB free"));
        // No probe files are left behind.
        assert_eq!(
            std::fs::read_dir(tmp.path())?.count(),
            1,
            "only logs/ remains"
        );
        Ok(())
    }

    #[test]
    fn unwritable_data_dir_fails_the_report() -> std::io::Result<()> {
        let tmp = tempfile::tempdir()?;
        // A regular file where the data folder should be.
        let blocker = tmp.path().join("data");
        std::fs::write(&blocker, b"not a folder")?;
        let paths = KioskPaths {
            data_dir: blocker,
            log_dir: tmp.path().join("logs"),
        };
        let report = check(&inputs(&paths));
        assert_eq!(report.status, HealthStatus::Failing);
        assert_eq!(report.checks[0].status, HealthStatus::Failing);
        assert_eq!(report.checks[1].status, HealthStatus::Ok);
        Ok(())
    }

    #[test]
    fn worst_check_decides_and_camera_is_reported() -> std::io::Result<()> {
        let tmp = tempfile::tempdir()?;
        let paths = KioskPaths::under(tmp.path());
        let mut i = inputs(&paths);
        i.settings_store = Err("settings.json: permission denied".into());
        i.camera = Some(CameraReport {
            state: CameraState::Live,
            device_count: 2,
            width: Some(640),
            height: Some(480),
            frame_rate: Some(30.0),
        });
        let report = check(&i);
        assert_eq!(report.status, HealthStatus::Failing);
        let camera = report
            .checks
            .last()
            .map(|c| (c.id, c.status, c.detail.clone()));
        assert_eq!(
            camera,
            Some((
                HealthCheckId::Camera,
                HealthStatus::Ok,
                "Live; 2 device(s); 640x480 @ 30 fps".into()
            ))
        );
        Ok(())
    }

    #[test]
    fn document_parsing_says_whether_it_is_sandboxed() -> std::io::Result<()> {
        let tmp = tempfile::tempdir()?;
        let paths = KioskPaths::under(tmp.path());
        let mut report = check(&inputs(&paths));
        assert_eq!(report.status, HealthStatus::Ok);
        add_check(
            &mut report,
            document_parsing(DecoderConfinement::Sandboxed, "confined with bubblewrap"),
        );
        assert_eq!(report.status, HealthStatus::Ok);
        add_check(
            &mut report,
            document_parsing(
                DecoderConfinement::LimitsOnly,
                "limits only (bubblewrap unavailable: not installed)",
            ),
        );
        assert_eq!(report.status, HealthStatus::Warning);
        let last = report.checks.last().map(|c| (c.id, c.status));
        assert_eq!(
            last,
            Some((HealthCheckId::DocumentParsing, HealthStatus::Warning))
        );
        Ok(())
    }

    /// Issue 16: health said nothing about where the evidence key lives.
    #[test]
    fn health_reports_the_evidence_key_source() -> std::io::Result<()> {
        let tmp = tempfile::tempdir()?;
        let paths = KioskPaths::under(tmp.path());
        let key_check = |state: EvidenceKeyState| {
            let mut i = inputs(&paths);
            i.evidence_key = Some(state);
            let report = check(&i);
            let found = report
                .checks
                .iter()
                .find(|c| c.id == HealthCheckId::EvidenceKey)
                .cloned();
            (report.status, found)
        };
        let missing = || std::io::Error::other("no evidence key check");

        let (_, keyring) = key_check(EvidenceKeyState::Keyring);
        let keyring = keyring.ok_or_else(missing)?;
        assert_eq!(keyring.status, HealthStatus::Ok);
        assert!(keyring.detail.contains("keyring"), "{}", keyring.detail);

        let (_, file) = key_check(EvidenceKeyState::File);
        let file = file.ok_or_else(missing)?;
        assert_eq!(file.status, HealthStatus::Warning);
        assert!(
            file.detail.contains(
                "a key file beside the evidence does not protect against disk theft; \
                 use the OS keyring or a TPM-sealed key"
            ),
            "{}",
            file.detail
        );

        let (overall, gone) = key_check(EvidenceKeyState::Unavailable(
            "the OS keyring is not available".into(),
        ));
        let gone = gone.ok_or_else(missing)?;
        assert_eq!(gone.status, HealthStatus::Failing);
        assert_eq!(overall, HealthStatus::Failing);
        assert_eq!(gone.detail, "the OS keyring is not available");

        // Not asked for (AWS backend, no local store): no check.
        let report = check(&inputs(&paths));
        assert!(
            report
                .checks
                .iter()
                .all(|c| c.id != HealthCheckId::EvidenceKey)
        );
        Ok(())
    }

    #[test]
    fn disk_thresholds() {
        assert_eq!(disk_status(0), HealthStatus::Failing);
        assert_eq!(disk_status(DISK_FAILING_BYTES), HealthStatus::Warning);
        assert_eq!(disk_status(DISK_WARNING_BYTES), HealthStatus::Ok);
    }

    #[test]
    fn aws_sync_warns_when_overdue_or_when_the_service_fails() {
        let quiet = SyncStatus::default();
        assert_eq!(aws_sync(&quiet, 24), None, "no AWS, nothing queued");
        let waiting = SyncStatus {
            pending: 2,
            aws_configured: true,
            oldest_queued_at: Some("2026-12-01T10:00:00Z".into()),
            ..SyncStatus::default()
        };
        let ok = aws_sync(&waiting, 24).map(|c| c.status);
        assert_eq!(ok, Some(HealthStatus::Ok));
        let overdue = aws_sync(
            &SyncStatus {
                overdue: true,
                ..waiting.clone()
            },
            24,
        );
        let Some(check) = overdue else {
            panic!("no check");
        };
        assert_eq!(check.status, HealthStatus::Warning);
        assert!(check.detail.contains("more than 24 h"), "{}", check.detail);
        assert!(
            check.detail.contains("nothing reached AWS yet"),
            "{}",
            check.detail
        );
        let broken = aws_sync(
            &SyncStatus {
                service_error: Some("aws-region-missing".into()),
                ..waiting
            },
            24,
        );
        let Some(check) = broken else {
            panic!("no check");
        };
        assert_eq!(check.status, HealthStatus::Warning);
        assert!(
            check.detail.contains("sync service: aws-region-missing"),
            "{}",
            check.detail
        );
    }

    #[test]
    fn aws_backend_is_not_claimed_ready() {
        assert_eq!(backend(BackendMode::Aws).status, HealthStatus::Warning);
    }
}
