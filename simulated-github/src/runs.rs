//! A workflow run's life on GitHub Actions after it was made: it starts on a runner, completes
//! once, and a person may re-run it from the Actions page: the same run id with the next
//! `run_attempt`, queued again, its `triggering_actor` the person while `actor` stays who
//! started the run. GitHub refuses to re-run what is still running and to complete what is
//! completed, so a test cannot count on a second `completed` that GitHub would never send.

use super::webhooks;
use super::world::{not_found, Refusal, RunAttempt, World};

/// GitHub's limit on re-runs of one run (its documentation: 50 attempts in all).
const MAX_ATTEMPTS: u32 = 50;

/// Moves a run to `status` (and `conclusion`) and sends the matching `workflow_run` webhook.
fn set_status(world: &mut World, repo: &str, run_id: u64, status: &str, conclusion: Option<&str>) {
    let now = world.timestamp();
    let Some(run) = world
        .repo_mut(repo)
        .and_then(|r| r.runs.iter_mut().find(|run| run.id == run_id))
    else {
        return;
    };
    run.status = status.to_string();
    run.conclusion = conclusion.map(String::from);
    run.updated_at = now;
    let run = run.clone();
    webhooks::emit_workflow_run(world, repo, status, &run);
}

fn status_of(world: &World, repo: &str, run_id: u64) -> Result<String, Refusal> {
    world
        .repo(repo)
        .and_then(|r| r.runs.iter().find(|run| run.id == run_id))
        .map(|run| run.status.clone())
        .ok_or_else(not_found)
}

/// A queued run starts on a runner; emits `workflow_run` `in_progress`.
pub fn start(world: &mut World, repo: &str, run_id: u64) -> Result<(), Refusal> {
    match status_of(world, repo, run_id)?.as_str() {
        "queued" => {
            set_status(world, repo, run_id, "in_progress", None);
            Ok(())
        }
        other => Err((409, format!("the run is {other}, not queued"))),
    }
}

/// A job of the run targets an environment with required reviewers: the run waits
/// (`status: "waiting"`) until one approves it. GitHub sends no `workflow_run` event for this
/// (that webhook's actions are `requested`, `in_progress` and `completed` only).
pub fn await_approval(world: &mut World, repo: &str, run_id: u64) -> Result<(), Refusal> {
    match status_of(world, repo, run_id)?.as_str() {
        "queued" | "in_progress" => {
            let now = world.timestamp();
            if let Some(run) = world
                .repo_mut(repo)
                .and_then(|r| r.runs.iter_mut().find(|run| run.id == run_id))
            {
                run.status = "waiting".into();
                run.updated_at = now;
            }
            Ok(())
        }
        other => Err((
            409,
            format!("the run is {other}, not queued or in progress"),
        )),
    }
}

/// The run's current attempt finishes; emits `in_progress` first when it was still queued,
/// then `completed`, as GitHub does. A completed attempt is not completed again.
pub fn complete(
    world: &mut World,
    repo: &str,
    run_id: u64,
    conclusion: &str,
) -> Result<(), Refusal> {
    match status_of(world, repo, run_id)?.as_str() {
        "completed" => Err((
            409,
            "the run's attempt is already completed: re-run it first".into(),
        )),
        status => {
            if status == "queued" {
                set_status(world, repo, run_id, "in_progress", None);
            }
            let run = world
                .repo(repo)
                .and_then(|r| r.runs.iter().find(|run| run.id == run_id).cloned())
                .ok_or_else(not_found)?;
            super::packaging::completing(world, repo, &run, conclusion);
            set_status(world, repo, run_id, "completed", Some(conclusion));
            Ok(())
        }
    }
}

/// Re-runs every job of a completed run, by `by`: the next attempt of the same run, queued;
/// emits `workflow_run` `requested`. Returns the new `run_attempt`.
pub fn rerun(world: &mut World, repo: &str, run_id: u64, by: &str) -> Result<u32, Refusal> {
    let now = world.timestamp();
    let run = world
        .repo_mut(repo)
        .and_then(|r| r.runs.iter_mut().find(|run| run.id == run_id))
        .ok_or_else(not_found)?;
    if run.status != "completed" {
        // What GitHub answers for a run that has not finished yet.
        return Err((403, "This workflow run cannot be retried".into()));
    }
    if run.run_attempt >= MAX_ATTEMPTS {
        return Err((
            403,
            format!("This workflow run cannot be retried: it was already attempted {MAX_ATTEMPTS} times"),
        ));
    }
    run.previous_attempts.push(RunAttempt {
        run_attempt: run.run_attempt,
        triggering_actor: run.triggering_actor.clone(),
        status: run.status.clone(),
        conclusion: run.conclusion.clone(),
        run_started_at: run.run_started_at.clone(),
        updated_at: run.updated_at.clone(),
    });
    run.run_attempt += 1;
    run.triggering_actor = by.to_string();
    run.status = "queued".into();
    run.conclusion = None;
    run.run_started_at = now.clone();
    run.updated_at = now;
    let run = run.clone();
    webhooks::emit_workflow_run(world, repo, "requested", &run);
    Ok(run.run_attempt)
}
