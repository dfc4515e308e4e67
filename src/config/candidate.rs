//! The pre-release a QA candidate is named by (`rc.{n}`): candidate `n` of version `X` is the
//! version `X-rc.n`, tagged with the release's own tag template. A candidate is therefore a
//! semver pre-release of the version it tests, so it can never take `latest`, never be taken for
//! the previous release, and never use the final tag's name.

use semver::{Prerelease, Version};

const PLACEHOLDER: &str = "{n}";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidatePattern {
    text: String,
}

impl CandidatePattern {
    /// `{n}` exactly once, and a valid semver pre-release once rendered (dot-separated
    /// identifiers of ASCII letters, digits and hyphens).
    pub fn parse(text: &str) -> Result<CandidatePattern, String> {
        if text.matches(PLACEHOLDER).count() != 1 {
            return Err(format!("must contain `{PLACEHOLDER}` exactly once"));
        }
        let pattern = CandidatePattern { text: text.into() };
        let rendered = pattern.pre(1);
        Prerelease::new(&rendered).map_err(|e| {
            format!("renders to `{rendered}`, which is not a semver pre-release identifier: {e}")
        })?;
        if rendered.is_empty() {
            return Err("must not be empty".into());
        }
        Ok(pattern)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn pre(&self, n: u32) -> String {
        self.text.replace(PLACEHOLDER, &n.to_string())
    }

    /// Candidate `n` of `version`: `0.1.3` and 2 give `0.1.3-rc.2`.
    pub fn version(&self, version: &Version, n: u32) -> Version {
        let mut candidate = Version::new(version.major, version.minor, version.patch);
        candidate.pre = Prerelease::new(&self.pre(n)).expect("checked when parsed");
        candidate
    }

    /// Which candidate a version is, and of which release: `0.1.3-rc.2` gives `(0.1.3, 2)`.
    pub fn number_of(&self, candidate: &Version) -> Option<(Version, u32)> {
        let (prefix, suffix) = self.text.split_once(PLACEHOLDER)?;
        let digits = candidate
            .pre
            .as_str()
            .strip_prefix(prefix)?
            .strip_suffix(suffix)?;
        // Only the number as it is rendered (`01` is not candidate 1).
        let n: u32 = digits
            .parse()
            .ok()
            .filter(|n: &u32| n.to_string() == digits)?;
        let release = Version::new(candidate.major, candidate.minor, candidate.patch);
        (candidate.build.is_empty() && n > 0).then_some((release, n))
    }
}

impl Default for CandidatePattern {
    fn default() -> Self {
        CandidatePattern::parse("rc.{n}").expect("the default is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn a_candidate_is_a_pre_release_of_the_version_it_tests() {
        let rc = CandidatePattern::default();
        assert_eq!(rc.version(&v("0.1.3"), 2).to_string(), "0.1.3-rc.2");
        assert_eq!(rc.number_of(&v("0.1.3-rc.2")), Some((v("0.1.3"), 2)));
        assert_eq!(rc.number_of(&v("0.1.3")), None);
        assert_eq!(rc.number_of(&v("0.1.3-beta.1")), None);
        assert_eq!(rc.number_of(&v("0.1.3-rc.0")), None);
        let qa = CandidatePattern::parse("qa{n}").unwrap();
        assert_eq!(qa.version(&v("1.0.0"), 12).to_string(), "1.0.0-qa12");
        assert_eq!(qa.number_of(&v("1.0.0-qa12")), Some((v("1.0.0"), 12)));
        assert_eq!(qa.number_of(&v("1.0.0-qa012")), None, "not as rendered");
    }

    #[test]
    fn a_pattern_needs_the_number_once_and_a_valid_pre_release() {
        assert!(CandidatePattern::parse("rc")
            .unwrap_err()
            .contains("exactly once"));
        assert!(CandidatePattern::parse("rc {n}")
            .unwrap_err()
            .contains("not a semver pre-release"));
        assert!(CandidatePattern::parse("rc..{n}").is_err());
        assert!(CandidatePattern::parse("{n}.{n}").is_err());
    }
}
