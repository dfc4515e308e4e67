//! Name templates such as `release/{version}`: rendering, and reading a version back out of a
//! name (to recognise which tags are version tags).

use semver::Version;

const PLACEHOLDER: &str = "{version}";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    text: String,
}

impl Template {
    /// A template that must contain `{version}` exactly once, as branch and tag names must.
    pub fn with_version(text: &str) -> Result<Template, String> {
        let template = Template::free(text)?;
        if text.matches(PLACEHOLDER).count() != 1 {
            return Err(format!("must contain `{PLACEHOLDER}` exactly once"));
        }
        Ok(template)
    }

    /// A template where `{version}` is optional (titles, messages).
    pub fn free(text: &str) -> Result<Template, String> {
        // Only `{word}` looks like a placeholder; shell text such as `${1-"..."}` is literal.
        let without = text.replace(PLACEHOLDER, "");
        for (start, _) in without.match_indices('{') {
            let rest = &without[start + 1..];
            let word_end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let starts_like_a_name =
                rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
            if starts_like_a_name && rest[word_end..].starts_with('}') {
                return Err(format!(
                    "`{{{}}}` is not a placeholder; the only one is `{PLACEHOLDER}`",
                    &rest[..word_end]
                ));
            }
        }
        if text.trim().is_empty() {
            return Err("must not be empty".into());
        }
        Ok(Template { text: text.into() })
    }

    /// A template for a git ref name (branch or tag): `{version}` once, and a valid ref once
    /// rendered.
    pub fn for_ref(text: &str) -> Result<Template, String> {
        let template = Template::with_version(text)?;
        check_ref_name(&template.render(&Version::new(0, 1, 3)))?;
        Ok(template)
    }

    /// A milestone title: `{version}` once (one milestone per release), on one line, without
    /// white space at either end: GitHub trims a title, and the milestone is found again by the
    /// exact title it was made with.
    pub fn for_milestone(text: &str) -> Result<Template, String> {
        let template = Template::with_version(text)?;
        if text.contains(|c: char| c.is_control()) {
            return Err("must be one line, without control characters".into());
        }
        if text.trim() != text {
            return Err(
                "must not start or end with white space: GitHub trims titles, and the milestone \
                 would not be found again by its name"
                    .into(),
            );
        }
        Ok(template)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn render(&self, version: &Version) -> String {
        self.text.replace(PLACEHOLDER, &version.to_string())
    }

    /// The version a name was rendered from, if it was: `0.1.2` for `0.1.2` under `{version}`,
    /// nothing for `v0.1.2`.
    pub fn version_from(&self, name: &str) -> Option<Version> {
        let (prefix, suffix) = self.text.split_once(PLACEHOLDER)?;
        let middle = name.strip_prefix(prefix)?.strip_suffix(suffix)?;
        let version = Version::parse(middle).ok()?;
        // `Version` normalises nothing, but be sure the name is exactly what we would render.
        (self.render(&version) == name).then_some(version)
    }
}

/// A fixed branch name (`base_branch`, `target_branch`), held to git's rules as templates are.
pub fn check_branch_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must be a branch name, not empty".into());
    }
    if name.starts_with("refs/") {
        return Err(format!(
            "`{name}` is a full ref; give the branch's name alone (`{}`)",
            name.trim_start_matches("refs/heads/")
        ));
    }
    check_ref_name(name).map_err(|why| why.replacen("renders to", "is", 1))
}

/// git's rules for ref names (git-check-ref-format), the parts a template can break.
fn check_ref_name(name: &str) -> Result<(), String> {
    let bad = |why: &str| {
        Err(format!(
            "renders to `{name}`, which is not a valid git ref name: {why}"
        ))
    };
    if name.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return bad("it contains white space");
    }
    if let Some(c) = name
        .chars()
        .find(|c| matches!(c, '~' | '^' | ':' | '?' | '*' | '[' | '\\'))
    {
        return bad(&format!("it contains `{c}`"));
    }
    if name.contains("..") || name.contains("@{") || name.contains("//") {
        return bad("it contains `..`, `@{` or `//`");
    }
    if name.starts_with(['/', '.', '-']) || name.ends_with(['/', '.']) || name.ends_with(".lock") {
        return bad("it starts with `/`, `.` or `-`, or ends with `/`, `.` or `.lock`");
    }
    if name.split('/').any(|part| part.starts_with('.')) {
        return bad("a part starts with `.`");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_reads_back_a_version() {
        let tag = Template::for_ref("{version}").unwrap();
        assert_eq!(tag.render(&Version::new(0, 1, 3)), "0.1.3");
        assert_eq!(
            tag.version_from("0.2.0-testing.1"),
            Some(Version::parse("0.2.0-testing.1").unwrap())
        );
        assert_eq!(tag.version_from("v0.1.2"), None);
        assert_eq!(tag.version_from("nightly"), None);
        let prefixed = Template::for_ref("v{version}").unwrap();
        assert_eq!(prefixed.version_from("v0.1.2"), Some(Version::new(0, 1, 2)));
        assert_eq!(prefixed.version_from("0.1.2"), None);
    }

    #[test]
    fn ref_templates_need_the_version_once_and_a_valid_name() {
        assert!(Template::for_ref("release/latest")
            .unwrap_err()
            .contains("exactly once"));
        assert!(Template::for_ref("release {version}")
            .unwrap_err()
            .contains("white space"));
        assert!(Template::for_ref("release/{version}.lock")
            .unwrap_err()
            .contains(".lock"));
        assert!(Template::for_ref("rel..{version}").is_err());
    }

    #[test]
    fn milestone_titles_are_one_trimmed_line_with_the_version() {
        let title = Template::for_milestone("v{version}").unwrap();
        assert_eq!(title.render(&Version::new(0, 2, 1)), "v0.2.1");
        assert!(Template::for_milestone("Next release")
            .unwrap_err()
            .contains("exactly once"));
        assert!(Template::for_milestone(" v{version}")
            .unwrap_err()
            .contains("white space"));
        assert!(Template::for_milestone("v{version}\nmore")
            .unwrap_err()
            .contains("one line"));
    }

    #[test]
    fn fixed_branch_names_follow_git() {
        assert!(check_branch_name("develop").is_ok());
        assert!(check_branch_name("release/next").is_ok());
        assert_eq!(
            check_branch_name("refs/heads/develop").unwrap_err(),
            "`refs/heads/develop` is a full ref; give the branch's name alone (`develop`)"
        );
        assert!(check_branch_name("de velop")
            .unwrap_err()
            .starts_with("is `de velop`, which is not a valid git ref name"));
        assert!(check_branch_name("").is_err());
    }

    #[test]
    fn unknown_placeholders_are_named() {
        let error = Template::free("Release {name}").unwrap_err();
        assert!(error.contains("`{name}`"), "{error}");
        assert!(Template::with_version(r#"github_tag=${1-"{version}"}"#).is_ok());
    }
}
