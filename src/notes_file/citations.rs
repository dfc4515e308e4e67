//! What a notes file already says: the pull requests it cites, and how many wait to be
//! categorised.

use std::collections::BTreeSet;

/// Numbers of the pull requests the text links to: every `<pulls_url>/<number>` (for example
/// `https://github.com/mathesar-foundation/mathesar/pull/` then digits), wherever a person put it.
/// Other repositories' pull requests and issues are not citations of this repository's work.
pub fn cited_pulls(text: &str, pulls_url: &str) -> BTreeSet<u64> {
    let mut cited = BTreeSet::new();
    if pulls_url.is_empty() {
        return cited;
    }
    for (at, _) in text.match_indices(pulls_url) {
        let digits: String = text[at + pulls_url.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if let Ok(number) = digits.parse() {
            cited.insert(number);
        }
    }
    cited
}

/// The list items under `heading` (a Markdown heading of any level whose text is `heading`),
/// up to the next heading of the same or a higher level: what a person has yet to move into
/// the notes' own sections. `None` when there is no such heading.
pub fn left_to_categorize(text: &str, heading: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let (start, level) = find_heading(&lines, heading)?;
    let end = section_end(&lines, start, level);
    Some(
        lines[start + 1..end]
            .iter()
            .filter(|line| is_list_item(line))
            .count(),
    )
}

/// The line index and level of the first heading whose text is `heading`.
pub(super) fn find_heading(lines: &[&str], heading: &str) -> Option<(usize, usize)> {
    lines.iter().enumerate().find_map(|(i, line)| {
        let (level, text) = heading_of(line)?;
        (text == heading.trim()).then_some((i, level))
    })
}

/// Where the section that starts at `start` ends: the next heading at `level` or above, or
/// the end of the text.
pub(super) fn section_end(lines: &[&str], start: usize, level: usize) -> usize {
    lines[start + 1..]
        .iter()
        .position(|line| heading_of(line).is_some_and(|(l, _)| l <= level))
        .map_or(lines.len(), |offset| start + 1 + offset)
}

/// An ATX heading's level and text (`## (TO CATEGORIZE)` → 2, `(TO CATEGORIZE)`).
fn heading_of(line: &str) -> Option<(usize, &str)> {
    let level = line.chars().take_while(|c| *c == '#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let rest = &line[level..];
    (rest.is_empty() || rest.starts_with(' ')).then(|| (level, rest.trim()))
}

pub(super) fn is_list_item(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with("- ") || line.starts_with("* ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PULLS: &str = "https://github.com/mathesar-foundation/mathesar/pull/";

    #[test]
    fn citations_are_this_repository_s_pull_request_links_wherever_they_are() {
        let text = "\
- Better forms [#12](https://github.com/mathesar-foundation/mathesar/pull/12 \"Forms\")
See also https://github.com/mathesar-foundation/mathesar/pull/123, and
https://github.com/mathesar-foundation/mathesar/issues/7 and
https://github.com/someone/else/pull/99.
";
        assert_eq!(cited_pulls(text, PULLS), BTreeSet::from([12, 123]));
    }

    #[test]
    fn items_left_to_categorize_are_counted_until_the_next_heading() {
        let text = "\
# Mathesar 0.2.1

## Bug fixes
- Fixed a thing

## (TO CATEGORIZE)

- One [#1](u)
- Two [#2](u)

## Later section
- not counted
";
        assert_eq!(left_to_categorize(text, "(TO CATEGORIZE)"), Some(2));
        assert_eq!(left_to_categorize("# Notes\n", "(TO CATEGORIZE)"), None);
    }

    #[test]
    fn a_categorized_file_keeps_an_empty_heading_counted_as_nothing_left() {
        let text = "## (TO CATEGORIZE)\n\n";
        assert_eq!(left_to_categorize(text, "(TO CATEGORIZE)"), Some(0));
    }
}
