//! An announcement's text: the repository's template with the release's facts filled in.

/// What a message may say about the release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub repository: String,
    pub version: String,
    pub tag: String,
    pub release_url: String,
    /// Empty when the release has no notes document.
    pub notes_url: String,
}

const PLACEHOLDERS: &[&str] = &["repository", "version", "tag", "release_url", "notes_url"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageTemplate {
    text: String,
}

impl MessageTemplate {
    /// Refuses a template that is empty or names a placeholder that does not exist (said with
    /// the ones that do), so a typo is found by `check-config`, not in the channel.
    pub fn parse(text: &str) -> Result<MessageTemplate, String> {
        if text.trim().is_empty() {
            return Err("must not be empty".into());
        }
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('}') else { break };
            let name = &after[..end];
            let looks_like_one =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if looks_like_one && !PLACEHOLDERS.contains(&name) {
                return Err(format!(
                    "`{{{name}}}` is not a placeholder; the placeholders are `{{{}}}`",
                    PLACEHOLDERS.join("}`, `{")
                ));
            }
            rest = &after[end + 1..];
        }
        Ok(MessageTemplate { text: text.into() })
    }

    pub fn render(&self, facts: &Facts) -> String {
        self.text
            .replace("{repository}", &facts.repository)
            .replace("{version}", &facts.version)
            .replace("{tag}", &facts.tag)
            .replace("{release_url}", &facts.release_url)
            .replace("{notes_url}", &facts.notes_url)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_facts_fill_the_template() {
        let template =
            MessageTemplate::parse("Mathesar {version} is out: {release_url} (notes: {notes_url})")
                .unwrap();
        let facts = Facts {
            repository: "mathesar-foundation/mathesar".into(),
            version: "0.2.1".into(),
            tag: "0.2.1".into(),
            release_url: "https://github.com/mathesar-foundation/mathesar/releases/tag/0.2.1"
                .into(),
            notes_url: "https://docs.mathesar.org/releases/0.2.1/".into(),
        };
        assert_eq!(
            template.render(&facts),
            "Mathesar 0.2.1 is out: https://github.com/mathesar-foundation/mathesar/releases/tag/0.2.1 (notes: https://docs.mathesar.org/releases/0.2.1/)"
        );
    }

    #[test]
    fn an_unknown_placeholder_is_named_with_the_ones_there_are() {
        assert_eq!(
            MessageTemplate::parse("{versoin} is out"),
            Err("`{versoin}` is not a placeholder; the placeholders are `{repository}`, `{version}`, `{tag}`, `{release_url}`, `{notes_url}`".into())
        );
        assert!(MessageTemplate::parse("JSON-ish {\"a\": 1} and {} stay").is_ok());
        assert!(MessageTemplate::parse("  ").is_err());
    }
}
