//! Finding `/release` lines in a comment's Markdown.
//!
//! People quote the bot and paste examples; only a line a person wrote as prose is a command.
//! So the comment is read as Markdown and text inside block quotes, code blocks, inline code,
//! links and HTML is skipped. A command must also stand at the start of its source line, so a
//! list item `- /release 0.1.3` or a sentence mentioning `/release` mid-line is not one.
//!
//! A command line is read whole: markup after `/release` (`` `--dry-run` ``, `*--dry-run*`,
//! `<kbd>`, a link, an HTML comment) or a flag pushed to the next line by a line break would
//! otherwise drop the words it holds and run the command without them, so such a line is
//! returned as `MarkedUp`, to be refused with a reply that says why.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

pub const PREFIX: &str = "/release";

/// A line of a comment that starts with `/release`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    /// Plain text from `/release` to the line's end.
    Plain(String),
    /// Formatting breaks the line, or its flags went on to the next line: the source as written.
    MarkedUp(String),
}

/// Each line that starts with `/release` (followed by a space or the line's end).
pub fn command_lines(body: &str) -> Vec<CommandLine> {
    let mut lines = Vec::new();
    let mut skip_depth = 0usize;
    // pulldown-cmark may split one run of text into several events (at `_`, `*`, `[`, ...);
    // they are joined back before looking at them.
    let mut run: Option<(usize, String)> = None;
    // The last command found ended at a line break inside its paragraph: the next line is
    // still the same paragraph, and a flag there belongs to the command.
    let mut broken_command = false;
    for (event, range) in Parser::new(body).into_offset_iter() {
        match event {
            Event::Text(text) if skip_depth == 0 => match &mut run {
                Some((_, joined)) => joined.push_str(&text),
                None => {
                    if broken_command && starts_with_flag(&text) {
                        mark_up_last(&mut lines);
                    }
                    broken_command = false;
                    run = Some((range.start, text.into_string()));
                }
            },
            other => {
                let found = flush(body, run.take(), &mut lines);
                if let Event::Code(code) = &other {
                    if broken_command && starts_with_flag(code) {
                        mark_up_last(&mut lines);
                    }
                }
                let line_break = matches!(other, Event::SoftBreak | Event::HardBreak);
                // Emphasis opening the next line still leads to its first word.
                let opens_emphasis = matches!(
                    other,
                    Event::Start(Tag::Emphasis | Tag::Strong | Tag::Strikethrough)
                );
                broken_command =
                    (found && line_break) || (broken_command && (line_break || opens_emphasis));
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

/// The command found last continues on the next line with a flag.
fn mark_up_last(lines: &mut [CommandLine]) {
    if let Some(last) = lines.last_mut() {
        if let CommandLine::Plain(line) = last {
            *last = CommandLine::MarkedUp(std::mem::take(line));
        }
    }
}

fn starts_with_flag(text: &str) -> bool {
    let text = text.trim_start();
    text.starts_with("--") || text.starts_with('—')
}

/// Adds the run's command line, if it starts one; true when it did.
fn flush(body: &str, run: Option<(usize, String)>, lines: &mut Vec<CommandLine>) -> bool {
    let Some((start, text)) = run else {
        return false;
    };
    if !starts_source_line(body, start) {
        return false;
    }
    let Some(line) = command_line(&text) else {
        return false;
    };
    let end = body[start..].find('\n').map_or(body.len(), |i| start + i);
    let source = body[start..end].trim_end();
    // A hard line break's backslash or trailing spaces end the line; they hold no word.
    let source_words = source.strip_suffix('\\').unwrap_or(source).trim_end();
    lines.push(if source_words == line {
        CommandLine::Plain(line)
    } else {
        CommandLine::MarkedUp(source.to_string())
    });
    true
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

    fn plain(line: &str) -> CommandLine {
        CommandLine::Plain(line.into())
    }

    #[test]
    fn a_plain_command_line_is_found() {
        assert_eq!(
            command_lines("/release 0.1.3"),
            vec![plain("/release 0.1.3")]
        );
    }

    #[test]
    fn a_command_after_a_sentence_on_its_own_line_is_found() {
        let body = "Thanks all, shipping it.\n/release 0.1.3 --dry-run\n\nCheers";
        assert_eq!(command_lines(body), vec![plain("/release 0.1.3 --dry-run")]);
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
            vec![plain("/release 0.2.0_rc")]
        );
    }

    #[test]
    fn bare_command_is_found_so_that_it_can_be_answered_with_help() {
        assert_eq!(command_lines("/release"), vec![plain("/release")]);
    }

    fn marked_up(body: &str) -> bool {
        matches!(command_lines(body).as_slice(), [CommandLine::MarkedUp(_)])
    }

    /// Each of these once ran a real release: the flag was in markup and was dropped.
    #[test]
    fn markup_after_the_command_makes_the_line_marked_up_not_shorter() {
        for body in [
            "/release 0.1.3 `--dry-run`",
            "/release 0.1.3 *--dry-run*",
            "/release 0.1.3 **--dry-run**",
            "/release 0.1.3 <kbd>--dry-run</kbd>",
            "/release 0.1.3 [--dry-run](#)",
            "/release 0.1.3 <!-- why --> --dry-run",
            "/release cancel `--dry-run`",
        ] {
            assert!(marked_up(body), "{body}: {:?}", command_lines(body));
        }
    }

    #[test]
    fn a_flag_after_a_line_break_in_the_same_paragraph_is_marked_up() {
        for body in [
            "/release 0.1.3\\\n--dry-run",
            "/release 0.1.3  \n--dry-run",
            "/release 0.1.3\n--dry-run",
            "/release 0.1.3\n—dry-run",
            "/release 0.1.3\n`--dry-run`",
            "/release 0.1.3\n*--dry-run*",
        ] {
            assert!(marked_up(body), "{body:?}: {:?}", command_lines(body));
        }
    }

    #[test]
    fn prose_after_the_command_on_the_next_line_leaves_it_plain() {
        assert_eq!(
            command_lines("/release 0.1.3\nThanks all!"),
            vec![plain("/release 0.1.3")]
        );
        assert_eq!(
            command_lines("/release 0.1.3  \n\n--dry-run is not wanted"),
            vec![plain("/release 0.1.3")]
        );
    }
}
