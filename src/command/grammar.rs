//! The words after `/release`. No I/O and no knowledge of versions: the version is kept as the
//! person typed it and judged later, so that the refusal can quote it.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `/release <version> [notes <url>] [--dry-run]`
    Release {
        version: String,
        dry_run: bool,
        notes: Option<String>,
    },
    /// `/release notes <url>`: link the release notes document.
    Notes { url: String },
    /// `/release status`: redraw the status comment from GitHub's state.
    Status,
    /// `/release retry`: run the first failed or missing step again.
    Retry,
    /// `/release cancel`: close the pull request and delete the branch, before the tag exists.
    Cancel,
    /// `/release help`
    Help,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandParseError {
    MissingVersion,
    MissingUrl,
    UnknownFlag { flag: String },
    UnexpectedArgument { argument: String },
    DuplicateFlag { flag: String },
}

impl fmt::Display for CommandParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandParseError::MissingVersion => {
                write!(
                    f,
                    "`/release` needs a version, for example `/release 0.1.3`."
                )
            }
            CommandParseError::MissingUrl => {
                write!(f, "`notes` needs the document's address, for example `/release notes https://hackmd.io/abc`.")
            }
            CommandParseError::UnknownFlag { flag } => {
                write!(
                    f,
                    "`{flag}` is not an option of `/release`; the only option is `--dry-run`."
                )
            }
            CommandParseError::UnexpectedArgument { argument } => {
                write!(
                    f,
                    "`/release` takes one version; `{argument}` is one word too many."
                )
            }
            CommandParseError::DuplicateFlag { flag } => write!(f, "`{flag}` is given twice."),
        }
    }
}

/// Parses a line that starts with `/release`.
pub fn parse_command_line(line: &str) -> Result<Command, CommandParseError> {
    let words = line.split_whitespace().skip(1);
    let mut dry_run = false;
    let mut positional = Vec::new();
    for word in words {
        if word.starts_with("--") || word.starts_with('—') {
            // An em dash is what `--` becomes when typed on some phones and editors.
            if word == "--dry-run" || word == "—dry-run" {
                if dry_run {
                    return Err(CommandParseError::DuplicateFlag {
                        flag: "--dry-run".into(),
                    });
                }
                dry_run = true;
            } else {
                return Err(CommandParseError::UnknownFlag { flag: word.into() });
            }
        } else {
            positional.push(word);
        }
    }
    let mut positional = positional.into_iter();
    let first = positional.next().ok_or(CommandParseError::MissingVersion)?;
    let command = match first {
        "help" => Command::Help,
        "status" => Command::Status,
        "retry" => Command::Retry,
        "cancel" => Command::Cancel,
        "notes" => Command::Notes {
            url: positional
                .next()
                .ok_or(CommandParseError::MissingUrl)?
                .into(),
        },
        version => {
            let notes = match positional.next() {
                Some("notes") => Some(
                    positional
                        .next()
                        .ok_or(CommandParseError::MissingUrl)?
                        .to_string(),
                ),
                Some(extra) => {
                    return Err(CommandParseError::UnexpectedArgument {
                        argument: extra.into(),
                    })
                }
                None => None,
            };
            Command::Release {
                version: version.into(),
                dry_run,
                notes,
            }
        }
    };
    if let Some(extra) = positional.next() {
        return Err(CommandParseError::UnexpectedArgument {
            argument: extra.into(),
        });
    }
    Ok(command)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(version: &str, dry_run: bool) -> Command {
        Command::Release {
            version: version.into(),
            dry_run,
            notes: None,
        }
    }

    #[test]
    fn notes_can_come_with_the_release_or_on_their_own() {
        assert_eq!(
            parse_command_line("/release 0.1.3 notes https://hackmd.io/abc"),
            Ok(Command::Release {
                version: "0.1.3".into(),
                dry_run: false,
                notes: Some("https://hackmd.io/abc".into())
            })
        );
        assert_eq!(
            parse_command_line("/release notes https://hackmd.io/abc"),
            Ok(Command::Notes {
                url: "https://hackmd.io/abc".into()
            })
        );
        assert_eq!(
            parse_command_line("/release notes"),
            Err(CommandParseError::MissingUrl)
        );
        assert_eq!(parse_command_line("/release status"), Ok(Command::Status));
        assert_eq!(parse_command_line("/release retry"), Ok(Command::Retry));
        assert_eq!(parse_command_line("/release cancel"), Ok(Command::Cancel));
    }

    #[test]
    fn a_version_is_taken_as_written() {
        assert_eq!(
            parse_command_line("/release 0.1.3"),
            Ok(release("0.1.3", false))
        );
        assert_eq!(
            parse_command_line("/release v0.1.3"),
            Ok(release("v0.1.3", false))
        );
    }

    #[test]
    fn dry_run_may_stand_before_or_after_the_version() {
        assert_eq!(
            parse_command_line("/release 0.1.3 --dry-run"),
            Ok(release("0.1.3", true))
        );
        assert_eq!(
            parse_command_line("/release --dry-run 0.1.3"),
            Ok(release("0.1.3", true))
        );
    }

    #[test]
    fn help_is_a_command_of_its_own() {
        assert_eq!(parse_command_line("/release help"), Ok(Command::Help));
    }

    #[test]
    fn a_bare_release_asks_for_a_version() {
        assert_eq!(
            parse_command_line("/release"),
            Err(CommandParseError::MissingVersion)
        );
    }

    #[test]
    fn unknown_flags_extra_words_and_repeats_are_refused() {
        assert_eq!(
            parse_command_line("/release 0.1.3 --force"),
            Err(CommandParseError::UnknownFlag {
                flag: "--force".into()
            })
        );
        assert_eq!(
            parse_command_line("/release 0.1.3 please"),
            Err(CommandParseError::UnexpectedArgument {
                argument: "please".into()
            })
        );
        assert_eq!(
            parse_command_line("/release 0.1.3 --dry-run --dry-run"),
            Err(CommandParseError::DuplicateFlag {
                flag: "--dry-run".into()
            })
        );
    }
}
