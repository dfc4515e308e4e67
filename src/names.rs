//! GitHub's own rules for the names that arrive in payloads. A delivery is signed by GitHub, but
//! a leaked secret or a broken proxy can send anything: a name GitHub could never have made (a
//! NUL, a newline, `..`, `#`) would otherwise reach the queue's database, the logs and the API
//! paths. Such a delivery is refused at the door, never retried.

/// An account login: 1–39 ASCII letters, digits and hyphens, not starting with a hyphen. Bots
/// carry a `[bot]` suffix in payloads.
pub fn is_login(login: &str) -> bool {
    let login = login.strip_suffix("[bot]").unwrap_or(login);
    (1..=39).contains(&login.len())
        && !login.starts_with('-')
        && login
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A repository's name: 1–100 ASCII letters, digits, `.`, `-` and `_`, and not `.` or `..`.
pub fn is_repository(name: &str) -> bool {
    (1..=100).contains(&name.len())
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// `owner/name`.
pub fn is_full_name(full_name: &str) -> bool {
    full_name
        .split_once('/')
        .is_some_and(|(owner, name)| is_login(owner) && is_repository(name))
}

/// A branch or tag name as git allows it, less what no real one holds: control characters
/// and spaces.
pub fn is_ref_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 255 && !name.chars().any(|c| c.is_control() || c == ' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_names_pass() {
        for full in [
            "mathesar-foundation/mathesar",
            "centerofci/mathesar",
            "rust-lang/rust.vim",
            "a/b_c",
        ] {
            assert!(is_full_name(full), "{full}");
        }
        assert!(is_login("releasebot[bot]"));
        assert!(is_ref_name("release/0.1.3"));
    }

    #[test]
    fn names_github_never_makes_are_refused() {
        for full in [
            "o/r\0x",
            "o/r\nINFO forged",
            "o/../../user",
            "o/r#frag",
            "o/r?q",
            "o/..",
            "-o/r",
            "o/r/extra",
            "o",
            "",
            "o/",
            "o/ r",
        ] {
            assert!(!is_full_name(full), "{full:?}");
        }
        assert!(!is_ref_name("main\n"));
        assert!(!is_ref_name(""));
    }
}
