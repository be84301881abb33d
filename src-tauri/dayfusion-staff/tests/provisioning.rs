//! What `dayfusion provision` needs of the directory: renaming and
//! re-roling an account without touching its PIN, and telling whether a
//! PIN is already right without counting a failure.

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
fn pin_matches_counts_no_failure() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let dir = StaffDirectory::open(tmp.path())?;
    dir.add("f1001", "Maria Souza", Role::Admin, "240817")?;
    for _ in 0..MAX_FAILURES * 2 {
        assert!(!dir.pin_matches("f1001", "135792")?);
    }
    assert!(dir.pin_matches("f1001", "240817")?);
    assert_eq!(
        dir.account("f1001", Moment::now())?
            .and_then(|a| a.locked_seconds),
        None,
        "no lock after many mismatches"
    );
    assert!(dir.pin_matches("f1002", "240817").is_err());
    Ok(())
}
