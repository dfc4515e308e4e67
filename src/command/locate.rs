//! Finding `/release` lines in a comment's Markdown.
//!
//! People quote the bot and paste examples; only a line a person wrote as prose is a command.
//! So the comment is read as Markdown and text inside block quotes, code blocks, inline code,
//! links and HTML is skipped. A command must also stand at the start of its source line, so a
//! list item `- /release 0.1.3` or a sentence mentioning `/release` mid-line is not one.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

pub const PREFIX: &str = "/release";

/// The text of each line that starts with `/release` (followed by a space or the line's end).
pub fn command_lines(body: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut skip_depth = 0usize;
    // pulldown-cmark may split one run of text into several events (at `_`, `*`, `[`, ...);
    // they are joined back before looking at them.
    let mut run: Option<(usize, String)> = None;
    for (event, range) in Parser::new(body).into_offset_iter() {
        match event {
            Event::Text(text) if skip_depth == 0 => match &mut run {
                Some((_, joined)) => joined.push_str(&text),
                None => run = Some((range.start, text.into_string())),
            },
            other => {
                flush(body, run.take(), &mut lines);
                match other {
                    Event::Start(tag) if is_skipped(&tag) => skip_depth += 1,
                    Event::End(end) if is_skipped_end(&end) => {
                        skip_depth = skip_depth.saturating_sub(1)
                    }
                    _ => {}
                }
            }
        }
    }
    flush(body, run, &mut lines);
    lines
}

fn flush(body: &str, run: Option<(usize, String)>, lines: &mut Vec<String>) {
    if let Some((start, text)) = run {
        if starts_source_line(body, start) {
            lines.extend(command_line(&text));
        }
    }
}

fn is_skipped(tag: &Tag) -> bool {
    matches!(
        tag,
        Tag::BlockQuote(_)
            | Tag::CodeBlock(_)
            | Tag::Link { .. }
            | Tag::Image { .. }
            | Tag::HtmlBlock
            | Tag::List(_)
            | Tag::Table(_)
    )
}

fn is_skipped_end(end: &TagEnd) -> bool {
    matches!(
        end,
        TagEnd::BlockQuote(_)
            | TagEnd::CodeBlock
            | TagEnd::Link
            | TagEnd::Image
            | TagEnd::HtmlBlock
            | TagEnd::List(_)
            | TagEnd::Table
    )
}

/// True when only spaces stand between the start of the source line and `offset`.
fn starts_source_line(body: &str, offset: usize) -> bool {
    let line_start = body[..offset].rfind('\n').map_or(0, |i| i + 1);
    body[line_start..offset]
        .chars()
        .all(|c| c == ' ' || c == '\t')
}

/// A text event holds one line of a paragraph at most (soft breaks split lines), but may run on
/// after the command; the command is that whole line.
fn command_line(text: &str) -> Option<String> {
    let line = text.lines().next()?.trim_end();
    let rest = line.strip_prefix(PREFIX)?;
    if rest.is_empty() || rest.starts_with([' ', '\t']) {
        Some(line.to_string())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_command_line_is_found() {
        assert_eq!(command_lines("/release 0.1.3"), vec!["/release 0.1.3"]);
    }

    #[test]
    fn a_command_after_a_sentence_on_its_own_line_is_found() {
        let body = "Thanks all, shipping it.\n/release 0.1.3 --dry-run\n\nCheers";
        assert_eq!(command_lines(body), vec!["/release 0.1.3 --dry-run"]);
    }

    #[test]
    fn quoted_text_is_not_a_command() {
        assert!(command_lines("> /release 0.1.3\n\nWhy did this happen?").is_empty());
    }

    #[test]
    fn fenced_and_indented_code_is_not_a_command() {
        assert!(command_lines("Try:\n```\n/release 0.1.3\n```").is_empty());
        assert!(command_lines("Try:\n\n    /release 0.1.3\n").is_empty());
    }

    #[test]
    fn inline_code_and_links_are_not_commands() {
        assert!(command_lines("`/release 0.1.3`").is_empty());
        assert!(command_lines("[/release 0.1.3](https://example.com)").is_empty());
    }

    #[test]
    fn a_mention_in_the_middle_of_a_line_is_not_a_command() {
        assert!(command_lines("Someone should run /release 0.1.3 soon").is_empty());
    }

    #[test]
    fn a_list_item_is_not_a_command() {
        assert!(command_lines("- /release 0.1.3").is_empty());
    }

    #[test]
    fn a_longer_word_is_not_the_command() {
        assert!(command_lines("/released 0.1.3").is_empty());
        assert!(command_lines("/release-notes").is_empty());
    }

    #[test]
    fn text_split_by_markdown_punctuation_is_joined_back() {
        assert_eq!(
            command_lines("/release 0.2.0_rc"),
            vec!["/release 0.2.0_rc"]
        );
    }

    #[test]
    fn bare_command_is_found_so_that_it_can_be_answered_with_help() {
        assert_eq!(command_lines("/release"), vec!["/release"]);
    }
}
