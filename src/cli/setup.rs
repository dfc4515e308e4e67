//! `releasebot setup`: serves the page that creates the GitHub App through GitHub's manifest
//! flow and writes the settings `serve` reads (see `crate::setup`). Prints where to open it, then,
//! once the App exists, where the settings went; never the key or the secrets.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::setup::{self, files, github};

#[derive(clap::Args)]
pub struct Args {
    /// Register the App under this organisation (the page can change it); your own account
    /// when left out.
    #[arg(long)]
    org: Option<String>,
    /// GitHub's web address; an Enterprise Server's, e.g. https://github.example.org.
    #[arg(long, default_value = "https://github.com")]
    github_url: String,
    /// GitHub's REST API; by default derived from --github-url (api.github.com, or
    /// https://HOST/api/v3 on Enterprise Server).
    #[arg(long, env = "GITHUB_API_URL")]
    api_url: Option<String>,
    /// Where GitHub will send webhooks: `releasebot serve`'s address, ending in /webhook (the
    /// page asks when left out).
    #[arg(long)]
    webhook_url: Option<String>,
    /// Address of the setup page; GitHub sends the browser back to it.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// The App's name on GitHub (it can be changed on GitHub's confirmation page).
    #[arg(long, default_value = "releasebot")]
    name: String,
    /// The App's home page.
    #[arg(long, default_value = "https://github.com/releasebot/releasebot")]
    url: String,
    /// The settings file to write, the one `releasebot serve --config-file` reads.
    #[arg(long, env = "RELEASEBOT_CONFIG_FILE", default_value = "releasebot.env")]
    config_file: PathBuf,
    /// Where to write the App's private key; by default `releasebot.private-key.pem` beside the
    /// settings file.
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// Replace the settings file and the key file when they exist (otherwise setup refuses to
    /// start).
    #[arg(long)]
    overwrite: bool,
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|dir| dir.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut problems = Vec::new();
    let github_url = match url::Url::parse(&args.github_url) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
        _ => {
            problems.push(format!(
                "--github-url must be GitHub's web address, such as https://github.com, not `{}`",
                args.github_url
            ));
            None
        }
    };
    if let Some(org) = args.org.as_deref().filter(|o| !github::valid_org(o)) {
        problems.push(format!(
            "--org `{org}` is not an organisation's name on GitHub (letters, digits and hyphens)"
        ));
    }
    let config_file = absolute(&args.config_file);
    let key_file = match &args.key_file {
        Some(path) => absolute(path),
        None => config_file
            .parent()
            .unwrap_or(Path::new("."))
            .join("releasebot.private-key.pem"),
    };
    if config_file == key_file {
        problems.push("--key-file and --config-file must be different files".into());
    } else if let Err(mut more) =
        files::check_writable(&[config_file.as_path(), key_file.as_path()], args.overwrite)
    {
        problems.append(&mut more);
    }
    let Some(github_url) = github_url.filter(|_| problems.is_empty()) else {
        eprintln!("releasebot setup cannot start:");
        for problem in problems {
            eprintln!("  {problem}");
        }
        return Ok(ExitCode::from(2));
    };
    let api_url = args
        .api_url
        .clone()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| github::api_url_for(&github_url));
    let options = setup::Options {
        github_url,
        api_url,
        org: args.org,
        webhook_url: args.webhook_url,
        name: args.name,
        homepage: args.url,
        config_file,
        key_file,
        overwrite: args.overwrite,
    };
    let mut running = setup::start(options, args.listen)
        .await
        .map_err(|error| anyhow::anyhow!("cannot listen on {}: {error}", args.listen))?;
    // Tests and scripts wait for this line to know the port.
    println!(
        "releasebot setup: open http://{}/ in a browser to create the GitHub App",
        running.addr
    );
    let outcome = tokio::select! {
        done = running.finished() => done,
        _ = tokio::signal::ctrl_c() => None,
    };
    running.stop().await;
    match outcome {
        Some(done) => {
            println!(
                "releasebot setup: created the GitHub App `{}` (id {}); settings written to {} and its private key to {} (both mode 0600).",
                done.slug,
                done.app_id,
                done.config_file.display(),
                done.key_file.display()
            );
            println!("Install it on your repositories: {}", done.install_url);
            println!(
                "Then start the server: releasebot serve --config-file {}",
                done.config_file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprintln!("releasebot setup: stopped before the App was created; nothing was written.");
            Ok(ExitCode::from(130))
        }
    }
}
