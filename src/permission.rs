//! Repository roles and the rule "may this person run releasebot commands?".
//!
//! GitHub's collaborator-permission endpoint folds `maintain` into `write` and `triage` into
//! `read` in its `permission` field; the exact role is in `role_name`. Custom roles (an
//! organisation feature) show their own name there, so for those we fall back to the folded
//! field, which is the base role they extend.

use std::fmt;

/// A repository role, ordered from least to most access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    None,
    Read,
    Triage,
    Write,
    Maintain,
    Admin,
}

impl Role {
    pub fn parse(name: &str) -> Option<Role> {
        Some(match name {
            "none" => Role::None,
            "read" | "pull" => Role::Read,
            "triage" => Role::Triage,
            "write" | "push" => Role::Write,
            "maintain" => Role::Maintain,
            "admin" => Role::Admin,
            _ => return None,
        })
    }

    /// The effective role from the endpoint's two fields: the exact `role_name` when it is a
    /// built-in role, else the folded `permission`.
    pub fn from_collaborator_permission(role_name: Option<&str>, permission: &str) -> Role {
        role_name
            .and_then(Role::parse)
            .or_else(|| Role::parse(permission))
            .unwrap_or(Role::None)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::None => "none",
            Role::Read => "read",
            Role::Triage => "triage",
            Role::Write => "write",
            Role::Maintain => "maintain",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The least role allowed to run commands; only these three make sense for a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequiredPermission {
    Write,
    Maintain,
    Admin,
}

impl RequiredPermission {
    pub const ACCEPTED: &'static str = "\"write\", \"maintain\" or \"admin\"";

    pub fn parse(name: &str) -> Option<RequiredPermission> {
        match name {
            "write" => Some(RequiredPermission::Write),
            "maintain" => Some(RequiredPermission::Maintain),
            "admin" => Some(RequiredPermission::Admin),
            _ => None,
        }
    }

    pub fn role(self) -> Role {
        match self {
            RequiredPermission::Write => Role::Write,
            RequiredPermission::Maintain => Role::Maintain,
            RequiredPermission::Admin => Role::Admin,
        }
    }

    pub fn allows(self, role: Role) -> bool {
        role >= self.role()
    }
}

impl fmt::Display for RequiredPermission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.role().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maintain_is_read_from_role_name_not_the_folded_permission() {
        let role = Role::from_collaborator_permission(Some("maintain"), "write");
        assert_eq!(role, Role::Maintain);
        assert!(RequiredPermission::Maintain.allows(role));
    }

    #[test]
    fn a_writer_may_not_release_when_maintain_is_required() {
        let role = Role::from_collaborator_permission(Some("write"), "write");
        assert!(!RequiredPermission::Maintain.allows(role));
        assert!(RequiredPermission::Write.allows(role));
    }

    #[test]
    fn a_custom_role_counts_as_its_base_permission() {
        let role = Role::from_collaborator_permission(Some("release-manager"), "write");
        assert_eq!(role, Role::Write);
    }

    #[test]
    fn triage_is_below_write_and_none_allows_nothing() {
        let triage = Role::from_collaborator_permission(Some("triage"), "read");
        assert_eq!(triage, Role::Triage);
        assert!(!RequiredPermission::Write.allows(triage));
        assert!(!RequiredPermission::Write.allows(Role::from_collaborator_permission(None, "none")));
    }

    #[test]
    fn only_write_maintain_and_admin_are_accepted_as_the_setting() {
        assert_eq!(
            RequiredPermission::parse("admin"),
            Some(RequiredPermission::Admin)
        );
        assert_eq!(RequiredPermission::parse("triage"), None);
        assert_eq!(RequiredPermission::parse("Maintain"), None);
    }
}
