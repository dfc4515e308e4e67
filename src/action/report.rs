//! What one run of the engine leaves in the Actions run: step outputs (`version`, `pr-number`,
//! `tag`, `release-url`, `outcome`), a Markdown job summary, `::error::` annotations, and the
//! exit code — 0 when the event was handled or ignored, 1 when a step failed or is blocked.

use crate::engine::{EngineError, Outcome};
use crate::status::CandidateState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub outputs: Vec<(&'static str, String)>,
    pub summary: String,
    /// Workflow commands for stdout, already escaped.
    pub annotations: Vec<String>,
    pub exit_code: u8,
}

struct Fields {
    outcome: &'static str,
    what: String,
    version: Option<String>,
    pr: Option<(u64, String)>,
    tag: Option<String>,
    release_url: Option<String>,
}

fn fields(outcome: &Outcome) -> Fields {
    let mut f = Fields {
        outcome: "",
        what: String::new(),
        version: None,
        pr: None,
        tag: None,
        release_url: None,
    };
    match outcome {
        Outcome::Ignored(reason) => {
            f.outcome = "ignored";
            f.what = format!("Nothing to do: {reason}.");
        }
        Outcome::AlreadyAnswered => {
            f.outcome = "already-answered";
            f.what = "The comment had been answered already.".into();
        }
        Outcome::Answered(reply) => {
            f.outcome = "answered";
            f.what = format!("Answered the comment ({reply:?}).");
        }
        Outcome::ReleaseOpened {
            version,
            pull_request,
            pull_request_url,
            ..
        } => {
            f.outcome = "release-opened";
            f.what = format!("Release {version}: the pull request is open.");
            f.version = Some(version.clone());
            f.pr = Some((pull_request.0, pull_request_url.clone()));
        }
        Outcome::StepBlocked { version, step } => {
            f.outcome = "step-blocked";
            f.what = format!(
                "Release {version}: the `{step}` step is blocked; the status comment on the release issue says what to do."
            );
            f.version = Some(version.clone());
        }
        Outcome::Released {
            version,
            tag,
            release_url,
            latest,
            tagged,
        } => {
            f.outcome = "released";
            f.what = format!(
                "Release {version}: {}images dispatched{}, draft release ready for a person to publish.",
                if *tagged { format!("tagged `{tag}`, ") } else { format!("tag `{tag}`: ") },
                if *latest { " (also as `latest`)" } else { "" }
            );
            f.version = Some(version.clone());
            f.tag = Some(tag.clone());
            f.release_url = Some(release_url.clone());
        }
        Outcome::Tagged { version, tag } => {
            f.outcome = "tagged";
            f.what = format!("Release {version}: tagged `{tag}`.");
            f.version = Some(version.clone());
            f.tag = Some(tag.clone());
        }
        Outcome::Redispatched {
            version,
            tag,
            run_url,
        } => {
            f.outcome = "redispatched";
            f.what = format!(
                "Release {version}: the images build on `{tag}` was dispatched again ({}).",
                if run_url.is_empty() {
                    "run not known yet"
                } else {
                    run_url.as_str()
                }
            );
            f.version = Some(version.clone());
            f.tag = Some(tag.clone());
        }
        Outcome::Promoted {
            version,
            tag,
            release_url,
        } => {
            f.outcome = "promoted";
            f.what = format!(
                "Release {version} was published; `latest` is being moved to its images (no rebuild)."
            );
            f.version = Some(version.clone());
            f.tag = Some(tag.clone());
            f.release_url = Some(release_url.clone());
        }
        Outcome::PublishedChecked { version, latest } => {
            f.outcome = "published-checked";
            f.what = format!(
                "Release {version} was published; it {} GitHub's \"Latest\" release.",
                if *latest {
                    "is"
                } else {
                    "is not (a higher version exists)"
                }
            );
            f.version = Some(version.clone());
        }
        Outcome::SmokeDispatched { version, sha } => {
            f.outcome = "smoke-dispatched";
            f.what = format!(
                "Release {version}: the smoke test of `{}` was dispatched.",
                sha.short()
            );
            f.version = Some(version.clone());
        }
        Outcome::SmokeReported { version, passed } => {
            f.outcome = "smoke-reported";
            f.what = format!(
                "Release {version}: the smoke test {}; the commit status, checklist and status comment say so.",
                if *passed { "passed" } else { "failed" }
            );
            f.version = Some(version.clone());
        }
        Outcome::Cancelled { version } => {
            f.outcome = "cancelled";
            f.what = format!("Release {version} was cancelled.");
            f.version = Some(version.clone());
        }
        Outcome::ImagesReported { version, success } => {
            f.outcome = "images-reported";
            f.what = format!(
                "Release {version}: the images build {}; the draft release and status comment say so.",
                if *success { "succeeded" } else { "failed" }
            );
            f.version = Some(version.clone());
        }
        Outcome::StepReported {
            version,
            step,
            success,
        } => {
            f.outcome = "step-reported";
            f.what = format!(
                "Release {version}: step `{step}` {}; the status comment says so.",
                if *success { "succeeded" } else { "failed" }
            );
            f.version = Some(version.clone());
        }
        Outcome::StatusRefreshed { version } => {
            f.outcome = "status-refreshed";
            f.what = format!("Release {version}: the status comment is up to date.");
            f.version = Some(version.clone());
        }
        Outcome::NotesSynced {
            version,
            commit,
            added,
            left,
        } => {
            f.outcome = "notes-synced";
            f.what = format!(
                "Release {version}: the notes file was synced in {commit} ({} pull requests added, {left} left to categorize).",
                added.len()
            );
            f.version = Some(version.clone());
        }
        Outcome::NothingToResume { version } => {
            f.outcome = "nothing-to-resume";
            f.what = format!("Release {version} has already moved past this step.");
            f.version = Some(version.clone());
        }
        Outcome::Candidate {
            version,
            tag,
            state,
        } => {
            f.outcome = "candidate";
            let stands = match state {
                CandidateState::Tagging => "is being tagged".to_string(),
                CandidateState::Packaging { .. } => "waits for its packaged assets".to_string(),
                CandidateState::Building => "is building its images".to_string(),
                CandidateState::Published => "is published as a pre-release".to_string(),
                CandidateState::Failed { reason } => format!("stopped: {reason}"),
            };
            f.what = format!("Release {version}: QA candidate `{tag}` {stands}.");
            f.version = Some(version.clone());
            f.tag = Some(tag.clone());
        }
    }
    f
}

/// Escapes a message for a workflow command (`%`, CR and LF are the command syntax's own).
pub fn escape_command_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

pub fn report(
    event_name: &str,
    result: &Result<Outcome, EngineError>,
    run_url: Option<&str>,
) -> Report {
    let mut summary = String::from("### releasebot\n\n");
    let mut annotations = Vec::new();
    let (fields, exit_code) = match result {
        Ok(outcome) => {
            let fields = fields(outcome);
            let blocked = matches!(outcome, Outcome::StepBlocked { .. });
            if blocked {
                annotations.push(format!(
                    "::error title=releasebot::{}",
                    escape_command_data(&fields.what)
                ));
            }
            (fields, u8::from(blocked))
        }
        Err(error) => {
            let message = error.to_string();
            annotations.push(format!(
                "::error title=releasebot step failed::{}",
                escape_command_data(&message)
            ));
            let version = match error {
                EngineError::StepFailed { version, .. } => Some(version.clone()),
                _ => None,
            };
            (
                Fields {
                    outcome: "failed",
                    what: format!("A step failed: {message}"),
                    version,
                    pr: None,
                    tag: None,
                    release_url: None,
                },
                1,
            )
        }
    };
    summary.push_str(&fields.what);
    summary.push_str("\n\n| | |\n|---|---|\n");
    summary.push_str(&format!(
        "| event | `{event_name}` |\n| outcome | `{}` |\n",
        fields.outcome
    ));
    if let Some(version) = &fields.version {
        summary.push_str(&format!("| version | `{version}` |\n"));
    }
    if let Some((number, url)) = &fields.pr {
        summary.push_str(&format!("| pull request | [#{number}]({url}) |\n"));
    }
    if let Some(tag) = &fields.tag {
        summary.push_str(&format!("| tag | `{tag}` |\n"));
    }
    if let Some(url) = &fields.release_url {
        summary.push_str(&format!("| draft release | {url} |\n"));
    }
    if let Some(url) = run_url {
        summary.push_str(&format!("| run | {url} |\n"));
    }
    let outputs = vec![
        ("outcome", fields.outcome.to_string()),
        ("version", fields.version.unwrap_or_default()),
        (
            "pr-number",
            fields.pr.map(|(n, _)| n.to_string()).unwrap_or_default(),
        ),
        ("tag", fields.tag.unwrap_or_default()),
        ("release-url", fields.release_url.unwrap_or_default()),
    ];
    Report {
        outputs,
        summary,
        annotations,
        exit_code,
    }
}

/// `$GITHUB_OUTPUT` lines: `name=value`, or a heredoc when a value spans lines.
pub fn output_lines(outputs: &[(&str, String)]) -> String {
    let mut text = String::new();
    for (name, value) in outputs {
        if value.contains('\n') || value.contains('\r') {
            let mut delimiter = String::from("RELEASEBOT_EOF");
            while value.contains(&delimiter) {
                delimiter.push('_');
            }
            text.push_str(&format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"));
        } else {
            text.push_str(&format!("{name}={value}\n"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::ApiError;

    #[test]
    fn an_opened_release_gives_its_version_and_pull_request() {
        let outcome = Ok(Outcome::ReleaseOpened {
            version: "0.1.3".into(),
            branch: "release/0.1.3".into(),
            pull_request: crate::domain::PullNumber(12),
            pull_request_url: "https://github.com/o/r/pull/12".into(),
            status_comment: 99,
        });
        let report = report("issue_comment", &outcome, None);
        assert_eq!(report.exit_code, 0);
        assert_eq!(
            output_lines(&report.outputs),
            "outcome=release-opened\nversion=0.1.3\npr-number=12\ntag=\nrelease-url=\n"
        );
        assert!(report
            .summary
            .contains("| pull request | [#12](https://github.com/o/r/pull/12) |"));
        assert!(report.annotations.is_empty());
    }

    #[test]
    fn each_effect_has_its_own_outcome_and_outputs() {
        let cases = [
            (
                Outcome::Released {
                    version: "0.1.3".into(),
                    tag: "0.1.3".into(),
                    release_url: "u".into(),
                    latest: true,
                    tagged: true,
                },
                "released",
                "tagged `0.1.3`, images dispatched (also as `latest`), draft release ready",
            ),
            (
                Outcome::Redispatched {
                    version: "0.1.3".into(),
                    tag: "0.1.3".into(),
                    run_url: "https://github.com/o/r/actions/runs/9".into(),
                },
                "redispatched",
                "the images build on `0.1.3` was dispatched again (https://github.com/o/r/actions/runs/9)",
            ),
            (
                Outcome::Promoted {
                    version: "0.1.3".into(),
                    tag: "0.1.3".into(),
                    release_url: "u".into(),
                },
                "promoted",
                "`latest` is being moved to its images (no rebuild)",
            ),
            (
                Outcome::Tagged {
                    version: "0.1.3".into(),
                    tag: "0.1.3".into(),
                },
                "tagged",
                "tagged `0.1.3`",
            ),
            (
                Outcome::PublishedChecked {
                    version: "0.1.9".into(),
                    latest: false,
                },
                "published-checked",
                "is not (a higher version exists) GitHub's \"Latest\" release",
            ),
        ];
        for (outcome, name, says) in cases {
            let report = report("pull_request", &Ok(outcome), None);
            assert_eq!(report.outputs[0], ("outcome", name.to_string()));
            assert!(report.summary.contains(says), "{}", report.summary);
            assert!(!report.summary.contains("draft release ready") || name == "released");
        }
    }

    #[test]
    fn an_ignored_event_succeeds_with_empty_outputs() {
        let report = report(
            "push",
            &Ok(Outcome::Ignored("`refs/heads/x` is not a tag".into())),
            None,
        );
        assert_eq!(report.exit_code, 0);
        assert_eq!(report.outputs[0], ("outcome", "ignored".to_string()));
        assert!(report.outputs[1..].iter().all(|(_, v)| v.is_empty()));
    }

    #[test]
    fn a_failed_step_is_an_error_annotation_and_exit_code_1() {
        let failed = Err(EngineError::StepFailed {
            version: "0.1.3".into(),
            step: crate::status::Step::Tag,
            source: ApiError::Status {
                method: "POST",
                route: "/repos/o/r/git/refs".into(),
                status: 502,
                message: "Server Error\nretry later".into(),
                retry_after: None,
            },
        });
        let report = report(
            "pull_request",
            &failed,
            Some("https://github.com/o/r/actions/runs/1"),
        );
        assert_eq!(report.exit_code, 1);
        assert_eq!(report.outputs[0], ("outcome", "failed".to_string()));
        assert_eq!(report.outputs[1], ("version", "0.1.3".to_string()));
        assert_eq!(report.annotations.len(), 1);
        assert!(report.annotations[0]
            .starts_with("::error title=releasebot step failed::release 0.1.3: tag failed"));
        assert!(
            report.annotations[0].contains("Server Error%0Aretry later"),
            "{}",
            report.annotations[0]
        );
        assert!(report
            .summary
            .contains("| run | https://github.com/o/r/actions/runs/1 |"));
    }

    #[test]
    fn a_blocked_step_fails_the_run_so_someone_looks() {
        let report = report(
            "pull_request",
            &Ok(Outcome::StepBlocked {
                version: "0.1.3".into(),
                step: crate::status::Step::Tag,
            }),
            None,
        );
        assert_eq!(report.exit_code, 1);
        assert_eq!(report.outputs[0].1, "step-blocked");
    }

    #[test]
    fn a_value_on_several_lines_is_written_as_a_heredoc() {
        let text = output_lines(&[("notes", "a\nRELEASEBOT_EOF\nb".to_string())]);
        assert_eq!(
            text,
            "notes<<RELEASEBOT_EOF_\na\nRELEASEBOT_EOF\nb\nRELEASEBOT_EOF_\n"
        );
    }

    #[test]
    fn workflow_command_data_is_escaped() {
        assert_eq!(escape_command_data("50%\r\nnext"), "50%25%0D%0Anext");
    }
}
