//! `dayfusion staff`: accounts provisioned out of band, PINs from standard
//! input only, each change an audit event.

use std::io::Write;
use std::process::{Command, Output, Stdio};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn staff(data: &std::path::Path, args: &[&str], stdin: &str) -> std::io::Result<Output> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dayfusion"))
        .arg("staff")
        .args(args)
        .env("DAYFUSION_DATA_DIR", data)
        .env_remove("DAYFUSION_LOG_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes())?;
    }
    child.wait_with_output()
}

#[test]
fn provisioning_accounts_from_the_cli_with_pins_on_stdin_and_audit_events() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let data = tmp.path();
    let listed = staff(data, &["list"], "")?;
    assert!(listed.status.success());
    assert!(String::from_utf8_lossy(&listed.stdout).contains("not provisioned"));

    let added = staff(
        data,
        &["add", "f1001", "--name", "Maria Souza", "--role", "admin"],
        "240817\n",
    )?;
    assert!(added.status.success(), "{added:?}");
    // No PIN on stdin: refused, nothing added.
    let empty = staff(
        data,
        &["add", "f1002", "--name", "João", "--role", "reviewer"],
        "",
    )?;
    assert!(!empty.status.success());
    // A weak PIN and an unknown role are refused.
    let weak = staff(
        data,
        &["add", "f1002", "--name", "João", "--role", "reviewer"],
        "123456\n",
    )?;
    assert!(!weak.status.success());
    let role = staff(
        data,
        &["add", "f1002", "--name", "João", "--role", "root"],
        "135792\n",
    )?;
    assert!(!role.status.success());
    // A PIN is never accepted on the command line.
    let argv = staff(
        data,
        &[
            "add", "f1002", "--name", "João", "--role", "reviewer", "--pin", "135792",
        ],
        "",
    )?;
    assert!(!argv.status.success());

    let json = staff(data, &["list", "--json"], "")?;
    let accounts: serde_json::Value = serde_json::from_slice(&json.stdout)?;
    assert_eq!(accounts.as_array().map(Vec::len), Some(1));
    assert_eq!(accounts[0]["id"], "f1001");
    assert_eq!(accounts[0]["role"], "admin");
    let file = std::fs::read_to_string(data.join("staff.json"))?;
    assert!(!file.contains("240817"));

    assert!(
        staff(data, &["reset", "f1001"], "531902\n")?
            .status
            .success()
    );
    assert!(staff(data, &["unlock", "f1001"], "")?.status.success());
    assert!(!staff(data, &["remove", "f9999"], "")?.status.success());
    assert!(staff(data, &["remove", "f1001"], "")?.status.success());

    // Every change is in the audit chain, naming the account.
    let log = dayfusion_ledger::SqliteLog::open_read_only(&data.join("transactions.db"))?;
    let conn_events = log.kiosk_events()?;
    let kinds: Vec<&str> = conn_events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "staff.account.added",
            "staff.pin.reset",
            "staff.account.unlocked",
            "staff.account.removed"
        ]
    );
    assert!(conn_events.iter().all(|e| e.data["account"] == "f1001"));

    // The chain's head, for safekeeping outside the kiosk.
    let head = Command::new(env!("CARGO_BIN_EXE_dayfusion"))
        .args(["audit", "head", "--json"])
        .env("DAYFUSION_DATA_DIR", data)
        .output()?;
    assert!(head.status.success(), "{head:?}");
    let head: serde_json::Value = serde_json::from_slice(&head.stdout)?;
    assert_eq!(head["events"], 4);
    assert_eq!(
        head["headHash"].as_str(),
        conn_events.last().map(|e| e.hash.as_str())
    );
    Ok(())
}
