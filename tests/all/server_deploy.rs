//! The container deployment (`Dockerfile`, `deploy/`) as `releasebot serve` will read it: the
//! compose file's settings are ones `serve` accepts, the secrets are mounted where the settings
//! point, metrics stay off the published ports, and the image checks its health with the
//! binary itself. (Building and running the image needs a Docker engine; `.ci/run` lints both
//! files with hadolint, compose-lint and the Compose specification's schema.)

use std::collections::HashMap;

use releasebot::server::settings::{self, Settings};
use serde_yaml::Value;

fn read(path: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn compose() -> Value {
    serde_yaml::from_str(&read("deploy/compose.yaml")).expect("deploy/compose.yaml is YAML")
}

fn strings(value: &Value) -> HashMap<String, String> {
    value
        .as_mapping()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let v = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("{v:?}"));
            (k.as_str().unwrap().to_string(), v)
        })
        .collect()
}

/// Read by `main` and clap rather than by `Settings`.
const OUTSIDE_SETTINGS: [&str; 2] = ["RELEASEBOT_CONFIG_FILE", "RELEASEBOT_LOG_FORMAT"];

#[test]
fn two_replicas_start_with_the_compose_settings_and_the_example_settings_file() {
    let compose = compose();
    let bot = &compose["services"]["releasebot"];
    assert_eq!(bot["deploy"]["replicas"], Value::from(2));
    let env = strings(&bot["environment"]);
    for key in env.keys() {
        assert!(
            settings::KEYS.iter().any(|(known, _)| known == key)
                || OUTSIDE_SETTINGS.contains(&key.as_str()),
            "compose.yaml sets {key}, which releasebot does not read"
        );
    }

    // Every file the settings name is a secret mounted there.
    let secrets: Vec<String> = bot["secrets"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|s| format!("/run/secrets/{}", s["target"].as_str().unwrap()))
        .collect();
    for key in ["RELEASEBOT_CONFIG_FILE", "RELEASEBOT_PRIVATE_KEY_PATH"] {
        assert!(
            secrets.contains(&env[key]),
            "{key}={} is not mounted",
            env[key]
        );
    }

    // The settings file a person copies from the example: known keys only, the environment
    // not overriding it, and with the compose environment a complete configuration.
    let file = settings::parse_file(&read("deploy/releasebot.env.example"))
        .expect("the example settings file has only known keys");
    for key in file.keys() {
        assert!(
            !env.contains_key(key),
            "{key} is set twice; the environment would win"
        );
    }
    assert!(file["RELEASEBOT_DATABASE"].starts_with("postgres://releasebot:"));
    assert!(file["RELEASEBOT_DATABASE"].ends_with("@postgres:5432/releasebot"));
    let settings = Settings::resolve(&env, &file).expect("serve accepts the compose settings");
    assert_eq!(settings.listen, "0.0.0.0:3000".parse().unwrap());
    assert_eq!(
        settings.metrics_listen,
        Some("0.0.0.0:9090".parse().unwrap())
    );
}

#[test]
fn only_the_proxy_publishes_a_port_and_it_forwards_the_webhook_alone() {
    let compose = compose();
    let services = compose["services"].as_mapping().unwrap();
    for (name, service) in services {
        let published = service.get("ports").is_some();
        assert_eq!(
            published,
            name.as_str() == Some("proxy"),
            "{name:?} publishes {:?}",
            service.get("ports")
        );
    }
    let bot = &compose["services"]["releasebot"];
    let exposed: Vec<&str> = bot["expose"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(
        exposed,
        ["3000", "9090"],
        "webhook and metrics, on the compose network only"
    );
    assert_eq!(
        compose["services"]["proxy"]["depends_on"]["releasebot"]["condition"],
        Value::from("service_healthy")
    );
    assert_eq!(
        bot["depends_on"]["postgres"]["condition"],
        Value::from("service_healthy")
    );

    let caddyfile = read("deploy/Caddyfile");
    assert!(caddyfile.contains("handle /webhook {"), "{caddyfile}");
    assert!(
        caddyfile.contains("dynamic a releasebot 3000"),
        "{caddyfile}"
    );
    assert!(!caddyfile.contains("9090"), "metrics are never forwarded");
}

#[test]
fn the_image_runs_serve_as_an_unprivileged_user_and_checks_its_health_with_the_binary() {
    let dockerfile = read("Dockerfile");
    let last_stage = dockerfile.rsplit("\nFROM ").next().unwrap();
    let line = |instruction: &str| {
        last_stage
            .lines()
            .find(|l| l.starts_with(instruction))
            .unwrap_or_else(|| panic!("no {instruction} in the final stage"))
            .to_string()
    };
    assert!(last_stage.starts_with("scratch"), "{last_stage}");
    // What ships leaves the simulated GitHub out (issue 25): `demo` is not in the image.
    assert!(
        dockerfile.contains("cargo build --release --locked --no-default-features"),
        "{dockerfile}"
    );
    let user = line("USER ");
    let uid: u32 = user["USER ".len()..]
        .split(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(uid >= 1000, "{user}");
    assert_eq!(
        line("ENTRYPOINT "),
        r#"ENTRYPOINT ["/usr/local/bin/releasebot"]"#
    );
    assert_eq!(line("CMD "), r#"CMD ["serve"]"#);
    assert!(
        last_stage.contains(r#"CMD ["/usr/local/bin/releasebot", "healthcheck"]"#),
        "{last_stage}"
    );
    // An image default in the environment would override the same key in the settings file.
    assert!(!last_stage.contains("ENV RELEASEBOT_"), "{last_stage}");
}

#[test]
fn the_readme_lists_every_setting_serve_reads() {
    let readme = read("README.md");
    for (key, _) in settings::KEYS {
        assert!(
            readme.contains(&format!("| `{key}`")) || readme.contains(&format!("/ `{key}`")),
            "README.md's settings table has no row for {key}"
        );
    }
}
