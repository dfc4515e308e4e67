//! The docs' navigation entry for a version's notes (MkDocs' `mkdocs.yml`, `nav:`), added as a
//! person adds it: the new version first under the releases section, the versions that were
//! listed there moved to the top of its "previous releases" group when it has one.

/// Why no entry could be added; said on the issue, with the file and section named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NavError {
    #[error("has no `- {section}:` entry to list the notes under")]
    NoSection { section: String },
}

/// The text with `- '<version>': <path>` as the first item under `- <section>:`. `Ok(None)` when
/// some entry already points at `path` (a person may have added it by hand, anywhere). With
/// `previous` (Mathesar's `Previous releases`), the section's other version items move, in their
/// order, to the top of that group; the lines themselves are kept, only indented as its items.
pub fn add_nav_entry(
    mkdocs: &str,
    section: &str,
    previous: Option<&str>,
    version: &str,
    path: &str,
) -> Result<Option<String>, NavError> {
    let lines: Vec<&str> = mkdocs.lines().collect();
    if lines.iter().any(|line| item_value(line) == Some(path)) {
        return Ok(None);
    }
    let start = lines
        .iter()
        .position(|line| is_group(line, section))
        .ok_or_else(|| NavError::NoSection {
            section: section.to_owned(),
        })?;
    let outer = indent(lines[start]);
    let end = block_end(&lines, start, outer);
    let inner = lines[start + 1..end]
        .iter()
        .find(|line| !line.trim().is_empty())
        .map_or(outer + 4, |line| indent(line));
    let entry = format!("{}- '{version}': {path}", " ".repeat(inner));

    // Version items directly under the section, before its previous-releases group.
    let group = previous.and_then(|name| {
        (start + 1..end).find(|&i| indent(lines[i]) == inner && is_group(lines[i], name))
    });
    let moved: Vec<usize> = match group {
        Some(group) => (start + 1..group)
            .filter(|&i| indent(lines[i]) == inner && item_value(lines[i]).is_some())
            .collect(),
        None => Vec::new(),
    };

    let mut out: Vec<String> = Vec::with_capacity(lines.len() + 1);
    for (i, line) in lines.iter().enumerate() {
        if moved.contains(&i) {
            continue;
        }
        out.push((*line).to_owned());
        if i == start {
            out.push(entry.clone());
        }
        if Some(i) == group {
            let group_end = block_end(&lines, i, inner);
            let deeper = lines[i + 1..group_end]
                .iter()
                .find(|line| !line.trim().is_empty())
                .map_or(inner + 4, |line| indent(line));
            out.extend(
                moved
                    .iter()
                    .map(|&m| format!("{}{}", " ".repeat(deeper), lines[m].trim_start())),
            );
        }
    }
    let mut text = out.join("\n");
    text.push('\n');
    Ok(Some(text))
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The lines after `start` indented deeper than `outer` (blank lines included) end here.
fn block_end(lines: &[&str], start: usize, outer: usize) -> usize {
    lines[start + 1..]
        .iter()
        .position(|line| !line.trim().is_empty() && indent(line) <= outer)
        .map_or(lines.len(), |offset| start + 1 + offset)
}

/// `- Releases:` (the name may be quoted), a group with nothing after its colon.
fn is_group(line: &str, name: &str) -> bool {
    let Some(rest) = line.trim().strip_prefix("- ") else {
        return false;
    };
    rest.strip_suffix(':')
        .is_some_and(|key| unquote(key.trim()) == name)
}

/// The page a `- 'title': page.md` item points at.
fn item_value(line: &str) -> Option<&str> {
    let rest = line.trim().strip_prefix("- ")?;
    let (_, value) = rest.rsplit_once(": ")?;
    let value = unquote(value.trim());
    (!value.is_empty()).then_some(value)
}

fn unquote(text: &str) -> &str {
    for quote in ['\'', '"'] {
        if let Some(inner) = text
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
        {
            return inner;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mathesar's `docs/mkdocs.yml` navigation, shortened.
    const MKDOCS: &str = "\
nav:
  - Home: index.md
  - Releases:
      - '0.10.1': releases/0.10.1.md
      - Previous releases:
          - '0.10.0': releases/0.10.0.md
          - '0.9.0': releases/0.9.0.md

plugins:
  - search:
      lang: en
";

    #[test]
    fn the_new_version_comes_first_and_the_current_one_moves_to_previous_releases() {
        let text = add_nav_entry(
            MKDOCS,
            "Releases",
            Some("Previous releases"),
            "0.11.0",
            "releases/0.11.0.md",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            text,
            "\
nav:
  - Home: index.md
  - Releases:
      - '0.11.0': releases/0.11.0.md
      - Previous releases:
          - '0.10.1': releases/0.10.1.md
          - '0.10.0': releases/0.10.0.md
          - '0.9.0': releases/0.9.0.md

plugins:
  - search:
      lang: en
"
        );
        // Run again: the entry is there, nothing changes.
        let again = add_nav_entry(
            &text,
            "Releases",
            Some("Previous releases"),
            "0.11.0",
            "releases/0.11.0.md",
        );
        assert_eq!(again, Ok(None));
    }

    #[test]
    fn without_a_previous_group_the_entry_is_only_added_first() {
        let mkdocs = "nav:\n  - \"Releases\":\n    - '1.0.0': releases/1.0.0.md\n";
        assert_eq!(
            add_nav_entry(mkdocs, "Releases", None, "1.1.0", "releases/1.1.0.md"),
            Ok(Some(
                "nav:\n  - \"Releases\":\n    - '1.1.0': releases/1.1.0.md\n    - '1.0.0': releases/1.0.0.md\n"
                    .into()
            ))
        );
    }

    #[test]
    fn an_entry_a_person_added_elsewhere_is_left_alone() {
        let mkdocs = "nav:\n  - Releases:\n      - Next: \"releases/0.11.0.md\"\n";
        assert_eq!(
            add_nav_entry(mkdocs, "Releases", None, "0.11.0", "releases/0.11.0.md"),
            Ok(None)
        );
    }

    #[test]
    fn a_navigation_without_the_section_is_an_error_that_names_it() {
        let error = add_nav_entry(
            "nav:\n  - Home: index.md\n",
            "Releases",
            None,
            "1.0.0",
            "r.md",
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "has no `- Releases:` entry to list the notes under"
        );
    }
}
