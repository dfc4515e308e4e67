//! Which version `<image>:latest` follows. Users' installs track `:latest` and update themselves,
//! so it must only ever move forward to a stable release: a backport patch (0.1.9 after 0.2.0)
//! or a prerelease never takes it.

use semver::Version;

/// True when `version` is stable and no stable version among `tagged` is higher.
/// `tagged` may include `version` itself.
pub fn moves_latest<'a>(version: &Version, tagged: impl IntoIterator<Item = &'a Version>) -> bool {
    if !version.pre.is_empty() {
        return false;
    }
    tagged
        .into_iter()
        .filter(|v| v.pre.is_empty())
        .all(|v| v <= version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(list: &[&str]) -> Vec<Version> {
        list.iter().map(|v| Version::parse(v).unwrap()).collect()
    }

    #[test]
    fn the_newest_stable_release_moves_latest() {
        let tags = versions(&["0.1.0", "0.1.1", "0.1.2", "0.1.3"]);
        assert!(moves_latest(&Version::parse("0.1.3").unwrap(), &tags));
    }

    #[test]
    fn a_backport_patch_below_a_newer_minor_does_not() {
        let tags = versions(&["0.1.8", "0.2.0", "0.1.9"]);
        assert!(!moves_latest(&Version::parse("0.1.9").unwrap(), &tags));
    }

    #[test]
    fn a_prerelease_never_does_even_when_highest() {
        let tags = versions(&["0.1.7", "0.2.0-testing.1"]);
        assert!(!moves_latest(
            &Version::parse("0.2.0-testing.1").unwrap(),
            &tags
        ));
    }

    #[test]
    fn a_higher_prerelease_does_not_hold_back_a_stable_release() {
        let tags = versions(&["0.1.7", "0.2.0-testing.1", "0.1.8"]);
        assert!(moves_latest(&Version::parse("0.1.8").unwrap(), &tags));
    }
}
