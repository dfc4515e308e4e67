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
    /// `/release notes <url> [--dry-run]`: link the release notes document.
    Notes { url: String, dry_run: bool },
    /// `/release notes sync [--dry-run]`: bring the notes file on the release branch in step
    /// with the pull requests merged since the previous release.
    NotesSync { dry_run: bool },
    /// `/release status`: redraw the status comment from GitHub's state.
    Status,
    /// `/release retry [<step>] [--dry-run]`: run the first failed or missing step again, or
    /// the named step after the tag (`[[step]]`).
    Retry { step: Option<String>, dry_run: bool },
    /// `/release cancel [--dry-run]`: close the pull request and delete the branch, before the
    /// tag exists.
    Cancel { dry_run: bool },
    /// `/release candidate [--dry-run]` (or `qa`): tag the release branch's head as the next
    /// QA candidate and publish it as a pre-release.
    Candidate { dry_run: bool },
    /// `/release help`
    Help,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandParseError {
    MissingVersion,
    MissingUrl,
    UnknownFlag {
        flag: String,
    },
    UnexpectedArgument {
        argument: String,
    },
    DuplicateFlag {
        flag: String,
    },
    /// Formatting inside the command line (inline code, emphasis, a link, HTML) or a flag on
    /// the next line: the words it holds would be lost, so nothing runs.
    MarkedUp {
        line: String,
    },
    /// A known flag on a command it means nothing to (`/release status --dry-run`).
    FlagNotApplicable {
        flag: String,
        command: &'static str,
    },
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
            // The line itself is not quoted back: the bot's own comments carry its markers.
            CommandParseError::MarkedUp { .. } => write!(
                f,
                "the command line has formatting in it (inline code, emphasis, a link, HTML or a \
                 line break before a flag), so I did not run it: formatting can hide words such \
                 as `--dry-run`. Write the whole command as plain text on one line, for example \
                 `/release 0.1.3 --dry-run`."
            ),
            CommandParseError::FlagNotApplicable { flag, command } => write!(
                f,
                "`{flag}` does not apply to `/release {command}`, which changes nothing anyway; \
                 leave it out."
            ),
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
        "help" => no_dry_run(dry_run, "help", Command::Help)?,
        "status" => no_dry_run(dry_run, "status", Command::Status)?,
        "retry" => Command::Retry {
            step: positional.next().map(str::to_string),
            dry_run,
        },
        "cancel" => Command::Cancel { dry_run },
        "candidate" | "qa" => Command::Candidate { dry_run },
        "notes" => match positional.next().ok_or(CommandParseError::MissingUrl)? {
            "sync" => Command::NotesSync { dry_run },
            url => Command::Notes {
                url: url.into(),
                dry_run,
            },
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

/// Commands that change nothing take no `--dry-run`: refused, so the person is not misled into
/// thinking a rehearsal happened.
fn no_dry_run(
    dry_run: bool,
    command: &'static str,
    parsed: Command,
) -> Result<Command, CommandParseError> {
    if dry_run {
        return Err(CommandParseError::FlagNotApplicable {
            flag: "--dry-run".into(),
            command,
        });
    }
    Ok(parsed)
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
    fn notes_sync_is_its_own_command_with_its_rehearsal() {
        assert_eq!(
            parse_command_line("/release notes sync"),
            Ok(Command::NotesSync { dry_run: false })
        );
        assert_eq!(
            parse_command_line("/release notes sync --dry-run"),
            Ok(Command::NotesSync { dry_run: true })
        );
        assert_eq!(
            parse_command_line("/release notes sync now"),
            Err(CommandParseError::UnexpectedArgument {
                argument: "now".into()
            })
        );
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
                url: "https://hackmd.io/abc".into(),
                dry_run: false
            })
        );
        assert_eq!(
            parse_command_line("/release notes"),
            Err(CommandParseError::MissingUrl)
        );
        assert_eq!(parse_command_line("/release status"), Ok(Command::Status));
        assert_eq!(
            parse_command_line("/release retry"),
            Ok(Command::Retry {
                step: None,
                dry_run: false
            })
        );
        assert_eq!(
            parse_command_line("/release retry docs"),
            Ok(Command::Retry {
                step: Some("docs".into()),
                dry_run: false
            })
        );
        assert_eq!(
            parse_command_line("/release cancel"),
            Ok(Command::Cancel { dry_run: false })
        );
    }

    #[test]
    fn a_qa_candidate_is_asked_for_by_either_name() {
        for line in ["/release candidate", "/release qa"] {
            assert_eq!(
                parse_command_line(line),
                Ok(Command::Candidate { dry_run: false })
            );
        }
        assert_eq!(
            parse_command_line("/release qa --dry-run"),
            Ok(Command::Candidate { dry_run: true })
        );
        assert_eq!(
            parse_command_line("/release candidate 2"),
            Err(CommandParseError::UnexpectedArgument {
                argument: "2".into()
            })
        );
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

    #[test]
    fn dry_run_is_kept_on_the_commands_that_change_a_release() {
        assert_eq!(
            parse_command_line("/release cancel --dry-run"),
            Ok(Command::Cancel { dry_run: true })
        );
        assert_eq!(
            parse_command_line("/release --dry-run retry"),
            Ok(Command::Retry {
                step: None,
                dry_run: true
            })
        );
        assert_eq!(
            parse_command_line("/release notes https://hackmd.io/abc --dry-run"),
            Ok(Command::Notes {
                url: "https://hackmd.io/abc".into(),
                dry_run: true
            })
        );
    }

    #[test]
    fn dry_run_on_a_command_that_changes_nothing_is_refused() {
        for command in ["status", "help"] {
            let error = parse_command_line(&format!("/release {command} --dry-run")).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "`--dry-run` does not apply to `/release {command}`, which changes nothing \
                     anyway; leave it out."
                )
            );
        }
        assert_eq!(
            parse_command_line("/release cancel --force"),
            Err(CommandParseError::UnknownFlag {
                flag: "--force".into()
            })
        );
    }
}
