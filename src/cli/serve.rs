//! `releasebot serve`: the GitHub App server. Settings come from the environment (and the same
//! keys in an optional file); every problem is printed before anything starts.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::server::settings::{self, Settings};
use crate::server::{self, Tuning};

#[derive(clap::Args)]
#[command(after_help = settings_help())]
pub struct Args {
    /// A file of `KEY=value` lines with the same keys; the environment wins over it.
    #[arg(long, env = "RELEASEBOT_CONFIG_FILE")]
    config_file: Option<PathBuf>,
    /// Benchmark baseline: answer every delivery 202 at once, verifying and storing nothing.
    #[arg(long, hide = true)]
    bench_floor: bool,
}

fn settings_help() -> String {
    let mut help = String::from("Settings (environment variables):\n");
    for (key, what) in settings::KEYS {
        help.push_str(&format!("  {key:<28} {what}\n"));
    }
    help
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let env: HashMap<String, String> = std::env::vars().collect();
    if args.bench_floor {
        return run_floor(&env).await;
    }
    let file = match &args.config_file {
        None => HashMap::new(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|error| {
                anyhow::anyhow!("cannot read the settings file {}: {error}", path.display())
            })?;
            match settings::parse_file(&text) {
                Ok(values) => values,
                Err(problems) => {
                    eprintln!("releasebot serve: {} has problems:", path.display());
                    for problem in problems {
                        eprintln!("  {problem}");
                    }
                    return Ok(ExitCode::from(2));
                }
            }
        }
    };
    let settings = match Settings::resolve(&env, &file) {
        Ok(settings) => settings,
        Err(problems) => {
            if settings::missing_credentials(&env, &file) {
                eprint!("{}", setup_hint(args.config_file.as_deref()));
                eprintln!("Or set them yourself; missing now:");
            } else {
                eprintln!("releasebot serve cannot start:");
            }
            for problem in problems {
                eprintln!("  {problem}");
            }
            eprintln!("See `releasebot serve --help` for every setting.");
            return Ok(ExitCode::from(2));
        }
    };
    let stop_asked = shutdown_signal()?;
    let tuning = Tuning {
        lease: settings.job_lease,
        ..Tuning::default()
    };
    let running = match server::start(&settings, tuning).await {
        Ok(running) => running,
        Err(problems) => {
            eprintln!("{problems}");
            return Ok(ExitCode::FAILURE);
        }
    };
    // Tests and scripts wait for this line to know the port; the metrics line, when there is
    // one, comes in the same write, so a reader that stops after the first line loses nothing.
    let mut said = format!(
        "releasebot serve: listening on http://{}{}\n",
        running.addr, settings.webhook_path
    );
    if let Some(metrics_addr) = running.metrics_addr {
        said.push_str(&format!(
            "releasebot serve: metrics on http://{metrics_addr}/metrics\n"
        ));
    }
    print!("{said}");
    stop_asked.await;
    tracing::info!("shutting down: no new connections; requests received and running jobs finish");
    running.shutdown().await?;
    Ok(ExitCode::SUCCESS)
}

/// What to do when there is no App yet: `setup` creates it and writes the settings.
fn setup_hint(config_file: Option<&std::path::Path>) -> String {
    let file = config_file
        .map(|path| path.display().to_string())
        .unwrap_or_else(|| "releasebot.env".to_string());
    let file_flag = if file == "releasebot.env" {
        String::new()
    } else {
        format!(" --config-file {file}")
    };
    format!(
        "releasebot serve cannot start: it has no GitHub App to run as (an App id, its private \
         key and its webhook secret).\n\
         Create the App and connect it in one step:\n\
         \x20 releasebot setup --webhook-url https://YOUR-HOST/webhook{file_flag}\n\
         opens a page (http://127.0.0.1:3000/) that registers the App on GitHub and writes its \
         settings to {file}; then start the server with:\n\
         \x20 releasebot serve --config-file {file}\n"
    )
}

async fn run_floor(env: &HashMap<String, String>) -> anyhow::Result<ExitCode> {
    let listen = env
        .get("RELEASEBOT_LISTEN")
        .map(String::as_str)
        .unwrap_or(settings::DEFAULT_LISTEN);
    let stop_asked = shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!(
        "releasebot serve (bench floor): listening on http://{}{}",
        listener.local_addr()?,
        settings::DEFAULT_WEBHOOK_PATH
    );
    axum::serve(
        listener,
        server::floor_router(settings::DEFAULT_WEBHOOK_PATH),
    )
    .with_graceful_shutdown(stop_asked)
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves at SIGTERM or Ctrl-C. Installed before the server says it listens: a SIGTERM that
/// comes right after that line must stop the server cleanly, not kill it.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
