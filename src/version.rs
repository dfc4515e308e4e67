//! The version a maintainer asks for: its form, and whether it comes next.

use semver::Version;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionError {
    LeadingV { input: String, bare: String },
    BuildMetadata { input: String },
    NotSemver { input: String, reason: String },
}

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionError::LeadingV { input, bare } => write!(
                f,
                "`{input}` starts with `v`, but versions and tags here are the bare version: \
                 write `/release {bare}`."
            ),
            VersionError::BuildMetadata { input } => write!(
                f,
                "`{input}` has build metadata (`+…`), which Docker image tags cannot carry; \
                 use a prerelease such as `0.2.0-rc.1` instead."
            ),
            VersionError::NotSemver { input, reason } => write!(
                f,
                "`{input}` is not a semantic version ({reason}); write MAJOR.MINOR.PATCH such as \
                 `0.1.3`, or a prerelease such as `0.2.0-rc.1`."
            ),
        }
    }
}

/// Parses the version as typed in `/release <version>`.
pub fn parse_requested(input: &str) -> Result<Version, VersionError> {
    if let Some(rest) = input.strip_prefix(['v', 'V']) {
        if Version::parse(rest).is_ok() {
            return Err(VersionError::LeadingV {
                input: input.into(),
                bare: rest.into(),
            });
        }
    }
    let version = Version::parse(input).map_err(|e| VersionError::NotSemver {
        input: input.into(),
        reason: e.to_string(),
    })?;
    if !version.build.is_empty() {
        return Err(VersionError::BuildMetadata {
            input: input.into(),
        });
    }
    Ok(version)
}

/// Why a well-formed version is still not the next release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionRefusal {
    TagExists {
        tag: String,
    },
    NotAboveCurrent {
        requested: Version,
        current: Version,
    },
    NotAboveTag {
        requested: Version,
        tag: String,
        highest: Version,
    },
}

impl fmt::Display for VersionRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionRefusal::TagExists { tag } => write!(
                f,
                "tag `{tag}` already exists, so that version has been released (or tagged by hand)."
            ),
            VersionRefusal::NotAboveCurrent { requested, current } => write!(
                f,
                "`{requested}` is not greater than `{current}`, the version on the base branch; {}",
                next_hint(current)
            ),
            VersionRefusal::NotAboveTag {
                requested,
                tag,
                highest,
            } => write!(
                f,
                "`{requested}` is not greater than the highest version tag, `{tag}`; {}",
                next_hint(highest)
            ),
        }
    }
}

fn next_hint(after: &Version) -> String {
    if after.pre.is_empty() {
        format!(
            "the next patch would be `{}`, the next minor `{}`.",
            Version::new(after.major, after.minor, after.patch + 1),
            Version::new(after.major, after.minor + 1, 0)
        )
    } else {
        format!(
            "the release it leads to would be `{}`.",
            Version::new(after.major, after.minor, after.patch)
        )
    }
}

/// Checks that `requested` comes after everything released or prepared so far.
pub fn check_is_next(
    requested: &Version,
    current: &Version,
    existing_tags: &[(String, Version)],
    tag_name: &str,
    tag_exists: bool,
) -> Result<(), VersionRefusal> {
    if tag_exists {
        return Err(VersionRefusal::TagExists {
            tag: tag_name.into(),
        });
    }
    if requested <= current {
        return Err(VersionRefusal::NotAboveCurrent {
            requested: requested.clone(),
            current: current.clone(),
        });
    }
    if let Some((tag, highest)) = existing_tags.iter().max_by(|a, b| a.1.cmp(&b.1)) {
        if requested <= highest {
            return Err(VersionRefusal::NotAboveTag {
                requested: requested.clone(),
                tag: tag.clone(),
                highest: highest.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn plain_and_prerelease_versions_are_accepted() {
        assert_eq!(parse_requested("0.1.3"), Ok(v("0.1.3")));
        assert_eq!(parse_requested("0.2.0-rc.1"), Ok(v("0.2.0-rc.1")));
    }

    #[test]
    fn a_leading_v_is_refused_naming_the_bare_form() {
        let error = parse_requested("v0.1.3").unwrap_err();
        assert!(
            error.to_string().contains("write `/release 0.1.3`"),
            "{error}"
        );
    }

    #[test]
    fn words_short_versions_and_leading_zeros_are_not_versions() {
        for input in ["banana", "0.1", "01.2.3", ""] {
            let error = parse_requested(input).unwrap_err();
            assert!(
                matches!(error, VersionError::NotSemver { .. }),
                "{input}: {error}"
            );
            assert!(error.to_string().contains("`0.1.3`"), "{error}");
        }
    }

    #[test]
    fn build_metadata_is_refused_because_docker_tags_cannot_hold_it() {
        let error = parse_requested("0.1.3+build.5").unwrap_err();
        assert!(error.to_string().contains("Docker"), "{error}");
    }

    fn tags(list: &[&str]) -> Vec<(String, Version)> {
        list.iter().map(|t| (t.to_string(), v(t))).collect()
    }

    #[test]
    fn the_next_patch_after_the_current_version_and_tags_is_accepted() {
        let existing = tags(&["0.1.0", "0.1.1", "0.1.2"]);
        assert_eq!(
            check_is_next(&v("0.1.3"), &v("0.1.2"), &existing, "0.1.3", false),
            Ok(())
        );
    }

    #[test]
    fn an_existing_tag_is_refused_first() {
        let refusal = check_is_next(&v("0.1.3"), &v("0.1.2"), &[], "0.1.3", true).unwrap_err();
        assert_eq!(
            refusal,
            VersionRefusal::TagExists {
                tag: "0.1.3".into()
            }
        );
    }

    #[test]
    fn the_current_version_again_is_refused_with_the_next_ones_named() {
        let refusal = check_is_next(&v("0.1.2"), &v("0.1.2"), &[], "0.1.2", false).unwrap_err();
        let text = refusal.to_string();
        assert!(
            text.contains("next patch would be `0.1.3`, the next minor `0.2.0`"),
            "{text}"
        );
    }

    #[test]
    fn a_version_below_the_highest_tag_is_refused_naming_that_tag() {
        let existing = tags(&["0.1.2", "0.2.0"]);
        let refusal =
            check_is_next(&v("0.1.3"), &v("0.1.2"), &existing, "0.1.3", false).unwrap_err();
        assert!(refusal.to_string().contains("`0.2.0`"), "{refusal}");
    }

    #[test]
    fn a_release_after_its_prerelease_is_accepted() {
        let existing = tags(&["0.2.0-rc.1"]);
        assert_eq!(
            check_is_next(&v("0.2.0"), &v("0.2.0-rc.1"), &existing, "0.2.0", false),
            Ok(())
        );
    }
}
