//! What `dayfusion provision` needs of the directory: renaming and
//! re-roling an account without touching its PIN, and telling whether a
//! PIN is already right without counting a failure (only when planning,
//! on a directory that creates and changes nothing).

use dayfusion_staff::{MAX_FAILURES, Moment, Role, STAFF_FILE, SignIn, StaffDirectory, StaffError};

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn update_changes_name_and_role_and_keeps_the_pin() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let dir = StaffDirectory::open(tmp.path())?;
    dir.add("f1001", "Maria Souza", Role::Reviewer, "240817")?;
    let before = std::fs::read(tmp.path().join(STAFF_FILE))?;

    assert!(!dir.update("f1001", " Maria Souza ", Role::Reviewer)?);
    assert_eq!(
        std::fs::read(tmp.path().join(STAFF_FILE))?,
        before,
        "nothing to change: the file is not rewritten"
    );
    assert!(dir.update("f1001", "Maria S. Lima", Role::Admin)?);
    let account = dir.account("f1001", Moment::now())?;
    assert_eq!(account.as_ref().map(|a| a.role), Some(Role::Admin));
    assert_eq!(account.map(|a| a.name), Some("Maria S. Lima".to_owned()));
    assert!(matches!(
        dir.sign_in("f1001", "240817", Moment::now())?,
        SignIn::Accepted(_)
    ));

    assert_eq!(
        dir.update("nobody", "X", Role::Admin),
        Err(StaffError::NoSuchAccount("nobody".into()))
    );
    assert_eq!(
        dir.update("f1001", "a\nb", Role::Admin),
        Err(StaffError::NameInvalid)
    );
    Ok(())
}

#[test]
fn the_provisioning_pin_check_counts_no_failure_and_only_answers_when_planning() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let dir = StaffDirectory::open(tmp.path())?;
    dir.add("f1001", "Maria Souza", Role::Admin, "240817")?;
    // Not on the directory that signs people in.
    assert!(dir.provisioning_pin_is_current("f1001", "240817").is_err());

    let planning = StaffDirectory::open_for_planning(tmp.path())?;
    for _ in 0..MAX_FAILURES * 2 {
        assert!(!planning.provisioning_pin_is_current("f1001", "135792")?);
    }
    assert!(planning.provisioning_pin_is_current("f1001", "240817")?);
    assert_eq!(
        dir.account("f1001", Moment::now())?
            .and_then(|a| a.locked_seconds),
        None,
        "no lock after many mismatches"
    );
    assert!(
        planning
            .provisioning_pin_is_current("f1002", "240817")
            .is_err()
    );
    // A planning directory changes nothing, signs nobody in.
    assert!(
        planning
            .add("f1002", "João", Role::Reviewer, "135792")
            .is_err()
    );
    assert!(planning.reset("f1001", "135792").is_err());
    assert!(planning.unlock("f1001").is_err());
    assert!(planning.sign_in("f1001", "240817", Moment::now()).is_err());
    assert!(dir.account("f1002", Moment::now())?.is_none());
    Ok(())
}

#[test]
fn planning_creates_no_file() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let dir = StaffDirectory::open(tmp.path())?;
    dir.add("f1001", "Maria Souza", Role::Admin, "240817")?;
    std::fs::remove_file(tmp.path().join("staff.lock"))?;
    let planning = StaffDirectory::open_for_planning(tmp.path())?;
    assert_eq!(planning.list(Moment::now())?.len(), 1);
    assert!(planning.provisioning_pin_is_current("f1001", "240817")?);
    assert!(
        !tmp.path().join("staff.lock").exists(),
        "planning created the lock file"
    );
    Ok(())
}
