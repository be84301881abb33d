//! Staff roles and what each may do.

/// A staff account's role (the IPC type, so screens and core agree).
pub use dayfusion_ipc::StaffRole as Role;

/// Something a role may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read the review queue and settle reviews.
    Review,
    /// Status, diagnostics, the staff liveness check (read-only screens).
    Inspect,
    /// Change settings or the AWS connection, leave kiosk mode.
    Administer,
    /// Operate customer visits in field mode.
    OperateField,
    /// Drive a customer's visit beside them in the branch (an assisted
    /// visit, recorded with the account as its operator).
    AssistVisit,
}

impl Permission {
    /// Words for refusals (`may not review`).
    pub fn action(self) -> &'static str {
        match self {
            Permission::Review => "review transactions",
            Permission::Inspect => "open the status screens",
            Permission::Administer => "administer the kiosk",
            Permission::OperateField => "operate field visits",
            Permission::AssistVisit => "assist customers' visits",
        }
    }

    /// Whether `role` may do this.
    pub fn allows(self, role: Role) -> bool {
        match self {
            Permission::Review | Permission::Inspect => {
                matches!(role, Role::Reviewer | Role::Admin)
            }
            Permission::Administer => role == Role::Admin,
            Permission::OperateField => matches!(role, Role::FieldAgent | Role::Admin),
            // Every staff member may help a customer through a visit.
            Permission::AssistVisit => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_administer_and_field_agents_do_not_review() {
        assert!(Permission::Administer.allows(Role::Admin));
        assert!(!Permission::Administer.allows(Role::Reviewer));
        assert!(!Permission::Administer.allows(Role::FieldAgent));
        assert!(Permission::Review.allows(Role::Reviewer));
        assert!(!Permission::Review.allows(Role::FieldAgent));
        assert!(!Permission::Inspect.allows(Role::FieldAgent));
        assert!(Permission::OperateField.allows(Role::FieldAgent));
        assert!(!Permission::OperateField.allows(Role::Reviewer));
        for role in [Role::Reviewer, Role::Admin, Role::FieldAgent] {
            assert!(Permission::AssistVisit.allows(role), "{role} assists");
        }
        assert_eq!("field-agent".parse::<Role>(), Ok(Role::FieldAgent));
        assert!("root".parse::<Role>().is_err());
    }
}
