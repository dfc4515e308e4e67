//! The workflows after the tag (`[[step]]`) and the gated publication (`[publish]`): where each
//! step stands, from its record in the draft's marker and its run, and the pure decision of
//! what is due next — which steps to dispatch, whether to publish — or what is waited for.
//! A run held for an environment's approval is waiting, not failed.

use std::collections::BTreeMap;

use crate::config::steps::{IMAGES, PUBLISH};
use crate::config::Config;
use crate::domain::{Conclusion, RunState, RunStatus};
use crate::github::models::WorkflowRun;

use super::release_marker::Dispatch;

/// Where one step stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepRun {
    /// Not dispatched yet.
    ToCome,
    /// Intended (or sent) and its run not known yet.
    Dispatching,
    /// GitHub refused the dispatch (why): no run started.
    Refused {
        why: String,
    },
    Running {
        url: String,
    },
    /// Held until a reviewer approves the environment its job runs in.
    Waiting {
        url: String,
    },
    Succeeded {
        url: String,
    },
    Failed {
        url: String,
        conclusion: Conclusion,
    },
}

impl StepRun {
    /// From the step's record in the draft's marker and its run, when known.
    pub fn of(dispatch: Option<&Dispatch>, run: Option<&WorkflowRun>) -> StepRun {
        match (dispatch, run) {
            (None, _) => StepRun::ToCome,
            (Some(dispatch), None) => match &dispatch.refused {
                Some(why) => StepRun::Refused { why: why.clone() },
                None => StepRun::Dispatching,
            },
            (Some(_), Some(run)) => {
                let url = run.html_url.clone();
                match run.run_state() {
                    RunState::Running if run.status == RunStatus::Waiting => {
                        StepRun::Waiting { url }
                    }
                    RunState::Running => StepRun::Running { url },
                    RunState::Succeeded => StepRun::Succeeded { url },
                    RunState::Failed { conclusion } => StepRun::Failed { url, conclusion },
                }
            }
        }
    }

    fn finished(&self) -> bool {
        matches!(
            self,
            StepRun::Succeeded { .. } | StepRun::Failed { .. } | StepRun::Refused { .. }
        )
    }

    /// Failed, or refused by GitHub: what comes after it waits for `/release retry`.
    pub fn failed(&self) -> bool {
        matches!(self, StepRun::Failed { .. } | StepRun::Refused { .. })
    }
}

/// Every configured step's state, by name.
pub type States = BTreeMap<String, StepRun>;

/// What is due now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Next {
    /// Steps to dispatch, in configuration order.
    pub dispatch: Vec<String>,
    /// Publish the draft (`[publish]`, everything it names succeeded).
    pub publish: bool,
}

/// What is due, given each step's state, whether the images were built and whether the release
/// is published: each step not dispatched yet whose `after` all succeeded, and the publication
/// once everything `[publish]` names succeeded. A failed step holds what comes after it.
pub fn next(config: &Config, states: &States, images_built: bool, published: bool) -> Next {
    let succeeded = |name: &String| match name.as_str() {
        IMAGES => images_built,
        PUBLISH => published,
        step => matches!(states.get(step), Some(StepRun::Succeeded { .. })),
    };
    let dispatch = config
        .steps
        .iter()
        .filter(|s| matches!(states.get(&s.name), None | Some(StepRun::ToCome)))
        .filter(|s| s.after.iter().all(succeeded))
        .map(|s| s.name.clone())
        .collect();
    let publish = config
        .publish
        .as_ref()
        .is_some_and(|p| !published && p.after.iter().all(succeeded));
    Next { dispatch, publish }
}

/// `/release retry`: the failed steps whose `after` still holds, in configuration order (the
/// first failed one first); empty when none failed.
pub fn failed(config: &Config, states: &States) -> Vec<String> {
    config
        .steps
        .iter()
        .filter(|s| states.get(&s.name).is_some_and(StepRun::failed))
        .map(|s| s.name.clone())
        .collect()
}

/// Why `/release retry <step>` does not run a step again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAgain {
    /// No step has that name: the names there are.
    Unknown { known: Vec<String> },
    /// Its run has not finished (or it was never dispatched): nothing to run again.
    NotFinished,
}

/// Whether `/release retry <name>` dispatches the step again: only a known step whose run
/// finished (failed or succeeded), or whose dispatch never became a run.
pub fn again(config: &Config, states: &States, name: &str) -> Result<(), NotAgain> {
    if !config.steps.iter().any(|s| s.name == name) {
        return Err(NotAgain::Unknown {
            known: config.steps.iter().map(|s| s.name.clone()).collect(),
        });
    }
    match states.get(name) {
        Some(state) if state.finished() => Ok(()),
        Some(StepRun::Dispatching) => Ok(()),
        _ => Err(NotAgain::NotFinished),
    }
}

/// Whether a step failed (the release is done only when it runs again).
pub fn any_failed(states: &States) -> bool {
    states.values().any(StepRun::failed)
}

/// Every configured step's state, from the draft's marker and the runs read with `progress`.
pub fn states(
    config: &crate::config::Config,
    marker: &super::release_marker::ReleaseMarker,
    progress: &super::progress::Progress,
) -> States {
    config
        .steps
        .iter()
        .map(|step| {
            let state = StepRun::of(
                marker.steps.get(&step.name),
                progress.step_runs.get(&step.name),
            );
            (step.name.clone(), state)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::steps::{PublishConfig, WorkflowStep};

    fn config() -> Config {
        let step = |name: &str, after: &[&str]| WorkflowStep {
            name: name.into(),
            workflow: format!("{name}.yml"),
            inputs: BTreeMap::new(),
            after: after.iter().map(|s| s.to_string()).collect(),
            environment: None,
        };
        Config {
            steps: vec![
                step("docs", &[]),
                step("check", &["images"]),
                step("deploy", &["publish"]),
            ],
            publish: Some(PublishConfig {
                after: vec!["images".into(), "docs".into()],
            }),
            ..Config::default()
        }
    }

    fn url() -> String {
        "u".into()
    }

    /// (docs, check, deploy states; images built, published) → (dispatch, publish).
    type Row = ([StepRun; 3], bool, bool, &'static [&'static str], bool);

    /// Each row of `Row`s: what is due from where the steps stand.
    #[test]
    fn what_is_due_follows_the_order() {
        use StepRun::*;
        let ok = || Succeeded { url: url() };
        let failed = || Failed {
            url: url(),
            conclusion: Conclusion::Failure,
        };
        #[rustfmt::skip]
        let rows: Vec<Row> = vec![
            // the tag: docs goes with the images
            ([ToCome, ToCome, ToCome], false, false, &["docs"], false),
            // a redelivery while docs is dispatched: nothing again
            ([Dispatching, ToCome, ToCome], false, false, &[], false),
            // images built, docs running: check is due, publication waits for docs
            ([Running { url: url() }, ToCome, ToCome], true, false, &["check"], false),
            // docs waiting on its environment's approval: still waited for
            ([Waiting { url: url() }, Running { url: url() }, ToCome], true, false, &[], false),
            // docs and images succeeded: publish
            ([ok(), Running { url: url() }, ToCome], true, false, &[], true),
            // published: deploy is due
            ([ok(), ok(), ToCome], true, true, &["deploy"], false),
            // docs failed: not published, nothing after it
            ([failed(), ok(), ToCome], true, false, &[], false),
            // everything done
            ([ok(), ok(), ok()], true, true, &[], false),
        ];
        for (i, (states, images, published, dispatch, publish)) in rows.into_iter().enumerate() {
            let states: States = ["docs", "check", "deploy"]
                .iter()
                .map(|s| s.to_string())
                .zip(states)
                .collect();
            let due = next(&config(), &states, images, published);
            assert_eq!(due.dispatch, dispatch.to_vec(), "row {i}");
            assert_eq!(due.publish, publish, "row {i}");
        }
    }

    #[test]
    fn one_step_runs_again_only_when_known_and_finished() {
        let mut states = States::new();
        states.insert("docs".into(), StepRun::Running { url: url() });
        states.insert(
            "check".into(),
            StepRun::Failed {
                url: url(),
                conclusion: Conclusion::Failure,
            },
        );
        assert_eq!(
            again(&config(), &states, "nosuch"),
            Err(NotAgain::Unknown {
                known: vec!["docs".into(), "check".into(), "deploy".into()]
            })
        );
        assert_eq!(
            again(&config(), &states, "docs"),
            Err(NotAgain::NotFinished)
        );
        assert_eq!(again(&config(), &states, "check"), Ok(()));
        assert_eq!(failed(&config(), &states), vec!["check".to_string()]);
        assert!(any_failed(&states));
        // A dispatch GitHub refused counts as failed, and may be asked for again.
        let refused = StepRun::Refused { why: "404".into() };
        states.insert("check".into(), refused);
        assert_eq!(failed(&config(), &states), vec!["check".to_string()]);
        assert_eq!(again(&config(), &states, "check"), Ok(()));
    }

    #[test]
    fn a_run_awaiting_approval_is_waiting_not_failed() {
        let run: WorkflowRun = serde_json::from_value(serde_json::json!({
            "id": 5, "path": ".github/workflows/deploy.yml", "head_branch": "0.1.3",
            "head_sha": "a".repeat(40), "status": "waiting", "conclusion": null,
            "html_url": "https://github.com/o/r/actions/runs/5", "event": "workflow_dispatch",
            "run_attempt": 1
        }))
        .unwrap();
        let dispatch = Dispatch::intended("t".into());
        assert_eq!(
            StepRun::of(Some(&dispatch), Some(&run)),
            StepRun::Waiting {
                url: "https://github.com/o/r/actions/runs/5".into()
            }
        );
    }
}
