//! `releasebot simulate`: the simulated GitHub on its own, seeded from a local directory, for
//! trying releasebot against something that behaves like GitHub without an account.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};

use simulated_github::{RepoSeed, SimulatedGitHub, UserKind};

/// The bot user the token acts as.
const BOT_LOGIN: &str = "releasebot[bot]";

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The repository, as owner/name.
    #[arg(long, default_value = "centerofci/mathesar")]
    repo: String,
    #[arg(long, default_value = "master")]
    default_branch: String,
    /// Directory whose files become the repository's first commit.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/mathesar"))]
    seed: PathBuf,
    /// Tags to put on that commit (repeatable).
    #[arg(long = "tag")]
    tags: Vec<String>,
    /// A person with the maintain role (repeatable).
    #[arg(long = "maintainer")]
    maintainers: Vec<String>,
    /// Any person, as LOGIN:ROLE with ROLE one of admin, maintain, write, triage, read (repeatable).
    #[arg(long = "user")]
    users: Vec<String>,
    /// The API token the bot uses.
    #[arg(long, default_value = "sim-token")]
    token: String,
    /// Where to deliver webhooks.
    #[arg(long, requires = "webhook_secret")]
    webhook_url: Option<String>,
    /// The secret webhooks are signed with.
    #[arg(long)]
    webhook_secret: Option<String>,
    /// Install a GitHub App on the repository, as ID:PUBLIC_KEY_PEM_FILE, so `releasebot serve`
    /// can authenticate with the matching private key.
    #[arg(long)]
    app: Option<String>,
}

const ROLES: [&str; 5] = ["admin", "maintain", "write", "triage", "read"];

pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut people: Vec<(String, String)> = args
        .maintainers
        .iter()
        .map(|m| (m.clone(), "maintain".into()))
        .collect();
    for user in &args.users {
        let Some((login, role)) = user.split_once(':') else {
            bail!("--user {user}: write LOGIN:ROLE, e.g. --user pavish:write");
        };
        if !ROLES.contains(&role) {
            bail!(
                "--user {user}: the role must be one of {}",
                ROLES.join(", ")
            );
        }
        people.push((login.to_string(), role.to_string()));
    }
    let seed = RepoSeed::from_dir(&args.repo, &args.default_branch, &args.seed)
        .with_context(|| format!("cannot read the seed directory {}", args.seed.display()))?
        .with_tags(args.tags.clone());
    let sim = SimulatedGitHub::start(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    sim.add_user(BOT_LOGIN, UserKind::Bot);
    sim.add_token(&args.token, BOT_LOGIN);
    let file_count = seed.files.len();
    sim.add_repo(seed);
    for (login, role) in &people {
        sim.add_user(login, UserKind::User);
        sim.set_role(&args.repo, login, role);
    }
    if let Some(app) = &args.app {
        let Some((id, key_path)) = app.split_once(':') else {
            bail!("--app {app}: write ID:PUBLIC_KEY_PEM_FILE, e.g. --app 4242:tests/fixtures/throwaway-app-key.pub.pem");
        };
        let id: u64 = id
            .parse()
            .with_context(|| format!("--app {app}: the App id must be a number"))?;
        let public_key = std::fs::read_to_string(key_path)
            .with_context(|| format!("--app {app}: cannot read {key_path}"))?;
        sim.register_app(id, &public_key, BOT_LOGIN);
        println!(
            "App {id} installed on {} (installation {})",
            args.repo,
            sim.installation_id(&args.repo).unwrap_or_default()
        );
    }
    // GitHub's web pages (the App manifest flow of `releasebot setup`) act as the first person.
    if let Some((login, _)) = people.first() {
        sim.sign_in(login);
        println!(
            "{login} is signed in on the web pages: `releasebot setup --github-url {} --api-url {}` registers Apps here",
            sim.web_url(),
            sim.url()
        );
    }
    if let (Some(url), Some(secret)) = (&args.webhook_url, &args.webhook_secret) {
        sim.set_webhook_target(url, secret);
        println!("webhooks go to {url}, signed");
    }
    println!(
        "simulated GitHub at {} (GITHUB_API_URL), token `{}` acts as {BOT_LOGIN}",
        sim.url(),
        args.token
    );
    println!(
        "{} on {}: {file_count} files, tags {:?}",
        args.repo, args.default_branch, args.tags
    );
    for (login, role) in &people {
        println!("{login}: {role}");
    }
    println!(
        "people act through {}_simulator/repos/{}/... (issues, comments, pulls/N/merge, tags, runs/N/complete, releases/N/publish, collaborators/LOGIN; see the README); Ctrl-C stops",
        sim.url(),
        args.repo
    );

    let mut shown = 0;
    let mut broken = 0;
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = tick.tick() => {
                let requests = sim.requests();
                for request in requests.iter().skip(shown) {
                    println!("{request}");
                }
                shown = requests.len();
                // A simulator answer or webhook GitHub's descriptions do not allow is a bug here.
                let violations = sim.violations();
                for violation in violations.iter().skip(broken) {
                    eprintln!("NOT AS GITHUB DESCRIBES IT: {violation}");
                }
                broken = violations.len();
            }
        }
    }
    Ok(())
}
