//! Setting the version in one file's text: only the matched spans change, every other byte
//! (line endings, trailing newline, byte-order mark) is kept.

use std::fmt;
use std::ops::Range;

use crate::config::VersionFile;

/// One place the pattern matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub value: String,
    /// 1-based line of the match.
    pub line: usize,
    /// What is replaced: the `version` group, or the whole match when the file has `replace`.
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bumped {
    pub text: String,
    pub old_values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BumpError {
    NoMatch { path: String, pattern: String },
    SeveralMatches { path: String, lines: Vec<usize> },
    PrimaryNotAVersion { path: String, value: String },
}

impl fmt::Display for BumpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BumpError::NoMatch { path, pattern } => write!(
                f,
                "`{path}` has no line matching its version pattern `{pattern}`; put the version \
                 back in the expected form, or change the pattern."
            ),
            BumpError::SeveralMatches { path, lines } => {
                let lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                write!(
                    f,
                    "the version pattern matches `{path}` in several places (lines {}); make the \
                     pattern match one place, or set `multiple = true` for this file.",
                    lines.join(", ")
                )
            }
            BumpError::PrimaryNotAVersion { path, value } => write!(
                f,
                "the current version in `{path}` is `{value}`, which is not a semantic version; \
                 the primary version file must hold one such as `0.1.2`."
            ),
        }
    }
}

impl std::error::Error for BumpError {}

/// Where the version stands in the text.
pub fn find_values(file: &VersionFile, text: &str) -> Result<Vec<Found>, BumpError> {
    let mut found = Vec::new();
    for captures in file.pattern.regex.captures_iter(text) {
        let Some(version) = captures.name("version") else {
            continue;
        };
        let span = match file.replace {
            Some(_) => captures.get(0).map_or(version.range(), |m| m.range()),
            None => version.range(),
        };
        found.push(Found {
            value: version.as_str().to_string(),
            line: text[..version.start()].matches('\n').count() + 1,
            span,
        });
    }
    match found.len() {
        0 => Err(BumpError::NoMatch {
            path: file.path.clone(),
            pattern: file.pattern.source.clone(),
        }),
        1 => Ok(found),
        _ if file.multiple => Ok(found),
        _ => Err(BumpError::SeveralMatches {
            path: file.path.clone(),
            lines: found.iter().map(|f| f.line).collect(),
        }),
    }
}

/// The text with `new_version` in every place the pattern found.
pub fn bump_text(file: &VersionFile, text: &str, new_version: &str) -> Result<Bumped, BumpError> {
    let found = find_values(file, text)?;
    if file.primary {
        if let Some(bad) = found
            .iter()
            .find(|f| semver::Version::parse(&f.value).is_err())
        {
            return Err(BumpError::PrimaryNotAVersion {
                path: file.path.clone(),
                value: bad.value.clone(),
            });
        }
    }
    let replacement = match &file.replace {
        Some(template) => template.as_str().replace("{version}", new_version),
        None => new_version.to_string(),
    };
    let mut out = String::with_capacity(text.len() + 16);
    let mut last = 0;
    for place in &found {
        out.push_str(&text[last..place.span.start]);
        out.push_str(&replacement);
        last = place.span.end;
    }
    out.push_str(&text[last..]);
    Ok(Bumped {
        text: out,
        old_values: found.into_iter().map(|f| f.value).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn default_file(path: &str) -> VersionFile {
        Config::default()
            .version_files
            .into_iter()
            .find(|f| f.path == path)
            .unwrap()
    }

    #[test]
    fn init_py_keeps_its_quotes_and_everything_else() {
        let file = default_file("mathesar/__init__.py");
        let text = "default_app_config = 'mathesar.apps.MathesarConfig'\n\n__version__ = '0.1.2'\n";
        let bumped = bump_text(&file, text, "0.1.3").unwrap();
        assert_eq!(
            bumped.text,
            "default_app_config = 'mathesar.apps.MathesarConfig'\n\n__version__ = '0.1.3'\n"
        );
        assert_eq!(bumped.old_values, vec!["0.1.2"]);
    }

    #[test]
    fn install_sh_before_the_first_release_gets_a_quoted_version() {
        let file = default_file("install.sh");
        let text =
            "#!/usr/bin/env bash\nset -e\nclear -x\ngithub_tag=${1-master}\necho $github_tag\n";
        let bumped = bump_text(&file, text, "0.1.3").unwrap();
        assert_eq!(
            bumped.text,
            "#!/usr/bin/env bash\nset -e\nclear -x\ngithub_tag=${1-\"0.1.3\"}\necho $github_tag\n"
        );
        assert_eq!(bumped.old_values, vec!["master"]);
        let again = bump_text(&file, &bumped.text, "0.1.4").unwrap();
        assert!(again.text.contains("github_tag=${1-\"0.1.4\"}\n"));
    }

    #[test]
    fn mkdocs_keeps_its_indentation() {
        let file = default_file("docs/mkdocs.yml");
        let bumped = bump_text(&file, "extra:\n  mathesar_version: 0.1.2\n", "0.1.3").unwrap();
        assert_eq!(bumped.text, "extra:\n  mathesar_version: 0.1.3\n");
    }

    #[test]
    fn crlf_endings_and_a_missing_final_newline_are_kept() {
        let file = default_file("mathesar/__init__.py");
        let text = "\u{feff}x = 1\r\n__version__ = \"0.1.2\"";
        let bumped = bump_text(&file, text, "0.1.3").unwrap();
        assert_eq!(bumped.text, "\u{feff}x = 1\r\n__version__ = \"0.1.3\"");
    }

    #[test]
    fn a_file_where_the_pattern_matches_nothing_is_an_error_naming_it() {
        let file = default_file("mathesar/__init__.py");
        let error = bump_text(&file, "VERSION = \"0.1.2\"\n", "0.1.3").unwrap_err();
        assert!(matches!(error, BumpError::NoMatch { .. }));
        assert!(
            error
                .to_string()
                .contains("`mathesar/__init__.py` has no line matching"),
            "{error}"
        );
    }

    #[test]
    fn two_matches_need_multiple_to_be_set() {
        let mut file = default_file("docs/mkdocs.yml");
        let text = "mathesar_version: 0.1.2\nother:\n  mathesar_version: 0.1.2\n";
        let error = bump_text(&file, text, "0.1.3").unwrap_err();
        assert_eq!(
            error,
            BumpError::SeveralMatches {
                path: "docs/mkdocs.yml".into(),
                lines: vec![1, 3]
            }
        );
        file.multiple = true;
        let bumped = bump_text(&file, text, "0.1.3").unwrap();
        assert_eq!(
            bumped.text,
            "mathesar_version: 0.1.3\nother:\n  mathesar_version: 0.1.3\n"
        );
    }

    #[test]
    fn the_primary_file_must_hold_a_version() {
        let file = default_file("mathesar/__init__.py");
        let error = bump_text(&file, "__version__ = \"dev\"\n", "0.1.3").unwrap_err();
        assert_eq!(
            error,
            BumpError::PrimaryNotAVersion {
                path: "mathesar/__init__.py".into(),
                value: "dev".into()
            }
        );
    }
}
