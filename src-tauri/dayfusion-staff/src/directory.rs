//! The kiosk's staff accounts: provisioning (the CLI), sign-in and PIN
//! changes (the kiosk), each call reading `staff.json` afresh under the
//! shared file lock.

use std::path::Path;

use serde::Serialize;
use zeroize::Zeroizing;

use crate::lockout::{self, Moment, Served};
use crate::pin::{check_pin_strength, hash_pin, verify_nothing, verify_pin};
use crate::store::{StaffFile, Store, StoredAccount};
use crate::{Role, StaffError};

/// Longest display name, characters.
const MAX_NAME_CHARS: usize = 80;

/// An account as listed (never its PIN hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountInfo {
    /// The bank's staff number or login (`f1234567`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Seconds the account stays locked, if it is.
    pub locked_seconds: Option<u32>,
}

/// What a sign-in (or the old-PIN check of a PIN change) gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    /// Right account and PIN.
    Accepted(AccountInfo),
    /// Unknown account or wrong PIN (the answer does not say which).
    Wrong,
    /// This account is locked; seconds to wait.
    Locked {
        /// Seconds left.
        seconds: u32,
    },
    /// The kiosk has no accounts at all.
    NotProvisioned,
}

/// The staff accounts of one kiosk.
#[derive(Debug)]
pub struct StaffDirectory {
    store: Store,
    served: Served,
    /// Wrong PINs for ids that are not accounts, counted in memory like
    /// real ones, so that a lock does not tell which ids exist.
    unknown: lockout::Phantoms,
    /// Opened with [`StaffDirectory::open_for_planning`]: reads only.
    planning: bool,
}

/// Checks an account id: 3-32 of `a-z 0-9 . _ -`, starting with a letter
/// or digit.
pub fn check_id(id: &str) -> Result<(), StaffError> {
    let bytes = id.as_bytes();
    let ok = (3..=32).contains(&bytes.len())
        && bytes[0].is_ascii_alphanumeric()
        && bytes.iter().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    ok.then_some(()).ok_or(StaffError::AccountIdInvalid)
}

/// Checks a display name (1-80 characters without control characters)
/// and returns it trimmed.
pub fn check_name(name: &str) -> Result<String, StaffError> {
    let name = name.trim();
    let chars = name.chars().count();
    if (1..=MAX_NAME_CHARS).contains(&chars) && !name.chars().any(char::is_control) {
        Ok(name.to_owned())
    } else {
        Err(StaffError::NameInvalid)
    }
}

impl StaffDirectory {
    /// The directory of data folder `data_dir` (no file yet = no accounts).
    pub fn open(data_dir: &Path) -> Result<Self, StaffError> {
        if !data_dir.is_dir() {
            return Err(StaffError::Storage(format!(
                "no data folder {}",
                data_dir.display()
            )));
        }
        Ok(Self {
            store: Store::new(data_dir),
            served: Served::default(),
            unknown: lockout::Phantoms::default(),
            planning: false,
        })
    }

    /// The directory of `data_dir` for planning a provisioning
    /// (`dayfusion provision`, a dry run included): it reads only. Nothing
    /// is created, not even the lock file, and every change, sign-in and
    /// PIN change is refused.
    pub fn open_for_planning(data_dir: &Path) -> Result<Self, StaffError> {
        Ok(Self {
            planning: true,
            ..Self::open(data_dir)?
        })
    }

    /// Refuses a change on a directory opened for planning.
    fn writable(&self) -> Result<(), StaffError> {
        if self.planning {
            return Err(StaffError::Storage(
                "the staff directory was opened for planning: it cannot change".into(),
            ));
        }
        Ok(())
    }

    fn info(&self, id: &str, account: &StoredAccount, at: Moment) -> AccountInfo {
        AccountInfo {
            id: id.to_owned(),
            name: account.name.clone(),
            role: account.role,
            locked_seconds: self.locked(id, account, at),
        }
    }

    fn locked(&self, id: &str, account: &StoredAccount, at: Moment) -> Option<u32> {
        let lock = account.lock.as_ref()?;
        let left = self.served.remaining(id, lock, at);
        (!left.is_zero()).then(|| lockout::whole_seconds(left))
    }

    /// Runs `change` on the file under the lock and writes it when changed.
    fn edit<T>(
        &self,
        change: impl FnOnce(&mut StaffFile) -> Result<T, StaffError>,
    ) -> Result<T, StaffError> {
        self.writable()?;
        let held = self.store.hold()?;
        let mut file = self.store.read(&held)?;
        let before = file.accounts.clone();
        let result = change(&mut file)?;
        if file.accounts != before {
            self.store.write(&held, &file)?;
        }
        Ok(result)
    }

    fn read(&self) -> Result<StaffFile, StaffError> {
        let held = if self.planning {
            self.store.hold_existing()?
        } else {
            self.store.hold()?
        };
        self.store.read(&held)
    }

    /// Whether the kiosk has at least one account.
    pub fn is_provisioned(&self) -> Result<bool, StaffError> {
        Ok(!self.read()?.accounts.is_empty())
    }

    /// Every account, by id.
    pub fn list(&self, at: Moment) -> Result<Vec<AccountInfo>, StaffError> {
        Ok(self
            .read()?
            .accounts
            .iter()
            .map(|(id, a)| self.info(id, a, at))
            .collect())
    }

    /// One account, if it exists.
    pub fn account(&self, id: &str, at: Moment) -> Result<Option<AccountInfo>, StaffError> {
        Ok(self.read()?.accounts.get(id).map(|a| self.info(id, a, at)))
    }

    /// Adds an account (provisioning).
    pub fn add(&self, id: &str, name: &str, role: Role, pin: &str) -> Result<(), StaffError> {
        check_id(id)?;
        let name = check_name(name)?;
        check_pin_strength(pin)?;
        let pin_hash = hash_pin(pin)?;
        self.edit(|file| {
            if file.accounts.contains_key(id) {
                return Err(StaffError::AccountExists(id.to_owned()));
            }
            file.accounts.insert(
                id.to_owned(),
                StoredAccount {
                    name,
                    role,
                    pin_hash,
                    failures: 0,
                    lockouts: 0,
                    lock: None,
                },
            );
            Ok(())
        })?;
        tracing::info!(event = "staff_account_added", account = id, role = %role, "staff account added");
        Ok(())
    }

    /// Removes an account; its open sessions end at their next use.
    pub fn remove(&self, id: &str) -> Result<(), StaffError> {
        self.edit(|file| {
            file.accounts
                .remove(id)
                .map(|_| ())
                .ok_or_else(|| StaffError::NoSuchAccount(id.to_owned()))
        })?;
        self.served.forget(id);
        tracing::info!(
            event = "staff_account_removed",
            account = id,
            "staff account removed"
        );
        Ok(())
    }

    /// Gives an account a new PIN (an admin's reset: no old PIN), clearing
    /// its lock.
    pub fn reset(&self, id: &str, pin: &str) -> Result<(), StaffError> {
        check_pin_strength(pin)?;
        let pin_hash = hash_pin(pin)?;
        self.edit(|file| {
            let account = file
                .accounts
                .get_mut(id)
                .ok_or_else(|| StaffError::NoSuchAccount(id.to_owned()))?;
            account.pin_hash = pin_hash;
            lockout::clear(account);
            Ok(())
        })?;
        self.served.forget(id);
        tracing::info!(event = "staff_pin_reset", account = id, "staff PIN reset");
        Ok(())
    }

    /// Changes an account's display name and role (provisioning); `false`
    /// when it already had both. Its PIN and lock stay; a new role ends its
    /// open sessions at their next use (the kiosk compares roles on each).
    pub fn update(&self, id: &str, name: &str, role: Role) -> Result<bool, StaffError> {
        let name = check_name(name)?;
        let changed = self.edit(|file| {
            let account = file
                .accounts
                .get_mut(id)
                .ok_or_else(|| StaffError::NoSuchAccount(id.to_owned()))?;
            let changed = account.name != name || account.role != role;
            account.name = name;
            account.role = role;
            Ok(changed)
        })?;
        if changed {
            tracing::info!(event = "staff_account_updated", account = id, role = %role, "staff account updated");
        }
        Ok(changed)
    }

    /// Whether `pin` already is account `id`'s PIN, *without* counting a
    /// failure: only for `dayfusion provision` (run by the data folder's
    /// owner, who can read `staff.json` anyway) to leave a PIN that is
    /// already right alone. Never for signing in: it answers only on a
    /// directory opened with [`StaffDirectory::open_for_planning`], which
    /// can neither sign in nor change anything.
    #[doc(hidden)]
    pub fn provisioning_pin_is_current(&self, id: &str, pin: &str) -> Result<bool, StaffError> {
        if !self.planning {
            return Err(StaffError::Storage(
                "a PIN is compared without counting failures only when planning a provisioning"
                    .into(),
            ));
        }
        let file = self.read()?;
        let account = file
            .accounts
            .get(id)
            .ok_or_else(|| StaffError::NoSuchAccount(id.to_owned()))?;
        Ok(verify_pin(pin, &account.pin_hash))
    }

    /// Ends an account's lockout and failure count.
    pub fn unlock(&self, id: &str) -> Result<(), StaffError> {
        self.edit(|file| {
            let account = file
                .accounts
                .get_mut(id)
                .ok_or_else(|| StaffError::NoSuchAccount(id.to_owned()))?;
            lockout::clear(account);
            Ok(())
        })?;
        self.served.forget(id);
        tracing::info!(
            event = "staff_unlocked",
            account = id,
            "staff account unlocked"
        );
        Ok(())
    }

    /// Checks `pin` for account `id` at `at`, counting failures and locking
    /// that account (and no other) after [`crate::MAX_FAILURES`].
    pub fn sign_in(&self, id: &str, pin: &str, at: Moment) -> Result<SignIn, StaffError> {
        let outcome = self.verify(id, pin, at, |_| Ok(()))?;
        if let SignIn::Accepted(info) = &outcome {
            tracing::info!(event = "staff_signed_in", account = %info.id, role = %info.role, "staff signed in");
        }
        Ok(outcome)
    }

    /// Changes account `id`'s PIN: the old PIN is checked like a sign-in
    /// (wrong ones count towards the lock), then the new one is set.
    pub fn change_pin(
        &self,
        id: &str,
        old_pin: &str,
        new_pin: &str,
        at: Moment,
    ) -> Result<SignIn, StaffError> {
        check_pin_strength(new_pin)?;
        if old_pin == new_pin {
            return Err(StaffError::PinUnchanged);
        }
        let pin_hash = hash_pin(new_pin)?;
        let outcome = self.verify(id, old_pin, at, move |account| {
            account.pin_hash = pin_hash;
            Ok(())
        })?;
        if matches!(outcome, SignIn::Accepted(_)) {
            tracing::info!(
                event = "staff_pin_changed",
                account = id,
                "staff PIN changed"
            );
        }
        Ok(outcome)
    }

    /// Checks `pin` for account `id`. The failure is counted and written
    /// *before* the PIN is checked, so a disk that refuses writes cannot
    /// lift the lockout (the PIN is then not checked at all).
    fn verify(
        &self,
        id: &str,
        pin: &str,
        at: Moment,
        on_right: impl FnOnce(&mut StoredAccount) -> Result<(), StaffError>,
    ) -> Result<SignIn, StaffError> {
        self.writable()?;
        let pin = Zeroizing::new(pin.to_owned());
        let held = self.store.hold()?;
        let mut file = self.store.read(&held)?;
        if file.accounts.is_empty() {
            return Ok(SignIn::NotProvisioned);
        }
        let Some(account) = file.accounts.get(id).cloned() else {
            // Answered exactly as a real account would be, lock included.
            if let Some(seconds) = self.unknown.locked(id, at) {
                return Ok(SignIn::Locked { seconds });
            }
            verify_nothing(&pin);
            tracing::warn!(
                event = "staff_sign_in_refused",
                "unknown staff account or wrong PIN"
            );
            return Ok(match self.unknown.count_failure(id, at) {
                Some(seconds) => SignIn::Locked { seconds },
                None => SignIn::Wrong,
            });
        };
        if let Some(left) = self.locked(id, &account, at) {
            return Ok(SignIn::Locked { seconds: left });
        }
        let mut failed = account.clone();
        let locked_for = lockout::count_failure(&mut failed, at);
        file.accounts.insert(id.to_owned(), failed.clone());
        self.store.write(&held, &file)?;

        if verify_pin(&pin, &account.pin_hash) {
            let mut right = account;
            lockout::clear(&mut right);
            on_right(&mut right)?;
            let info = AccountInfo {
                id: id.to_owned(),
                name: right.name.clone(),
                role: right.role,
                locked_seconds: None,
            };
            file.accounts.insert(id.to_owned(), right);
            self.store.write(&held, &file)?;
            return Ok(SignIn::Accepted(info));
        }
        match locked_for {
            Some(length) => {
                tracing::warn!(
                    event = "staff_pin_locked",
                    account = id,
                    seconds = length.as_secs(),
                    "too many wrong staff PINs: account locked"
                );
                Ok(SignIn::Locked {
                    seconds: self.locked(id, &failed, at).unwrap_or(0),
                })
            }
            None => {
                tracing::warn!(
                    event = "staff_pin_wrong",
                    account = id,
                    failures = failed.failures,
                    "wrong staff PIN"
                );
                Ok(SignIn::Wrong)
            }
        }
    }
}
