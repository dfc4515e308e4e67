use std::process::ExitCode;

use clap::{Parser, Subcommand};
use releasebot::cli;

/// releasebot runs a project's release from a `/release <version>` comment.
#[derive(Parser)]
#[command(name = "releasebot", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run on the event of the GitHub Actions run this is a step of (used by action.yml).
    Action(cli::action::Args),
    /// Set the version in every version file of a local checkout.
    Bump(cli::bump::Args),
    /// Validate a `.github/releasebot.toml` and print every problem.
    CheckConfig(cli::check_config::Args),
    /// Print what `/release <version>` would change, changing nothing.
    Plan(cli::plan::Args),
    /// Run the simulated GitHub, seeded with a repository, for trying releasebot locally.
    #[cfg(feature = "simulator")]
    Simulate(cli::simulate::Args),
    /// Play a whole release against a simulated GitHub on this machine, printing every step.
    #[cfg(feature = "simulator")]
    Demo(cli::demo::Args),
    /// Not in this build (built without the `simulator` feature): says how to get it.
    #[cfg(not(feature = "simulator"))]
    #[command(hide = true)]
    Simulate(cli::without_simulator::Args),
    /// Not in this build (built without the `simulator` feature): says how to get it.
    #[cfg(not(feature = "simulator"))]
    #[command(hide = true)]
    Demo(cli::without_simulator::Args),
    /// Run the GitHub App server: signed webhooks in, a durable queue, App authentication.
    Serve(cli::serve::Args),
    /// Ask the server on this machine for `/healthz`: exit 0 when healthy, else 1 with the reason.
    Healthcheck(cli::healthcheck::Args),
    /// Print the GitHub App manifest (permissions and events) for creating the App.
    Manifest(cli::manifest::Args),
    /// Create the GitHub App in one step: a local page runs GitHub's manifest flow and writes
    /// the settings `serve` reads.
    Setup(cli::setup::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server's log is its record of every delivery; the other commands speak for themselves.
    let default_level = match cli.command {
        Command::Serve(_) => "info",
        _ => "warn",
    };
    let format = match cli::log_format::LogFormat::parse(
        std::env::var("RELEASEBOT_LOG_FORMAT").ok().as_deref(),
    ) {
        Ok(format) => format,
        Err(problem) => {
            eprintln!("releasebot: {problem}");
            return ExitCode::from(2);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| default_level.into());
    match format {
        cli::log_format::LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            // Colour only for a person at a terminal; log files and collectors get plain text.
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        cli::log_format::LogFormat::Json => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .fmt_fields(cli::log_format::JsonFields)
            .event_format(cli::log_format::JsonLines)
            .init(),
    }
    match cli.command {
        Command::Action(args) => run_async_with_code(cli::action::run(args)),
        Command::Bump(args) => cli::bump::run(args),
        Command::CheckConfig(args) => cli::check_config::run(args),
        Command::Plan(args) => cli::plan::run(args),
        #[cfg(feature = "simulator")]
        Command::Simulate(args) => run_async(cli::simulate::run(args)),
        #[cfg(feature = "simulator")]
        Command::Demo(args) => run_async(cli::demo::run(args)),
        #[cfg(not(feature = "simulator"))]
        Command::Simulate(_) | Command::Demo(_) => cli::without_simulator::run(),
        Command::Manifest(args) => cli::manifest::run(args),
        Command::Serve(args) => run_async_with_code(cli::serve::run(args)),
        Command::Healthcheck(args) => run_async_with_code(cli::healthcheck::run(args)),
        Command::Setup(args) => run_async_with_code(cli::setup::run(args)),
    }
}

fn run_async_with_code(
    future: impl std::future::Future<Output = anyhow::Result<ExitCode>>,
) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("releasebot: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(future) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("releasebot: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// For commands whose only failure is an error: exit 0 on success.
#[cfg(feature = "simulator")]
fn run_async(future: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    run_async_with_code(async { future.await.map(|()| ExitCode::SUCCESS) })
}
