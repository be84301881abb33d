//! `dayfusion hold`: legal holds as a staff action through the binary: a
//! named account signs in with its PIN on standard input, each change is an
//! audit event naming it, the retention purge skips what is held, messages
//! come in pt-BR and English, and no PIN is ever written anywhere.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use dayfusion_ledger::SqliteLog;
use dayfusion_verify::{AuditEvent, Transaction, TransactionLog};

type TestResult = Result<(), Box<dyn std::error::Error>>;

// Ten digits: a PIN must never turn up by chance in a hash or a timestamp
// that the scan at the end reads.
const ADMIN_PIN: &str = "2408173951";
const REVIEWER_PIN: &str = "2468139075";
const AGENT_PIN: &str = "1357920864";
const WRONG_PIN: &str = "9081726354";

struct Kiosk {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    data: PathBuf,
    logs: PathBuf,
}

impl Kiosk {
    fn new() -> Result<Kiosk, Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let root = tmp.path().to_path_buf();
        Ok(Kiosk {
            data: root.join("data"),
            logs: root.join("logs"),
            root,
            _tmp: tmp,
        })
    }

    /// Runs `dayfusion ARGS` with `stdin` on standard input.
    fn run(&self, args: &[&str], stdin: &str) -> std::io::Result<Output> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dayfusion"))
            .args(args)
            .env("DAYFUSION_DATA_DIR", &self.data)
            .env("DAYFUSION_LOG_DIR", &self.logs)
            .env("DAYFUSION_EVIDENCE_KEY", "file")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(mut input) = child.stdin.take() {
            // A command refused before it reads its PIN closes the pipe.
            match input.write_all(stdin.as_bytes()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e),
                _ => {}
            }
        }
        child.wait_with_output()
    }

    fn log(&self) -> Result<SqliteLog, Box<dyn std::error::Error>> {
        Ok(SqliteLog::open(&self.data.join("transactions.db"))?)
    }
}

/// A transaction created two days ago at `stage` (`decided` or `started`),
/// kept on this kiosk only.
fn transaction(stage: &str) -> Result<Transaction, Box<dyn std::error::Error>> {
    let created = time::OffsetDateTime::now_utc() - time::Duration::days(2);
    let at = created.format(&time::format_description::well_known::Rfc3339)?;
    let decided = stage == "decided";
    Ok(serde_json::from_value(serde_json::json!({
        "transactionId": uuid::Uuid::now_v7(),
        "createdAt": at,
        "updatedAt": at,
        "kioskId": "kiosk-test-01",
        "operator": "f2002",
        "product": "account-opening",
        "backend": "embedded",
        "policy": { "id": "default", "version": 1 },
        "stage": stage,
        "status": if decided { "REVIEW" } else { "IN_PROGRESS" },
        "document": null,
        "livenessSessionId": null,
        "liveness": null,
        "comparison": null,
        "decision": null,
        "abortReason": null,
        "sync": if decided { "local" } else { "not-ready" },
    }))?)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every file under `dir` holding `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if std::fs::read(&path)
            .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
        {
            found.push(path);
        }
    }
    found
}

#[test]
fn legal_holds_are_audited_staff_actions_that_the_purge_respects() -> TestResult {
    let kiosk = Kiosk::new()?;
    for (id, role, pin) in [
        ("f1001", "admin", ADMIN_PIN),
        ("r3003", "reviewer", REVIEWER_PIN),
        ("f2002", "field-agent", AGENT_PIN),
    ] {
        let added = kiosk.run(
            &["staff", "add", id, "--name", "Equipe", "--role", role],
            &format!("{pin}\n"),
        )?;
        assert!(added.status.success(), "{added:?}");
    }
    let decided = transaction("decided")?;
    let open = transaction("started")?;
    {
        let log = kiosk.log()?;
        for t in [&decided, &open] {
            log.insert(
                t,
                &AuditEvent {
                    kind: "transaction.started".into(),
                    data: serde_json::json!({ "test": true }),
                },
            )?;
        }
    }
    let id = decided.transaction_id.to_string();
    let place = |staff: &str, pin: &str, target: &str, lang: &str| {
        kiosk.run(
            &[
                "hold",
                "place",
                target,
                "--staff",
                staff,
                "--reason",
                "ordem judicial 123/2026",
                "--lang",
                lang,
            ],
            &format!("{pin}\n"),
        )
    };

    // Placed by a named admin; the message is in Portuguese by default.
    let placed = place("f1001", ADMIN_PIN, &id, "pt-BR")?;
    assert!(placed.status.success(), "{placed:?}");
    assert!(
        stdout(&placed).contains("Retenção legal aplicada"),
        "{placed:?}"
    );
    // Refusals, each with its code and a sentence in the chosen language.
    let again = place("f1001", ADMIN_PIN, &id, "pt-BR")?;
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("[legal-hold-unchanged] A transação já está"),
        "{again:?}"
    );
    let wrong = place("r3003", WRONG_PIN, &id, "en")?;
    assert!(
        stderr(&wrong).contains("[staff-sign-in-refused] Unknown staff account or wrong PIN"),
        "{wrong:?}"
    );
    let agent = place("f2002", AGENT_PIN, &id, "en")?;
    assert!(stderr(&agent).contains("[staff-forbidden]"), "{agent:?}");
    let unfinished = place("f1001", ADMIN_PIN, &open.transaction_id.to_string(), "en")?;
    assert!(
        stderr(&unfinished).contains("[legal-hold-not-final] A legal hold applies to finished"),
        "{unfinished:?}"
    );
    let no_pin = kiosk.run(
        &[
            "hold", "place", &id, "--staff", "f1001", "--reason", "ordem",
        ],
        "",
    )?;
    assert!(!no_pin.status.success());
    let not_an_id = place("f1001", ADMIN_PIN, "not-a-uuid", "en")?;
    assert!(stderr(&not_an_id).contains("[request-invalid]"));
    for refused in [&wrong, &agent, &unfinished, &no_pin, &not_an_id] {
        assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    }

    let listed = kiosk.run(&["hold", "list", "--json"], "")?;
    let rows: serde_json::Value = serde_json::from_slice(&listed.stdout)?;
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows}");
    assert_eq!(rows[0]["transactionId"], id.as_str());
    assert_eq!(rows[0]["by"], "f1001");
    assert_eq!(rows[0]["reason"], "ordem judicial 123/2026");
    let text = kiosk.run(&["hold", "list", "--lang", "en"], "")?;
    assert!(stdout(&text).contains("1 transaction(s) under legal hold"));

    // The retention purge keeps it while held.
    let purge = kiosk.run(&["purge", "--older-than", "1", "--json"], "")?;
    let report: serde_json::Value = serde_json::from_slice(&purge.stdout)?;
    assert_eq!(
        (
            report["transactions"].as_u64(),
            report["keptOnHold"].as_u64()
        ),
        (Some(0), Some(1))
    );

    // Released by a reviewer; the next purge goes ahead.
    let released = kiosk.run(
        &[
            "hold",
            "release",
            &id,
            "--staff",
            "r3003",
            "--reason",
            "processo arquivado",
            "--lang",
            "en",
        ],
        &format!("{REVIEWER_PIN}\n"),
    )?;
    assert!(released.status.success(), "{released:?}");
    assert!(stdout(&released).contains("Legal hold released"));
    let none = kiosk.run(&["hold", "list"], "")?;
    assert!(
        stdout(&none).contains("0 transação(ões) sob retenção legal"),
        "{none:?}"
    );
    let purge = kiosk.run(&["purge", "--older-than", "1", "--json"], "")?;
    let report: serde_json::Value = serde_json::from_slice(&purge.stdout)?;
    assert_eq!(report["transactions"].as_u64(), Some(1), "{report}");

    // The chain names each account and reason, and still verifies.
    let log = kiosk.log()?;
    let events = log.audit_events(&decided.transaction_id)?;
    let holds: Vec<_> = events
        .iter()
        .filter(|e| e.kind.starts_with("legal-hold."))
        .map(|e| {
            (
                e.kind.as_str(),
                e.data["by"].as_str().unwrap_or_default(),
                e.data["reason"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        holds,
        [
            ("legal-hold.placed", "f1001", "ordem judicial 123/2026"),
            ("legal-hold.released", "r3003", "processo arquivado"),
        ]
    );
    assert_eq!(log.verify_audit()?.first_bad, None);
    // No PIN anywhere: not in the log, the staff file or the JSON logs.
    for pin in [ADMIN_PIN, REVIEWER_PIN, AGENT_PIN, WRONG_PIN] {
        assert_eq!(
            files_containing(&kiosk.root, pin.as_bytes()),
            Vec::<PathBuf>::new(),
            "{pin}"
        );
    }
    Ok(())
}
