//! Appending the pull requests a notes file does not cite yet.

use super::citations::{cited_pulls, find_heading, is_list_item, section_end};
use super::MergedPull;

/// What a sync did to the text: `None` when every merged pull request was already cited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub text: Option<String>,
    /// The pull requests added, in the order given.
    pub added: Vec<u64>,
}

/// Appends one line per pull request in `merged` that the text does not cite (by its link
/// under `pulls_url`), under `## <heading>`: at the end of that section when a person has not
/// emptied it yet, else in a new section at the end of the file. Lines already there are kept
/// byte for byte; nothing new → `text: None`.
pub fn append_uncited(
    text: &str,
    merged: &[MergedPull],
    heading: &str,
    pulls_url: &str,
) -> Appended {
    let cited = cited_pulls(text, pulls_url);
    let mut seen = std::collections::BTreeSet::new();
    let new: Vec<&MergedPull> = merged
        .iter()
        .filter(|pull| !cited.contains(&pull.number) && seen.insert(pull.number))
        .collect();
    if new.is_empty() {
        return Appended {
            text: None,
            added: Vec::new(),
        };
    }
    let items: Vec<String> = new.iter().map(|pull| pull.line()).collect();
    let lines: Vec<&str> = text.lines().collect();
    let result = match find_heading(&lines, heading) {
        Some((start, level)) => {
            // After the section's last list item, so whatever a person wrote below the list
            // (a comment, a blank line before the next heading) stays below it.
            let end = section_end(&lines, start, level);
            let last = (start + 1..end)
                .rev()
                .find(|&i| is_list_item(lines[i]))
                .unwrap_or(start);
            let mut out: Vec<&str> = lines[..=last].to_vec();
            if last == start {
                out.push("");
            }
            out.extend(items.iter().map(String::as_str));
            out.extend_from_slice(&lines[last + 1..]);
            join(&out)
        }
        None => {
            let mut out = text.trim_end_matches('\n').to_owned();
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(&format!("## {heading}\n\n"));
            out.push_str(&items.join("\n"));
            out.push('\n');
            out
        }
    };
    Appended {
        text: Some(result),
        added: new.iter().map(|pull| pull.number).collect(),
    }
}

fn join(lines: &[&str]) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notes_file::{from_template, left_to_categorize};

    const PULLS: &str = "https://github.com/mathesar-foundation/mathesar/pull/";
    const HEADING: &str = "(TO CATEGORIZE)";

    /// Mathesar's own template, in its shape (headings, an admonition, commented sections).
    const TEMPLATE: &str = "# Mathesar __VERSION__

## Summary

TODO

!!! info \"\"
\tThis page provides a comprehensive list of all changes in the release.

## Upgrading to __VERSION__

TODO

<!-- ## Bug fixes -->


<!-- ## Maintenance -->
";

    fn pull(number: u64, title: &str) -> MergedPull {
        MergedPull {
            number,
            title: title.into(),
            html_url: format!("{PULLS}{number}"),
        }
    }

    #[test]
    fn a_new_file_gets_the_merged_pull_requests_under_the_heading_and_a_second_sync_changes_nothing(
    ) {
        let file = from_template(TEMPLATE, "__VERSION__", "0.2.1");
        let merged = [
            pull(4101, "Add a date picker"),
            pull(4107, "Fix CSV import"),
        ];
        let first = append_uncited(&file, &merged, HEADING, PULLS);
        let text = first.text.expect("two pull requests are new");
        assert!(text.starts_with(&file.trim_end_matches('\n').to_string()));
        assert!(text.ends_with(&format!(
            "<!-- ## Maintenance -->\n\n## (TO CATEGORIZE)\n\n{}\n{}\n",
            merged[0].line(),
            merged[1].line()
        )));
        assert_eq!(first.added, vec![4101, 4107]);
        assert_eq!(left_to_categorize(&text, HEADING), Some(2));

        let second = append_uncited(&text, &merged, HEADING, PULLS);
        assert_eq!(second.text, None, "nothing new: the file is left as it is");
    }

    #[test]
    fn a_person_s_categorised_lines_stay_and_only_the_new_pull_request_is_added_under_what_is_left()
    {
        // A person moved #4101 into Bug fixes, rewrote its text, and left #4107 to categorise.
        let edited = format!(
            "# Mathesar 0.2.1\n\n## Bug fixes\n\n- Dates can be picked ([#4101]({PULLS}4101))\n\n## (TO CATEGORIZE)\n\n{}\n\n<!-- a person's comment -->\n",
            pull(4107, "Fix CSV import").line()
        );
        let merged = [
            pull(4101, "Add a date picker"),
            pull(4107, "Fix CSV import"),
            pull(4110, "Speed up \"tables\" page"),
        ];
        let synced = append_uncited(&edited, &merged, HEADING, PULLS);
        assert_eq!(synced.added, vec![4110]);
        let text = synced.text.unwrap();
        // Every line the person had is still there, in order, unchanged.
        let mut kept = text.lines();
        for line in edited.lines() {
            assert!(kept.any(|l| l == line), "lost or changed: {line:?}");
        }
        assert!(text.contains(&format!(
            "{}\n{}\n\n<!-- a person's comment -->",
            pull(4107, "Fix CSV import").line(),
            merged[2].line()
        )));
        assert_eq!(left_to_categorize(&text, HEADING), Some(2));
    }

    #[test]
    fn an_emptied_heading_gets_the_next_pull_requests_after_a_blank_line() {
        let text = "# Notes\n\n## (TO CATEGORIZE)\n\n## Thanks\n";
        let synced = append_uncited(text, &[pull(7, "Seven")], HEADING, PULLS);
        assert_eq!(
            synced.text.unwrap(),
            format!(
                "# Notes\n\n## (TO CATEGORIZE)\n\n{}\n\n## Thanks\n",
                pull(7, "Seven").line()
            )
        );
    }

    #[test]
    fn a_pull_request_listed_twice_is_added_once() {
        let synced = append_uncited("", &[pull(7, "Seven"), pull(7, "Seven")], HEADING, PULLS);
        assert_eq!(synced.added, vec![7]);
        assert_eq!(
            synced.text.unwrap(),
            format!("## (TO CATEGORIZE)\n\n{}\n", pull(7, "Seven").line())
        );
    }
}
