//! GitHub Actions: dispatching a workflow makes a queued run; a test (or person) completes it.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::{json, Value};

use super::{
    fail, json, lock, not_found, repo_name, unprocessable, with_repo, Actor, JsonBody, Shared,
};
use crate::payloads;
use crate::runs;
use crate::world::{Repo, WorkflowRun, World};

/// The input names declared under `on.workflow_dispatch.inputs`, by a plain scan of the YAML
/// (enough for workflows written the usual way); `None` when there is no `workflow_dispatch`.
pub fn dispatch_inputs(yaml: &str) -> Option<Vec<String>> {
    let lines: Vec<&str> = yaml
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect();
    let indent = |line: &str| line.len() - line.trim_start().len();
    let start = lines
        .iter()
        .position(|l| l.trim_start().starts_with("workflow_dispatch"))?;
    let base = indent(lines[start]);
    let block: Vec<&str> = lines[start + 1..]
        .iter()
        .copied()
        .take_while(|l| indent(l) > base)
        .collect();
    let Some(at) = block.iter().position(|l| l.trim() == "inputs:") else {
        return Some(vec![]);
    };
    let inputs_indent = indent(block[at]);
    let children: Vec<&str> = block[at + 1..]
        .iter()
        .copied()
        .take_while(|l| indent(l) > inputs_indent)
        .collect();
    let Some(level) = children.first().map(|l| indent(l)) else {
        return Some(vec![]);
    };
    Some(
        children
            .iter()
            .filter(|l| indent(l) == level)
            .map(|l| l.trim().trim_end_matches(':').to_string())
            .collect(),
    )
}

/// The workflow's `name:`, or its file name when it has none (as GitHub shows it).
pub fn workflow_name(yaml: &str, file: &str) -> String {
    yaml.lines()
        .find_map(|l| l.strip_prefix("name:"))
        .map(|n| n.trim().trim_matches('"').to_string())
        .unwrap_or_else(|| file.to_string())
}

/// The job ids under `jobs:`, in order, by the same plain scan as `dispatch_inputs`.
fn job_ids(yaml: &str) -> Vec<String> {
    let lines: Vec<&str> = yaml
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect();
    let indent = |line: &str| line.len() - line.trim_start().len();
    let Some(start) = lines.iter().position(|l| l.trim_end() == "jobs:") else {
        return vec![];
    };
    let children: Vec<&str> = lines[start + 1..]
        .iter()
        .copied()
        .take_while(|l| indent(l) > 0)
        .collect();
    let Some(level) = children.first().map(|l| indent(l)) else {
        return vec![];
    };
    children
        .iter()
        .filter(|l| indent(l) == level)
        .map(|l| l.trim().trim_end_matches(':').to_string())
        .collect()
}

pub fn workflow_text(repo: &Repo, file: &str, commit: &str) -> Option<String> {
    let tree = repo.git.commit(commit)?.tree.clone();
    let (_, blob) = repo
        .git
        .flatten(&tree)
        .get(&format!(".github/workflows/{file}"))?
        .clone();
    String::from_utf8(repo.git.blob(&blob)?.clone()).ok()
}

pub async fn dispatch(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo, file)): Path<(String, String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    let Some(git_ref) = body["ref"].as_str() else {
        return fail(422, "Invalid request.\n\n\"ref\" wasn't supplied.");
    };
    let inputs = body["inputs"].as_object().cloned().unwrap_or_default();
    let details = body.get("return_run_details").is_some();
    let mut world = lock(&state);
    let name = repo_name(&owner, &repo);
    if details && world.repo(&name).is_some_and(|r| r.refuses_run_details) {
        return fail(
            422,
            "Invalid request.\n\n\"return_run_details\" is not a permitted key.",
        );
    }
    let id = match start_run(&mut world, &name, &file, git_ref, inputs, &actor.0) {
        Ok(id) => id,
        Err(response) => return response,
    };
    if body["return_run_details"].as_bool() != Some(true) {
        return StatusCode::NO_CONTENT.into_response();
    }
    let base = world.base_url.clone();
    json(
        StatusCode::OK,
        json!({
            "workflow_run_id": id,
            "run_url": format!("{base}repos/{name}/actions/runs/{id}"),
            "html_url": format!("{base}{name}/actions/runs/{id}"),
        }),
    )
}

/// Starts a queued run of `.github/workflows/<file>` on a branch or tag, as a dispatch by
/// `actor` does, checking what GitHub checks: the ref, the workflow, its inputs.
pub fn start_run(
    world: &mut World,
    repo: &str,
    file: &str,
    git_ref: &str,
    inputs: serde_json::Map<String, Value>,
    actor: &str,
) -> Result<u64, Response> {
    let short = git_ref
        .trim_start_matches("refs/heads/")
        .trim_start_matches("refs/tags/")
        .to_string();
    let id = world.new_id();
    let now = world.timestamp();
    let Some(r) = world.repo_mut(repo) else {
        return Err(not_found());
    };
    let Some(commit) = r.resolve(&short) else {
        return Err(unprocessable(
            "Workflow",
            &format!("No ref found for: {git_ref}"),
        ));
    };
    let Some(text) = workflow_text(r, file, &commit) else {
        return Err(not_found());
    };
    let Some(declared) = dispatch_inputs(&text) else {
        return Err(unprocessable(
            "Workflow",
            "Workflow does not have 'workflow_dispatch' trigger",
        ));
    };
    if let Some(unexpected) = inputs.keys().find(|k| !declared.contains(k)) {
        return Err(unprocessable(
            "Workflow",
            &format!("Unexpected inputs provided: [\"{unexpected}\"]"),
        ));
    }
    let name = workflow_name(&text, file);
    let started = Started {
        file,
        name,
        event: "workflow_dispatch",
        on: (short, commit),
        inputs,
        actor,
    };
    add_run(world, repo, (id, now), started);
    Ok(id)
}

/// What a new run is: its workflow (file and name), the event that started it, the branch or
/// tag and commit it runs on, its inputs and who started it.
pub struct Started<'a> {
    pub file: &'a str,
    pub name: String,
    pub event: &'a str,
    pub on: (String, String),
    pub inputs: serde_json::Map<String, Value>,
    pub actor: &'a str,
}

/// Adds run `id`, queued, made at `now`; emits `workflow_run` `requested`.
pub fn add_run(world: &mut World, repo: &str, (id, now): (u64, String), started: Started) {
    let Some(r) = world.repo_mut(repo) else {
        return;
    };
    let file = started.file;
    let run_number = r
        .runs
        .iter()
        .filter(|run| run.path.ends_with(&format!("/{file}")))
        .count() as u64
        + 1;
    let listed_from = std::time::Instant::now() + r.run_listing_delay;
    let (head_branch, head_sha) = started.on;
    r.runs.push(WorkflowRun {
        id,
        path: format!(".github/workflows/{file}"),
        name: started.name,
        event: started.event.to_string(),
        head_branch,
        head_sha,
        status: "queued".into(),
        conclusion: None,
        inputs: started.inputs,
        run_number,
        created_at: now.clone(),
        actor: started.actor.to_string(),
        triggering_actor: started.actor.to_string(),
        run_attempt: 1,
        run_started_at: now.clone(),
        updated_at: now,
        previous_attempts: vec![],
        listed_from,
    });
    let run = r.runs.last().cloned().expect("just pushed");
    // GitHub creates the run, says so (`requested`), and answers the dispatch.
    crate::webhooks::emit_workflow_run(world, repo, "requested", &run);
}

fn list_runs(
    world: &crate::world::World,
    r: &Repo,
    file: Option<&str>,
    query: &HashMap<String, String>,
) -> Response {
    let path = match file {
        Some(file) => format!("repos/{}/actions/workflows/{file}/runs", r.full_name()),
        None => format!("repos/{}/actions/runs", r.full_name()),
    };
    let now = std::time::Instant::now();
    let runs: Vec<Value> = r
        .runs
        .iter()
        .rev()
        .filter(|run| run.listed_from <= now)
        .filter(|run| file.is_none_or(|f| run.path.ends_with(&format!("/{f}"))))
        .filter(|run| query.get("event").is_none_or(|e| run.event == *e))
        .filter(|run| query.get("branch").is_none_or(|b| run.head_branch == *b))
        .filter(|run| query.get("head_sha").is_none_or(|s| run.head_sha == *s))
        .filter(|run| {
            query
                .get("status")
                .is_none_or(|s| run.status == *s || run.conclusion.as_deref() == Some(s.as_str()))
        })
        .map(|run| payloads::workflow_run(world, r, run))
        .collect();
    counted(world, &path, query, runs, "workflow_runs")
}

/// The run with this id (as the path gives it).
fn find_run<'a>(r: &'a Repo, id: &str) -> Option<&'a WorkflowRun> {
    let id = id.parse::<u64>().ok()?;
    r.runs.iter().find(|run| run.id == id)
}

/// One page of a list GitHub wraps as `{"total_count": …, "<key>": [page]}`.
fn counted(
    world: &World,
    path: &str,
    query: &HashMap<String, String>,
    items: Vec<Value>,
    key: &str,
) -> Response {
    super::paginate_as(
        world,
        path,
        query,
        items,
        |page, total| json!({ "total_count": total, key: page }),
    )
}

pub async fn workflow_runs(
    State(state): State<Shared>,
    Path((owner, repo, file)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        list_runs(&world, r, Some(&file), &query)
    })
}

pub async fn runs(
    State(state): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        list_runs(&world, r, None, &query)
    })
}

pub async fn run(
    State(state): State<Shared>,
    Path((owner, repo, id)): Path<(String, String, String)>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| match find_run(r, &id) {
        Some(run) => json(StatusCode::OK, payloads::workflow_run(&world, r, run)),
        None => not_found(),
    })
}

/// `GET …/actions/workflows`: the workflow files on the default branch.
pub async fn workflows(
    State(state): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        let files = r
            .resolve(&r.default_branch)
            .map(|head| crate::merging::files(r, &head))
            .unwrap_or_default();
        let items: Vec<Value> = files
            .iter()
            .filter_map(|(path, (_, blob))| {
                let file = path.strip_prefix(".github/workflows/")?;
                if file.contains('/') || !(file.ends_with(".yml") || file.ends_with(".yaml")) {
                    return None;
                }
                let text = String::from_utf8_lossy(r.git.blob(blob)?).to_string();
                let name = workflow_name(&text, file);
                Some(payloads::workflow_file(&world, r, path, &name))
            })
            .collect();
        let path = format!("repos/{}/actions/workflows", r.full_name());
        counted(&world, &path, &query, items, "workflows")
    })
}

/// `GET …/actions/runs/{id}/jobs`: one job per job of the workflow, in the run's state.
pub async fn jobs(
    State(state): State<Shared>,
    Path((owner, repo, id)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        let Some(run) = find_run(r, &id) else {
            return not_found();
        };
        let file = run.path.rsplit('/').next().unwrap_or_default();
        let names = workflow_text(r, file, &run.head_sha)
            .map(|text| job_ids(&text))
            .unwrap_or_default();
        let items: Vec<Value> = names
            .iter()
            .enumerate()
            .map(|(i, name)| job(&world, r, run, i as u64, name))
            .collect();
        let path = format!("repos/{}/actions/runs/{}/jobs", r.full_name(), run.id);
        counted(&world, &path, &query, items, "jobs")
    })
}

/// A job of the run's current attempt, in GitHub's `job` shape.
fn job(world: &World, r: &Repo, run: &WorkflowRun, index: u64, name: &str) -> Value {
    let base = &world.base_url;
    let full_name = r.full_name();
    let id = run.id * 100 + index + 1;
    let started = run.status != "queued";
    let done = run.status == "completed";
    json!({
        "id": id,
        "node_id": format!("CR_{id}"),
        "run_id": run.id,
        "run_attempt": run.run_attempt,
        "run_url": format!("{base}repos/{full_name}/actions/runs/{}", run.id),
        "head_sha": run.head_sha,
        "head_branch": run.head_branch,
        "workflow_name": run.name,
        "name": name,
        "url": format!("{base}repos/{full_name}/actions/jobs/{id}"),
        "html_url": format!("{base}{full_name}/actions/runs/{}/job/{id}", run.id),
        "check_run_url": format!("{base}repos/{full_name}/check-runs/{id}"),
        "status": run.status,
        "conclusion": run.conclusion,
        "created_at": run.run_started_at,
        "started_at": run.run_started_at,
        "completed_at": if done { json!(run.updated_at) } else { Value::Null },
        "labels": ["ubuntu-latest"],
        "runner_id": if started { json!(1) } else { Value::Null },
        "runner_name": if started { json!("GitHub Actions 1") } else { Value::Null },
        "runner_group_id": if started { json!(0) } else { Value::Null },
        "runner_group_name": if started { json!("GitHub Actions") } else { Value::Null },
        "steps": [],
    })
}

/// `POST …/runs/{id}/rerun`: the next attempt of a completed run (201); GitHub's 403 while it
/// is still queued or in progress.
pub async fn rerun(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo, id)): Path<(String, String, String)>,
) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    let mut world = lock(&state);
    match runs::rerun(&mut world, &repo_name(&owner, &repo), id, &actor.0) {
        Ok(_) => json(StatusCode::CREATED, json!({})),
        Err((status, message)) => fail(status, &message),
    }
}

/// `GET …/runs/{id}/attempts/{n}`: the run as attempt `n` was (the current one, or one that
/// was re-run since).
pub async fn attempt(
    State(state): State<Shared>,
    Path((owner, repo, id, attempt)): Path<(String, String, String, String)>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        let (Some(run), Ok(n)) = (find_run(r, &id), attempt.parse::<u32>()) else {
            return not_found();
        };
        match as_attempt(run, n) {
            Some(run) => json(StatusCode::OK, payloads::workflow_run(&world, r, &run)),
            None => not_found(),
        }
    })
}

/// The run as its attempt `n` was: the current attempt, or an earlier one's state and actor.
fn as_attempt(run: &WorkflowRun, n: u32) -> Option<WorkflowRun> {
    if n == run.run_attempt {
        return Some(run.clone());
    }
    let earlier = run.previous_attempts.iter().find(|a| a.run_attempt == n)?;
    Some(WorkflowRun {
        run_attempt: n,
        triggering_actor: earlier.triggering_actor.clone(),
        status: earlier.status.clone(),
        conclusion: earlier.conclusion.clone(),
        run_started_at: earlier.run_started_at.clone(),
        updated_at: earlier.updated_at.clone(),
        previous_attempts: run
            .previous_attempts
            .iter()
            .filter(|a| a.run_attempt < n)
            .cloned()
            .collect(),
        ..run.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatch_inputs_are_read_from_the_workflow() {
        let yaml = "name: Release images\non:\n  workflow_dispatch:\n    inputs:\n      version:\n        description: v\n        required: true\n      latest:\n        default: \"false\"\njobs:\n  images:\n    runs-on: ubuntu-latest\n";
        assert_eq!(
            dispatch_inputs(yaml),
            Some(vec!["version".to_string(), "latest".to_string()])
        );
        assert_eq!(job_ids(yaml), ["images"]);
        assert_eq!(dispatch_inputs("on:\n  push:\n"), None);
        assert_eq!(
            dispatch_inputs("on:\n  workflow_dispatch:\njobs: {}\n"),
            Some(vec![])
        );
    }
}
