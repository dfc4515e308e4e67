//! `releasebot healthcheck`: asks a running `releasebot serve` on this machine for `/healthz`
//! and exits 0 when it answers 200, else 1 with the reason. It is the container image's
//! `HEALTHCHECK`: the image has no shell, curl or wget, only this binary.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::server::settings;

#[derive(clap::Args)]
pub struct Args {
    /// The URL to ask (default: `/healthz` at RELEASEBOT_LISTEN, the server's own setting).
    #[arg(long)]
    url: Option<String>,
    /// The server's settings file, for its RELEASEBOT_LISTEN; the environment wins over it.
    #[arg(long, env = "RELEASEBOT_CONFIG_FILE")]
    config_file: Option<PathBuf>,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let url = match args.url {
        Some(url) => url,
        None => match local_url(args.config_file.as_deref()) {
            Ok(url) => url,
            Err(problem) => return Ok(unhealthy(&problem)),
        },
    };
    let timeout = Duration::try_from_secs_f64(args.timeout).unwrap_or(Duration::from_secs(5));
    let client = reqwest::Client::builder().timeout(timeout).build()?;
    let answer = match client.get(&url).send().await {
        Ok(answer) => answer,
        Err(error) => return Ok(unhealthy(&format!("cannot reach {url}: {error}"))),
    };
    let status = answer.status();
    let body = answer.text().await.unwrap_or_default();
    let body = body.trim();
    if status.is_success() {
        println!("releasebot healthcheck: {url}: {body}");
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(unhealthy(&format!("{url} answered {status}: {body}")))
    }
}

fn unhealthy(reason: &str) -> ExitCode {
    eprintln!("releasebot healthcheck: {reason}");
    ExitCode::FAILURE
}

/// `/healthz` at the address `serve` listens on, as this machine reaches it.
fn local_url(config_file: Option<&std::path::Path>) -> Result<String, String> {
    let file = match config_file {
        None => HashMap::new(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
            settings::parse_file(&text)
                .map_err(|problems| format!("{}: {}", path.display(), problems.join("; ")))?
        }
    };
    let listen = std::env::var("RELEASEBOT_LISTEN")
        .ok()
        .or_else(|| file.get("RELEASEBOT_LISTEN").cloned())
        .filter(|value| !value.trim().is_empty())
        .unwrap_or_else(|| settings::DEFAULT_LISTEN.to_string());
    let addr: SocketAddr = listen.trim().parse().map_err(|_| {
        format!(
            "RELEASEBOT_LISTEN must be an address and port such as 0.0.0.0:3000, not `{listen}`"
        )
    })?;
    Ok(format!("http://{}/healthz", reachable(addr)))
}

/// A server listening on every address is asked on the loopback one.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, addr.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, addr.port()).into(),
        _ => addr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_on_every_address_is_asked_on_the_loopback_one() {
        assert_eq!(
            reachable("0.0.0.0:3000".parse().unwrap()),
            "127.0.0.1:3000".parse().unwrap()
        );
        assert_eq!(
            reachable("[::]:3000".parse().unwrap()),
            "[::1]:3000".parse().unwrap()
        );
        assert_eq!(
            reachable("10.0.0.7:8080".parse().unwrap()),
            "10.0.0.7:8080".parse().unwrap()
        );
    }
}
