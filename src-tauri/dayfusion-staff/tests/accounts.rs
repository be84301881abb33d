//! Staff accounts on a real data folder: provisioning, roles, per-account
//! lockout with shifted clocks and restarts.

use std::time::{Duration, Instant, SystemTime};

use dayfusion_staff::{
    FIRST_LOCKOUT, MAX_FAILURES, MAX_LOCKOUT, Moment, Role, STAFF_FILE, SignIn, StaffDirectory,
    StaffError,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);

fn lock_out(dir: &StaffDirectory, id: &str, at: Moment) -> Result<u32, StaffError> {
    for _ in 1..MAX_FAILURES {
        assert_eq!(dir.sign_in(id, "000001", at)?, SignIn::Wrong);
    }
    match dir.sign_in(id, "000001", at)? {
        SignIn::Locked { seconds } => Ok(seconds),
        other => panic!("expected a lock, got {other:?}"),
    }
}

fn locked_seconds(outcome: SignIn) -> Option<u32> {
    match outcome {
        SignIn::Locked { seconds } => Some(seconds),
        _ => None,
    }
}

#[test]
fn first_run_takeover_a_kiosk_without_accounts_lets_nobody_in() -> TestResult {
    let data = tempfile::tempdir()?;
    let dir = StaffDirectory::open(data.path())?;
    assert!(!dir.is_provisioned()?);
    assert_eq!(
        dir.sign_in("admin", "240817", Moment::now())?,
        SignIn::NotProvisioned
    );
    // The retired shared-PIN file (version 1) opens nothing either.
    std::fs::write(
        data.path().join(STAFF_FILE),
        r#"{"pinHash":"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA","failures":0,"lockouts":0,"lockedUntil":null}"#,
    )?;
    assert!(!dir.is_provisioned()?);
    assert_eq!(
        dir.sign_in("staff", "240817", Moment::now())?,
        SignIn::NotProvisioned
    );
    Ok(())
}

#[test]
fn provisioned_accounts_are_named_with_roles_and_hashed_pins_only() -> TestResult {
    let data = tempfile::tempdir()?;
    let cli = StaffDirectory::open(data.path())?;
    cli.add("f1001", "Maria Souza", Role::Admin, "240817")?;
    cli.add("f1002", "João Lima", Role::Reviewer, "135792")?;
    assert_eq!(
        cli.add("f1002", "Other", Role::Reviewer, "135792"),
        Err(StaffError::AccountExists("f1002".into()))
    );
    assert_eq!(
        cli.add("../x", "Bad", Role::Admin, "240817"),
        Err(StaffError::AccountIdInvalid)
    );
    assert_eq!(
        cli.add("f1003", "Weak", Role::Admin, "123456"),
        Err(StaffError::PinTooWeak)
    );
    let text = std::fs::read_to_string(data.path().join(STAFF_FILE))?;
    assert!(text.contains("$argon2id$"), "{text}");
    assert!(!text.contains("240817") && !text.contains("135792"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.path().join(STAFF_FILE))?
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The running kiosk (another directory on the same folder) sees the
    // CLI's accounts at once, and its removals.
    let kiosk = StaffDirectory::open(data.path())?;
    match kiosk.sign_in("f1002", "135792", Moment::now())? {
        SignIn::Accepted(info) => {
            assert_eq!(info.role, Role::Reviewer);
            assert_eq!(info.name, "João Lima");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        kiosk.sign_in("f1002", "240817", Moment::now())?,
        SignIn::Wrong
    );
    // An unknown account answers exactly like a wrong PIN.
    assert_eq!(
        kiosk.sign_in("f9999", "240817", Moment::now())?,
        SignIn::Wrong
    );
    cli.remove("f1002")?;
    assert_eq!(
        kiosk.sign_in("f1002", "135792", Moment::now())?,
        SignIn::Wrong
    );
    assert_eq!(kiosk.account("f1002", Moment::now())?, None);
    let listed = kiosk.list(Moment::now())?;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, "f1001");
    Ok(())
}

#[test]
fn changing_a_pin_needs_the_old_pin() -> TestResult {
    let data = tempfile::tempdir()?;
    let dir = StaffDirectory::open(data.path())?;
    dir.add("f1001", "Maria", Role::Reviewer, "240817")?;
    let now = Moment::now();
    assert_eq!(
        dir.change_pin("f1001", "999999", "531902", now)?,
        SignIn::Wrong
    );
    assert_eq!(
        dir.change_pin("f1001", "240817", "240817", now),
        Err(StaffError::PinUnchanged)
    );
    assert!(matches!(
        dir.change_pin("f1001", "240817", "531902", now)?,
        SignIn::Accepted(_)
    ));
    assert_eq!(dir.sign_in("f1001", "240817", now)?, SignIn::Wrong);
    assert!(matches!(
        dir.sign_in("f1001", "531902", now)?,
        SignIn::Accepted(_)
    ));
    // An admin's reset needs no old PIN and lifts a lock.
    lock_out(&dir, "f1001", now)?;
    dir.reset("f1001", "864209")?;
    assert!(matches!(
        dir.sign_in("f1001", "864209", now)?,
        SignIn::Accepted(_)
    ));
    Ok(())
}

#[test]
fn lockout_is_per_account_and_an_admin_unlocks_it() -> TestResult {
    let data = tempfile::tempdir()?;
    let dir = StaffDirectory::open(data.path())?;
    dir.add("f1001", "Maria", Role::Admin, "240817")?;
    dir.add("f1002", "João", Role::Reviewer, "135792")?;
    let now = Moment::now();
    assert_eq!(
        lock_out(&dir, "f1002", now)?,
        FIRST_LOCKOUT.as_secs() as u32
    );
    // The locked account waits even with the right PIN; the other does not.
    assert!(locked_seconds(dir.sign_in("f1002", "135792", now)?).is_some());
    assert!(matches!(
        dir.sign_in("f1001", "240817", now)?,
        SignIn::Accepted(_)
    ));
    // Wrong PINs for an unknown id lock no real account, and the unknown
    // id answers exactly as a real one would (a lock after five), so
    // locking does not tell which ids exist.
    assert_eq!(
        lock_out(&dir, "f1003", now)?,
        FIRST_LOCKOUT.as_secs() as u32
    );
    assert!(locked_seconds(dir.sign_in("f1003", "240817", now)?).is_some());
    assert!(matches!(
        dir.sign_in("f1001", "240817", now)?,
        SignIn::Accepted(_)
    ));
    // The CLI's unlock reaches the running kiosk.
    StaffDirectory::open(data.path())?.unlock("f1002")?;
    assert!(matches!(
        dir.sign_in("f1002", "135792", now)?,
        SignIn::Accepted(_)
    ));
    Ok(())
}

#[test]
fn lockout_caps_with_a_shifted_clock_and_across_a_restart() -> TestResult {
    let data = tempfile::tempdir()?;
    let dir = StaffDirectory::open(data.path())?;
    dir.add("f1002", "João", Role::Reviewer, "135792")?;
    let mono = Instant::now();
    let wall = SystemTime::now();
    let first = lock_out(&dir, "f1002", Moment { wall, mono })?;
    assert_eq!(first, FIRST_LOCKOUT.as_secs() as u32);

    // In the running process a jump of the wall clock changes nothing: one
    // minute later on the monotonic clock, one minute less, whether the
    // wall clock jumped ten years forward or back.
    for shifted in [wall + 10 * YEAR, wall - 10 * YEAR] {
        let at = Moment {
            wall: shifted,
            mono: mono + Duration::from_secs(60),
        };
        assert_eq!(
            locked_seconds(dir.sign_in("f1002", "135792", at)?),
            Some(first - 60)
        );
    }
    // Served in full on the monotonic clock: open again.
    let served = Moment {
        wall: wall - 10 * YEAR,
        mono: mono + FIRST_LOCKOUT,
    };
    assert!(matches!(
        dir.sign_in("f1002", "135792", served)?,
        SignIn::Accepted(_)
    ));

    // A new lock, then a restart with the clock set back ten years: the
    // lock is capped at its length, never stretched to years.
    let second = lock_out(&dir, "f1002", Moment { wall, mono })?;
    assert_eq!(second, FIRST_LOCKOUT.as_secs() as u32);
    let restarted = StaffDirectory::open(data.path())?;
    let back = Moment {
        wall: wall - 10 * YEAR,
        mono: Instant::now(),
    };
    let left = restarted
        .list(back)?
        .into_iter()
        .find(|a| a.id == "f1002")
        .and_then(|a| a.locked_seconds);
    assert_eq!(left, Some(second));
    assert!(u64::from(second) <= MAX_LOCKOUT.as_secs());
    // A restart with the right clock two minutes on: two minutes served.
    let restarted = StaffDirectory::open(data.path())?;
    let on = Moment {
        wall: wall + Duration::from_secs(120),
        mono: Instant::now(),
    };
    assert_eq!(
        locked_seconds(restarted.sign_in("f1002", "135792", on)?),
        Some(second - 120)
    );
    Ok(())
}
