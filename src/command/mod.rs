//! Slash commands in issue comments: which text counts as a command, and what it asks for.

mod grammar;
mod locate;

pub use grammar::{parse_command_line, Command, CommandParseError};
pub use locate::{command_lines, CommandLine};

/// The command a comment carries, if any: `None` when no line of the comment's own prose starts
/// with `/release` (quoted, code-fenced or linked text never counts); the first such line wins.
pub fn parse_comment(body: &str) -> Option<Result<Command, CommandParseError>> {
    command_lines(body)
        .into_iter()
        .next()
        .map(|line| match line {
            CommandLine::Plain(line) => parse_command_line(&line),
            CommandLine::MarkedUp(line) => Err(CommandParseError::MarkedUp { line }),
        })
}
