//! A pull request merged since the previous release, as the notes file cites it.

/// What a line in the notes file needs of a merged pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedPull {
    pub number: u64,
    pub title: String,
    /// `https://github.com/<owner>/<repo>/pull/<number>` (GitHub's `html_url`), the citation the
    /// file is searched for.
    pub html_url: String,
}

impl MergedPull {
    /// One list item: the title people rewrite, the number as a link, and the original title as
    /// the link's hover text (kept when the visible text is rewritten). Double quotes are dropped
    /// from the hover text, which Markdown closes at the first one.
    pub fn line(&self) -> String {
        let title = one_line(&self.title);
        let hover: String = title.chars().filter(|c| *c != '"').collect();
        format!(
            "- {title} [#{}]({} \"{hover}\")",
            self.number, self.html_url
        )
    }
}

/// A title with its line breaks folded, so one pull request is one line.
fn one_line(title: &str) -> String {
    title.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_keeps_the_original_title_as_hover_text_without_its_quotes() {
        let pull = MergedPull {
            number: 4012,
            title: "Fix \"Save\" button\r\n on forms".into(),
            html_url: "https://github.com/mathesar-foundation/mathesar/pull/4012".into(),
        };
        assert_eq!(
            pull.line(),
            "- Fix \"Save\" button on forms [#4012](https://github.com/mathesar-foundation/mathesar/pull/4012 \"Fix Save button on forms\")"
        );
    }
}
