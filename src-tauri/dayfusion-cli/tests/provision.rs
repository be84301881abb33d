//! `dayfusion provision FILE` on real data folders: a full file applied,
//! applied again without touching a file, a bad file refused with every
//! problem and nothing changed, updates, dry runs and the running app; a
//! PIN pasted in the file never echoed, an admin always left, a locked
//! account unlocked by its own PIN, a data folder of another user or an
//! audit log that cannot be opened refused before any change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

use dayfusion_ipc::{KioskSettings, Language, StaffRole};
use dayfusion_staff::{Moment, SignIn, StaffDirectory};

type TestResult = Result<(), Box<dyn std::error::Error>>;

use dayfusion_test_support::certificates::KIOSK_001_PEM;

const ADMIN_PIN: &str = "240817";
const REVIEWER_PIN: &str = "135792";

/// A kiosk's data folder, its secrets and scans beside it.
struct Kiosk {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    data: PathBuf,
}

impl Kiosk {
    fn new() -> Result<Kiosk, Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let root = std::fs::canonicalize(tmp.path())?;
        let data = root.join("data");
        std::fs::create_dir_all(root.join("secrets"))?;
        std::fs::write(root.join("kiosk-001.pem"), KIOSK_001_PEM)?;
        Ok(Kiosk {
            _tmp: tmp,
            data,
            root,
        })
    }

    /// A PIN file with `mode`.
    fn pin_file(&self, name: &str, pin: &str, mode: u32) -> std::io::Result<PathBuf> {
        let path = self.root.join("secrets").join(name);
        std::fs::write(&path, format!("{pin}\n"))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
        }
        #[cfg(not(unix))]
        let _ = mode;
        Ok(path)
    }

    fn write(&self, name: &str, text: &str) -> std::io::Result<PathBuf> {
        let path = self.root.join(name);
        std::fs::write(&path, text)?;
        Ok(path)
    }

    fn provision(
        &self,
        file: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> std::io::Result<Output> {
        let mut command = Command::new(env!("CARGO_BIN_EXE_dayfusion"));
        command
            .arg("provision")
            .arg(file)
            .args(args)
            .env("DAYFUSION_DATA_DIR", &self.data)
            .env_remove("DAYFUSION_LOG_DIR")
            .env_remove("DAYFUSION_MODELS_DIR");
        for (name, value) in env {
            command.env(name, value);
        }
        command.output()
    }

    fn staff(&self) -> Result<StaffDirectory, dayfusion_staff::StaffError> {
        StaffDirectory::open(&self.data)
    }
}

/// The full sample: a branch kiosk in São Paulo with two accounts.
/// The PIN of `full_file`'s second account, from its environment variable.
const REVIEWER_PIN_ENV: [(&str, &str); 1] = [("PIN_F1002", REVIEWER_PIN)];

/// A kiosk with the admin's PIN file and `full_file` written as
/// `kiosk.toml`: the kiosk, the file's text and its path.
fn kiosk_with_full_file() -> Result<(Kiosk, String, PathBuf), Box<dyn std::error::Error>> {
    let kiosk = Kiosk::new()?;
    let pin = kiosk.pin_file("f1001", ADMIN_PIN, 0o600)?;
    let full = full_file(&kiosk, &pin);
    let file = kiosk.write("kiosk.toml", &full)?;
    Ok((kiosk, full, file))
}

fn full_file(kiosk: &Kiosk, admin_pin_file: &Path) -> String {
    format!(
        r#"# a branch kiosk
[provisioning]
format = 1

[kiosk]
id = "kiosk-001"
mode = "kiosk"
backend = "aws"
language = "en"
policy = "high-risk"
retention-days = 90
idle-timeout-seconds = 120
sync-alert-hours = 12
document-inbox = "{scans}"
spoken-guidance = true

[privacy]
controller = "Banco Exemplo S.A., CNPJ 00.000.000/0001-00"
dpo-name = "Maria Souza"
dpo-contact = "encarregado@bancoexemplo.com.br"

[[staff]]
id = "f1001"
name = "Ana Lima"
role = "admin"
pin-file = "{pin}"

[[staff]]
id = "f1002"
name = "João Pereira"
role = "reviewer"
pin-env = "PIN_F1002"

[aws]
region = "sa-east-1"
bucket = "bancoexemplo-dayfusion-evidence"
webview-role-arn = "arn:aws:iam::123456789012:role/dayfusion-webview"
profile = "dayfusion-kiosk"
certificate = "{cert}"
"#,
        scans = kiosk.root.join("scans").display(),
        pin = admin_pin_file.display(),
        cert = kiosk.root.join("kiosk-001.pem").display(),
    )
}

/// Every file and folder under a data folder: bytes, modification time, mode.
type Snapshot = BTreeMap<PathBuf, (Vec<u8>, SystemTime, u32)>;

/// Every file under `dir`: its bytes, modification time and mode.
fn snapshot(dir: &Path) -> std::io::Result<Snapshot> {
    let mut files = BTreeMap::new();
    if !dir.exists() {
        return Ok(files);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            #[cfg(unix)]
            let mode = std::os::unix::fs::PermissionsExt::mode(&meta.permissions());
            #[cfg(not(unix))]
            let mode = 0;
            if meta.is_dir() {
                stack.push(entry.path());
                files.insert(entry.path(), (Vec::new(), meta.modified()?, mode));
            } else {
                files.insert(
                    entry.path(),
                    (std::fs::read(entry.path())?, meta.modified()?, mode),
                );
            }
        }
    }
    Ok(files)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn kiosk_events(
    data: &Path,
) -> Result<Vec<(String, serde_json::Value)>, Box<dyn std::error::Error>> {
    let log = dayfusion_ledger::SqliteLog::open(&data.join("transactions.db"))?;
    Ok(log
        .kiosk_events()?
        .into_iter()
        .map(|e| (e.kind, e.data))
        .collect())
}

fn signs_in(
    dir: &StaffDirectory,
    id: &str,
    pin: &str,
) -> Result<bool, dayfusion_staff::StaffError> {
    Ok(matches!(
        dir.sign_in(id, pin, Moment::now())?,
        SignIn::Accepted(_)
    ))
}

#[test]
fn a_full_file_is_applied_and_applying_it_again_changes_nothing() -> TestResult {
    let (kiosk, _, file) = kiosk_with_full_file()?;
    let env = REVIEWER_PIN_ENV;

    let first = kiosk.provision(&file, &["--lang", "en"], &env)?;
    assert!(
        first.status.success(),
        "{}\n{}",
        stdout(&first),
        stderr(&first)
    );
    let out = stdout(&first);
    assert!(out.contains("kiosk.id"), "{out}");
    assert!(out.contains("account added (admin)"), "{out}");
    assert!(out.contains("aws.region"), "{out}");
    assert!(out.contains("change(s) applied"), "{out}");
    for secret in [ADMIN_PIN, REVIEWER_PIN] {
        assert!(!out.contains(secret) && !stderr(&first).contains(secret));
    }

    // The settings, in the store the app reads ({"kiosk": {...}}).
    let store: serde_json::Value =
        serde_json::from_slice(&std::fs::read(kiosk.data.join("settings.json"))?)?;
    let settings: KioskSettings = serde_json::from_value(store["kiosk"].clone())?;
    dayfusion_core::settings::validate(&settings)?;
    assert_eq!(settings.kiosk_id, "kiosk-001");
    assert_eq!(settings.language, Language::En);
    assert_eq!(settings.backend, dayfusion_ipc::BackendMode::Aws);
    assert_eq!(settings.policy_id, "high-risk");
    assert_eq!(
        (
            settings.retention_days,
            settings.idle_timeout_seconds,
            settings.sync_alert_hours
        ),
        (90, 120, 12)
    );
    assert!(settings.spoken_guidance, "every visit starts spoken");
    assert_eq!(
        settings.document_inbox.as_deref(),
        Some(kiosk.root.join("scans").to_str().unwrap_or_default())
    );
    // Accounts with their PINs.
    let staff = kiosk.staff()?;
    let accounts = staff.list(Moment::now())?;
    let listed: Vec<(&str, &str, StaffRole)> = accounts
        .iter()
        .map(|a| (a.id.as_str(), a.name.as_str(), a.role))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("f1001", "Ana Lima", StaffRole::Admin),
            ("f1002", "João Pereira", StaffRole::Reviewer)
        ]
    );
    assert!(signs_in(&staff, "f1001", ADMIN_PIN)?);
    assert!(signs_in(&staff, "f1002", REVIEWER_PIN)?);
    // aws.toml as the app loads it, and the privacy notice.
    let aws = dayfusion_aws::AwsSettings::load(&kiosk.data)?;
    assert_eq!(aws.region.as_deref(), Some("sa-east-1"));
    assert_eq!(
        aws.bucket.as_deref(),
        Some("bancoexemplo-dayfusion-evidence")
    );
    assert_eq!(aws.profile.as_deref(), Some("dayfusion-kiosk"));
    assert_eq!(aws.table, "dayfusion_transactions");
    let notice = dayfusion_core::privacy::load(&kiosk.data.join("privacy.json"))?;
    assert_eq!(
        notice.map(|n| n.dpo_contact),
        Some("encarregado@bancoexemplo.com.br".to_owned())
    );
    #[cfg(unix)]
    for name in ["settings.json", "aws.toml", "privacy.json", "staff.json"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(kiosk.data.join(name))?
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }
    // Audited, without secrets or staff names.
    let events = kiosk_events(&kiosk.data)?;
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            "staff.account.added",
            "staff.account.added",
            "kiosk.provisioned"
        ]
    );
    let provisioned = &events[2].1;
    assert_eq!(provisioned["complete"], true);
    assert_eq!(provisioned["sha256"].as_str().map(str::len), Some(64));
    let audit = serde_json::to_string(&events.iter().map(|(_, d)| d).collect::<Vec<_>>())?;
    for secret in [ADMIN_PIN, REVIEWER_PIN, "Ana Lima", "Maria Souza"] {
        assert!(!audit.contains(secret), "{secret} in {audit}");
    }

    // Again: nothing to change, and not one file touched.
    let before = snapshot(&kiosk.data)?;
    let second = kiosk.provision(&file, &["--lang", "en"], &env)?;
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        stdout(&second).contains("Nothing to change"),
        "{}",
        stdout(&second)
    );
    let json = kiosk.provision(&file, &["--json"], &[])?;
    assert!(json.status.success(), "{}", stderr(&json));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout)?;
    assert_eq!(report["changed"], false);
    assert_eq!(report["changes"], serde_json::json!([]));
    assert_eq!(
        snapshot(&kiosk.data)?,
        before,
        "the second run rewrote a file"
    );
    // Portuguese by default.
    let pt = kiosk.provision(&file, &[], &env)?;
    assert!(stdout(&pt).contains("Nada a alterar"), "{}", stdout(&pt));
    Ok(())
}

#[test]
fn a_bad_file_changes_nothing_and_says_why() -> TestResult {
    let (kiosk, _, good) = kiosk_with_full_file()?;
    let applied = kiosk.provision(&good, &[], &REVIEWER_PIN_ENV)?;
    assert!(applied.status.success(), "{}", stderr(&applied));

    let open_pin = kiosk.pin_file("f1003", "482915", 0o644)?;
    let bad = kiosk.write(
        "bad.toml",
        &format!(
            r#"[provisioning]
format = 1

[kiosk]
id = "agência 1"
colour = "blue"
retention-days = 0
policy = "gold"

[[staff]]
id = "f1003"
name = "Carla Dias"
role = "reviewer"
pin-file = "{open_pin}"

[[staff]]
id = "f1004"
name = "Davi Costa"
role = "field-agent"
pin-env = "PIN_F1004_UNSET"

[[staff]]
id = "f1005"
name = "Eva Rocha"
role = "root"
pin-env = "PIN_F1005"

[aws]
region = "Brasil"
bucket = "bancoexemplo-dayfusion-evidence"
"#,
            open_pin = open_pin.display()
        ),
    )?;
    let before = snapshot(&kiosk.data)?;
    let refused = kiosk.provision(&bad, &["--json", "--lang", "en"], &[])?;
    assert_eq!(refused.status.code(), Some(1), "{}", stdout(&refused));
    let report: serde_json::Value = serde_json::from_slice(&refused.stdout)?;
    assert_eq!(report["ok"], false);
    assert_eq!(report["changed"], false);
    let problems: Vec<(String, Option<String>, Option<u64>)> = report["problems"]
        .as_array()
        .ok_or("no problems")?
        .iter()
        .map(|p| {
            (
                p["code"].as_str().unwrap_or_default().to_owned(),
                p["key"].as_str().map(str::to_owned),
                p["line"].as_u64(),
            )
        })
        .collect();
    let expect =
        |code: &str, key: &str, line: u64| (code.to_owned(), Some(key.to_owned()), Some(line));
    assert_eq!(
        problems,
        vec![
            expect("invalid-kiosk-id", "kiosk.id", 5),
            expect("unknown-key", "kiosk.colour", 6),
            expect("invalid-retention", "kiosk.retention-days", 7),
            expect("policy-unknown", "kiosk.policy", 8),
            expect("pin-file-permissions", "staff[1].pin-file", 14),
            expect("pin-env-missing", "staff[2].pin-env", 20),
            expect("invalid-value", "staff[3]", 25),
            expect("aws-region-invalid", "aws.region", 29),
        ],
        "{report:#}"
    );
    assert_eq!(
        snapshot(&kiosk.data)?,
        before,
        "a refused file changed the kiosk"
    );

    // The same in Portuguese, for people, on standard error.
    let text = kiosk.provision(&bad, &[], &[])?;
    assert_eq!(text.status.code(), Some(1));
    let err = stderr(&text);
    assert!(
        err.contains("Arquivo recusado, nada foi alterado. 8 problema(s)"),
        "{err}"
    );
    assert!(err.contains("linha 14 [staff[1].pin-file]"), "{err}");
    assert!(err.contains("chmod 600"), "{err}");
    assert!(err.contains("[staff[2].pin-env]"), "{err}");
    assert!(
        !err.contains("PIN_F1004_UNSET"),
        "what pin-env holds is never repeated (it may be a PIN): {err}"
    );
    assert!(!err.contains("482915"), "a PIN is never echoed: {err}");
    assert_eq!(snapshot(&kiosk.data)?, before);

    // A file that is not TOML, or not there, changes nothing either.
    let broken = kiosk.write("broken.toml", "[kiosk\nid = 1\n")?;
    let syntax = kiosk.provision(&broken, &["--lang", "en"], &[])?;
    assert_eq!(syntax.status.code(), Some(1));
    assert!(
        stderr(&syntax).contains("not valid TOML"),
        "{}",
        stderr(&syntax)
    );
    let missing = kiosk.provision(&kiosk.root.join("nope.toml"), &[], &[])?;
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(snapshot(&kiosk.data)?, before);

    // On a kiosk never provisioned, nothing is created.
    let fresh = Kiosk::new()?;
    let open_pin = fresh.pin_file("f1003", "482915", 0o644)?;
    let text = std::fs::read_to_string(&bad)?.replace(
        &kiosk.root.join("secrets/f1003").display().to_string(),
        &open_pin.display().to_string(),
    );
    let bad = fresh.write("bad.toml", &text)?;
    assert_eq!(fresh.provision(&bad, &[], &[])?.status.code(), Some(1));
    assert!(
        !fresh.data.exists(),
        "a refused file created the data folder"
    );
    Ok(())
}

#[test]
fn updates_resets_removals_and_dry_runs() -> TestResult {
    let (kiosk, full, file) = kiosk_with_full_file()?;
    let env = REVIEWER_PIN_ENV;
    assert!(kiosk.provision(&file, &[], &env)?.status.success());
    // An account added by hand stays (and is named) unless the file says otherwise.
    kiosk
        .staff()?
        .add("f9999", "Temporário", StaffRole::Reviewer, "918273")?;

    // f1002 becomes an admin, f1001 gets a new PIN, retention changes.
    let new_pin = kiosk.pin_file("f1001-new", "572046", 0o400)?;
    let changed = full
        .replace(
            "name = \"João Pereira\"\nrole = \"reviewer\"",
            "name = \"João P. Pereira\"\nrole = \"admin\"",
        )
        .replace(
            &format!(
                "pin-file = \"{}\"",
                kiosk.root.join("secrets/f1001").display()
            ),
            &format!("pin-file = \"{}\"\nreset-pin = true", new_pin.display()),
        )
        .replace("retention-days = 90", "retention-days = 120");
    let file = kiosk.write("kiosk.toml", &changed)?;
    let before = snapshot(&kiosk.data)?;
    let dry = kiosk.provision(&file, &["--dry-run", "--json"], &env)?;
    assert!(dry.status.success(), "{}", stderr(&dry));
    let report: serde_json::Value = serde_json::from_slice(&dry.stdout)?;
    assert_eq!(report["dryRun"], true);
    assert_eq!(report["changed"], false);
    assert_eq!(report["wouldChange"], true);
    let actions: Vec<(String, String)> = report["changes"]
        .as_array()
        .ok_or("no changes")?
        .iter()
        .map(|c| {
            (
                c["key"].as_str().unwrap_or_default().to_owned(),
                c["action"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            ("kiosk.retention-days".to_owned(), "set".to_owned()),
            ("f1001".to_owned(), "pin-reset".to_owned()),
            ("f1002".to_owned(), "updated".to_owned()),
        ]
    );
    let warnings = report["warnings"].to_string();
    assert!(warnings.contains("f9999"), "{warnings}");
    assert_eq!(
        snapshot(&kiosk.data)?,
        before,
        "a dry run changed the kiosk"
    );

    let applied = kiosk.provision(&file, &["--lang", "en"], &env)?;
    assert!(applied.status.success(), "{}", stderr(&applied));
    let out = stdout(&applied);
    assert!(
        out.contains("PIN reset") && out.contains("role: \"reviewer\" → \"admin\""),
        "{out}"
    );
    let staff = kiosk.staff()?;
    assert!(!signs_in(&staff, "f1001", ADMIN_PIN)?);
    assert!(signs_in(&staff, "f1001", "572046")?);
    assert!(
        signs_in(&staff, "f1002", REVIEWER_PIN)?,
        "a re-roled account keeps its PIN"
    );
    assert_eq!(
        staff.account("f1002", Moment::now())?.map(|a| a.role),
        Some(StaffRole::Admin)
    );
    assert!(staff.account("f9999", Moment::now())?.is_some());
    // reset-pin with the PIN already set: nothing to change.
    let again = kiosk.provision(&file, &["--json"], &env)?;
    let report: serde_json::Value = serde_json::from_slice(&again.stdout)?;
    assert_eq!(report["changes"], serde_json::json!([]), "{report:#}");

    // remove-unlisted-staff removes the hand-made account.
    let exclusive = changed.replace("format = 1", "format = 1\nremove-unlisted-staff = true");
    let file = kiosk.write("kiosk.toml", &exclusive)?;
    let removed = kiosk.provision(&file, &["--lang", "en"], &env)?;
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert!(
        stdout(&removed).contains("f9999: account removed"),
        "{}",
        stdout(&removed)
    );
    assert!(kiosk.staff()?.account("f9999", Moment::now())?.is_none());
    let kinds: Vec<String> = kiosk_events(&kiosk.data)?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    for kind in [
        "staff.pin.reset",
        "staff.account.updated",
        "staff.account.removed",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
    assert_eq!(
        kinds.iter().filter(|k| *k == "kiosk.provisioned").count(),
        3
    );
    Ok(())
}

#[test]
fn refused_while_the_kiosk_app_runs() -> TestResult {
    let (kiosk, full, file) = kiosk_with_full_file()?;
    let env = REVIEWER_PIN_ENV;
    std::fs::create_dir_all(&kiosk.data)?;
    // The app holds the lock for its whole life.
    let app = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(kiosk.data.join("kiosk.lock"))?;
    app.try_lock()?;

    let before = snapshot(&kiosk.data)?;
    let running = kiosk.provision(&file, &["--lang", "en"], &env)?;
    assert_eq!(running.status.code(), Some(3), "{}", stdout(&running));
    assert!(
        stderr(&running).contains("kiosk app is open"),
        "{}",
        stderr(&running)
    );
    assert_eq!(snapshot(&kiosk.data)?, before);
    // --while-running cannot change the kiosk settings...
    let settings = kiosk.provision(&file, &["--while-running", "--json"], &env)?;
    assert_eq!(settings.status.code(), Some(1));
    assert!(stdout(&settings).contains("settings-while-running"));
    assert_eq!(snapshot(&kiosk.data)?, before);
    // ...but applies the rest, which the app reads afresh.
    drop(app);
    assert!(kiosk.provision(&file, &[], &env)?.status.success());
    let app = std::fs::OpenOptions::new()
        .write(true)
        .open(kiosk.data.join("kiosk.lock"))?;
    app.try_lock()?;
    let staff_only = full.replace("role = \"reviewer\"", "role = \"field-agent\"");
    let file = kiosk.write("kiosk.toml", &staff_only)?;
    let applied = kiosk.provision(&file, &["--while-running"], &env)?;
    assert!(applied.status.success(), "{}", stderr(&applied));
    assert_eq!(
        kiosk
            .staff()?
            .account("f1002", Moment::now())?
            .map(|a| a.role),
        Some(StaffRole::FieldAgent)
    );
    drop(app);
    Ok(())
}

/// The PIN of a file written by mistake where its source should be.
const PASTED_PIN: &str = "583920";

/// A file with one account whose pin line is `pin_line`.
fn one_account(pin_line: &str) -> String {
    format!(
        "[provisioning]\nformat = 1\n\n[kiosk]\nid = \"kiosk-001\"\n\n[[staff]]\nid = \"f1001\"\nname = \"Ana Lima\"\nrole = \"admin\"\n{pin_line}\n"
    )
}

#[test]
fn a_pin_pasted_in_the_file_is_never_echoed() -> TestResult {
    let kiosk = Kiosk::new()?;
    for (pin_line, key) in [
        (format!("pin-env = \"{PASTED_PIN}\""), "staff[1].pin-env"),
        (format!("pin-file = \"{PASTED_PIN}\""), "staff[1].pin-file"),
        (format!("pin-env = {PASTED_PIN}"), "staff[1].pin-env"),
        (format!("pin-file = {PASTED_PIN}"), "staff[1].pin-file"),
        (format!("pin-env = {PASTED_PIN}x"), ""),
        (format!("pin-env = \"{PASTED_PIN}"), ""),
    ] {
        let file = kiosk.write("kiosk.toml", &one_account(&pin_line))?;
        for args in [
            vec!["--lang", "en"],
            vec!["--json"],
            vec!["--dry-run", "--json", "--lang", "en"],
        ] {
            let output = kiosk.provision(&file, &args, &[])?;
            let (out, err) = (stdout(&output), stderr(&output));
            assert_eq!(output.status.code(), Some(1), "{pin_line}: {out}{err}");
            assert!(
                !out.contains(PASTED_PIN) && !err.contains(PASTED_PIN),
                "{pin_line} {args:?} echoed the PIN:\n{out}\n{err}"
            );
            assert!(
                out.contains(key) || err.contains(key),
                "{pin_line}: the key is named\n{out}\n{err}"
            );
        }
    }
    assert!(
        !kiosk.data.exists(),
        "a refused file created the data folder"
    );
    Ok(())
}

#[test]
fn an_admin_is_always_left() -> TestResult {
    let (kiosk, full, file) = kiosk_with_full_file()?;
    let env = REVIEWER_PIN_ENV;
    assert!(kiosk.provision(&file, &[], &env)?.status.success());

    // f1001, the only admin, demoted (remove-unlisted-staff left out).
    let demoted = full.replace("role = \"admin\"", "role = \"reviewer\"");
    let file = kiosk.write("kiosk.toml", &demoted)?;
    let before = snapshot(&kiosk.data)?;
    for args in [vec!["--json"], vec!["--json", "--dry-run"]] {
        let refused = kiosk.provision(&file, &args, &env)?;
        assert_eq!(refused.status.code(), Some(1), "{}", stdout(&refused));
        assert!(
            stdout(&refused).contains("staff-no-admin-left"),
            "{}",
            stdout(&refused)
        );
    }
    assert_eq!(snapshot(&kiosk.data)?, before, "the last admin was demoted");

    // Another admin made in the same file: the demotion is fine.
    let swapped = demoted.replace(
        "name = \"João Pereira\"\nrole = \"reviewer\"",
        "name = \"João Pereira\"\nrole = \"admin\"",
    );
    let file = kiosk.write("kiosk.toml", &swapped)?;
    let applied = kiosk.provision(&file, &[], &env)?;
    assert!(applied.status.success(), "{}", stderr(&applied));
    let roles: Vec<StaffRole> = kiosk
        .staff()?
        .list(Moment::now())?
        .into_iter()
        .map(|a| a.role)
        .collect();
    assert_eq!(roles, vec![StaffRole::Reviewer, StaffRole::Admin]);
    Ok(())
}

#[test]
fn reset_pin_with_the_current_pin_unlocks_a_locked_account() -> TestResult {
    let (kiosk, full, file) = kiosk_with_full_file()?;
    let env = REVIEWER_PIN_ENV;
    assert!(kiosk.provision(&file, &[], &env)?.status.success());
    let staff = kiosk.staff()?;
    for _ in 0..dayfusion_staff::MAX_FAILURES {
        staff.sign_in("f1002", "918273", Moment::now())?;
    }
    assert!(
        staff
            .account("f1002", Moment::now())?
            .and_then(|a| a.locked_seconds)
            .is_some(),
        "locked by wrong PINs"
    );
    let reset = full.replace(
        "pin-env = \"PIN_F1002\"",
        "pin-env = \"PIN_F1002\"\nreset-pin = true",
    );
    let file = kiosk.write("kiosk.toml", &reset)?;
    let applied = kiosk.provision(&file, &["--lang", "en"], &env)?;
    assert!(applied.status.success(), "{}", stderr(&applied));
    assert!(
        stdout(&applied).contains("f1002: account unlocked"),
        "{}",
        stdout(&applied)
    );
    let staff = kiosk.staff()?;
    assert!(signs_in(&staff, "f1002", REVIEWER_PIN)?, "usable again");
    let kinds: Vec<String> = kiosk_events(&kiosk.data)?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert!(
        kinds.iter().any(|k| k == "staff.account.unlocked"),
        "{kinds:?}"
    );
    let again = kiosk.provision(&file, &["--json"], &env)?;
    let report: serde_json::Value = serde_json::from_slice(&again.stdout)?;
    assert_eq!(report["changes"], serde_json::json!([]), "{report:#}");
    Ok(())
}

#[test]
fn a_dry_run_creates_no_lock_file() -> TestResult {
    let (kiosk, full, file) = kiosk_with_full_file()?;
    let env = REVIEWER_PIN_ENV;
    assert!(kiosk.provision(&file, &[], &env)?.status.success());
    for lock in ["staff.lock", "kiosk.lock"] {
        std::fs::remove_file(kiosk.data.join(lock))?;
    }
    let reset = full
        .replace(
            "pin-env = \"PIN_F1002\"",
            "pin-env = \"PIN_F1002\"\nreset-pin = true",
        )
        .replace("retention-days = 90", "retention-days = 91");
    let file = kiosk.write("kiosk.toml", &reset)?;
    let before = snapshot(&kiosk.data)?;
    let dry = kiosk.provision(&file, &["--dry-run", "--json"], &[("PIN_F1002", "572046")])?;
    assert!(dry.status.success(), "{}", stderr(&dry));
    let report: serde_json::Value = serde_json::from_slice(&dry.stdout)?;
    assert_eq!(report["wouldChange"], true, "{report:#}");
    assert_eq!(snapshot(&kiosk.data)?, before, "a dry run created a file");
    Ok(())
}

#[test]
fn an_audit_log_that_cannot_be_opened_changes_nothing() -> TestResult {
    let (kiosk, _, file) = kiosk_with_full_file()?;
    std::fs::create_dir_all(kiosk.data.join("transactions.db"))?;
    let output = kiosk.provision(&file, &["--json"], &REVIEWER_PIN_ENV)?;
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    assert_eq!(report["changed"], false);
    assert_eq!(report["problems"][0]["code"], "audit-log-unavailable");
    for name in ["settings.json", "aws.toml", "privacy.json", "staff.json"] {
        assert!(!kiosk.data.join(name).exists(), "{name} written");
    }
    Ok(())
}

/// Files written by another user than the data folder's owner would be
/// unreadable to the kiosk app: refused, dry runs included.
#[cfg(unix)]
#[test]
fn a_data_folder_of_another_user_is_refused() -> TestResult {
    use std::os::unix::fs::MetadataExt;
    let (kiosk, _, file) = kiosk_with_full_file()?;
    let env = REVIEWER_PIN_ENV;
    // Whoever runs the tests owns what they create.
    let me = std::fs::metadata(&kiosk.root)?.uid();
    let data = if me == 0 {
        std::fs::create_dir_all(&kiosk.data)?;
        std::os::unix::fs::chown(&kiosk.data, Some(4242), Some(4242))?;
        kiosk.data.clone()
    } else if std::fs::metadata("/")?.uid() != me {
        // Not root: a folder of root's, only ever dry-run.
        PathBuf::from("/")
    } else {
        return Ok(());
    };
    let before = snapshot(&kiosk.data)?;
    let mut command = Command::new(env!("CARGO_BIN_EXE_dayfusion"));
    let output = command
        .arg("provision")
        .arg(&file)
        .args(["--json", "--dry-run"])
        .env("DAYFUSION_DATA_DIR", &data)
        .env("PIN_F1002", REVIEWER_PIN)
        .output()?;
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    assert_eq!(
        report["problems"][0]["code"], "data-folder-owner",
        "{report:#}"
    );
    if me == 0 {
        let applied = kiosk.provision(&file, &["--lang", "en"], &env)?;
        assert_eq!(applied.status.code(), Some(1), "{}", stdout(&applied));
        assert!(stderr(&applied).contains("sudo -u"), "{}", stderr(&applied));
        assert_eq!(
            snapshot(&kiosk.data)?,
            before,
            "files written as another user"
        );
    }
    Ok(())
}
