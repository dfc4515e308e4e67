//! `releasebot action`: runs the engine once on the event of the Actions run it is a step of.
//! Exit codes: 0 handled or ignored, 1 a step failed or is blocked, 2 the environment or the
//! event file is unusable.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use crate::action::environment::ActionEnv;
use crate::action::report::{self, escape_command_data};
use crate::engine::{Engine, EngineError};
use crate::github::Connector;
use crate::messages::GaveUp;

#[derive(clap::Args)]
pub struct Args {}

fn usage_error(problems: &[String]) -> ExitCode {
    for problem in problems {
        println!(
            "::error title=releasebot cannot run::{}",
            escape_command_data(problem)
        );
    }
    ExitCode::from(2)
}

fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(text.as_bytes())
}

pub async fn run(_args: Args) -> anyhow::Result<ExitCode> {
    let vars: HashMap<String, String> = std::env::vars().collect();
    let env = match ActionEnv::from_vars(&vars) {
        Ok(env) => env,
        Err(problems) => return Ok(usage_error(&problems)),
    };
    let body = match std::fs::read(&env.event_path) {
        Ok(body) => body,
        Err(error) => {
            return Ok(usage_error(&[format!(
                "cannot read the event file {}: {error}",
                env.event_path.display()
            )]))
        }
    };
    let connector = match Connector::with_token(&format!("{}/", env.api_url), &env.token) {
        Ok(connector) => connector,
        Err(error) => {
            return Ok(usage_error(&[format!(
                "GITHUB_API_URL {} is not usable: {error}",
                env.api_url
            )]))
        }
    };
    let mut engine = Engine::new(connector);
    if let Some(login) = &env.bot_login {
        engine = engine.with_login(login);
    }
    if let Some(path) = &env.config_path {
        engine = engine.with_config_path(path);
    }
    if env.dry_run {
        engine = engine.rehearsing();
    }

    let result = engine.handle_delivery(&env.event_name, &body).await;
    // Nothing runs this event again by itself: the issue it came from is told, as the App's
    // queue tells it when it gives up (a failed step has told its owner already).
    if let Err(error) = &result {
        if !matches!(
            error,
            EngineError::StepFailed { .. } | EngineError::Event(_)
        ) {
            engine
                .report_permanent_failure(
                    &env.event_name,
                    &body,
                    &error.to_string(),
                    GaveUp::NotRetried,
                )
                .await;
        }
    }
    let report = report::report(&env.event_name, &result, env.run_url().as_deref());
    for annotation in &report.annotations {
        println!("{annotation}");
    }
    println!(
        "releasebot: {} → {}",
        env.event_name,
        report
            .outputs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    if let Some(path) = &env.output_file {
        append(path, &report::output_lines(&report.outputs))
            .map_err(|e| anyhow::anyhow!("cannot write GITHUB_OUTPUT {}: {e}", path.display()))?;
    }
    if let Some(path) = &env.summary_file {
        append(path, &format!("{}\n", report.summary)).map_err(|e| {
            anyhow::anyhow!("cannot write GITHUB_STEP_SUMMARY {}: {e}", path.display())
        })?;
    }
    Ok(ExitCode::from(report.exit_code))
}
