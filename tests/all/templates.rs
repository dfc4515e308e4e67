//! The workflow templates users copy, read as YAML and held against what releasebot expects:
//! the images workflow builds exactly the configured images, platforms, tags and build
//! arguments; the releasebot workflow listens to the events the engine reads. And the project's
//! own release workflow, which makes what the action's install step downloads and verifies.

use std::collections::BTreeMap;
use std::path::Path;

use releasebot::config::Config;
use serde_yaml::Value;

fn workflow(path: &str) -> Value {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn step_using<'a>(job: &'a Value, action: &str) -> &'a Value {
    job["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with(&format!("{action}@")))
        })
        .unwrap_or_else(|| panic!("no step uses {action}"))
}

fn step_named<'a>(job: &'a Value, name: &str) -> &'a Value {
    job["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no step named {name}"))
}

#[test]
fn the_images_workflow_builds_the_configured_images_for_the_configured_platforms() {
    let config = Config::default();
    let wf = workflow("examples/workflows/release-images.yml");
    let build = &wf["jobs"]["build"];

    let matrix: BTreeMap<String, (String, String)> = build["strategy"]["matrix"]["include"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["image"].as_str().unwrap().to_string(),
                (
                    entry["dockerfile"].as_str().unwrap().to_string(),
                    entry["build-args"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect();
    let configured: BTreeMap<String, (String, String)> = config
        .images
        .images
        .iter()
        .map(|image| {
            let args: Vec<String> = image
                .build_args
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            (
                image.name.clone(),
                (image.dockerfile.clone(), args.join("\n")),
            )
        })
        .collect();
    assert_eq!(matrix, configured);

    let push = &step_using(build, "docker/build-push-action")["with"];
    assert_eq!(
        push["platforms"].as_str().unwrap(),
        config.images.platforms.join(",")
    );
    assert_eq!(push["push"].as_bool(), Some(true));
    assert_eq!(push["file"].as_str(), Some("${{ matrix.dockerfile }}"));
    assert_eq!(
        push["build-args"].as_str(),
        Some("${{ matrix.build-args }}")
    );
    assert!(push["cache-from"].as_str().unwrap().starts_with("type=gha"));
    for action in [
        "docker/setup-qemu-action",
        "docker/setup-buildx-action",
        "docker/login-action",
    ] {
        step_using(build, action);
    }
}

#[test]
fn the_images_workflow_tags_latest_only_when_asked() {
    let wf = workflow("examples/workflows/release-images.yml");
    let inputs = &wf["on"]["workflow_dispatch"]["inputs"];
    for input in ["version", "latest", "promote"] {
        assert!(inputs[input].is_mapping(), "input {input}");
    }
    let tags = step_named(&wf["jobs"]["build"], "Choose the tags");
    let script = tags["run"].as_str().unwrap();
    // The rule, run for real: `<image>:<version>`, plus `<image>:latest` only for latest=true.
    for (latest, expected) in [
        (
            "true",
            "tags=mathesar/mathesar-prod:0.1.3,mathesar/mathesar-prod:latest",
        ),
        ("false", "tags=mathesar/mathesar-prod:0.1.3"),
    ] {
        let out = tempfile::NamedTempFile::new().unwrap();
        let status = std::process::Command::new("bash")
            .args(["-euo", "pipefail", "-c", script])
            .env("IMAGE", "mathesar/mathesar-prod")
            .env("VERSION", "0.1.3")
            .env("LATEST", latest)
            .env("GITHUB_OUTPUT", out.path())
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(
            std::fs::read_to_string(out.path()).unwrap().trim(),
            expected
        );
    }
    // Inputs reach the script through env, never spliced into it.
    assert!(!script.contains("${{"), "{script}");
}

#[test]
fn promoting_re_points_latest_without_rebuilding() {
    let wf = workflow("examples/workflows/release-images.yml");
    let promote = &wf["jobs"]["promote"];
    assert_eq!(promote["if"].as_str(), Some("inputs.promote == 'true'"));
    assert_eq!(
        wf["jobs"]["build"]["if"].as_str(),
        Some("inputs.promote != 'true'")
    );
    let images: Vec<&str> = promote["strategy"]["matrix"]["image"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let configured: Vec<String> = Config::default()
        .images
        .images
        .iter()
        .map(|i| i.name.clone())
        .collect();
    assert_eq!(images, configured);
    let run = step_named(promote, "Point latest at the version's images (no rebuild)")["run"]
        .as_str()
        .unwrap();
    assert_eq!(
        run.trim(),
        r#"docker buildx imagetools create --tag "$IMAGE:latest" "$IMAGE:$VERSION""#
    );
    assert!(promote["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .all(|s| s["uses"]
            .as_str()
            .is_none_or(|u| !u.starts_with("docker/build-push-action@"))));
}

#[test]
fn the_example_repository_carries_the_template_itself() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(
        std::fs::read_to_string(root.join("examples/workflows/release-images.yml")).unwrap(),
        std::fs::read_to_string(
            root.join("examples/mathesar/.github/workflows/release-images.yml")
        )
        .unwrap()
    );
}

#[test]
fn the_releasebot_workflow_listens_to_what_the_engine_reads_with_only_the_permissions_it_uses() {
    let wf = workflow("examples/workflows/releasebot.yml");
    let on = &wf["on"];
    assert_eq!(on["issue_comment"]["types"][0].as_str(), Some("created"));
    assert_eq!(
        on["pull_request"]["types"],
        serde_yaml::from_str::<Value>("[closed, synchronize, reopened]").unwrap()
    );
    assert!(on["push"]["tags"].is_sequence());
    // A comment starts a runner only when it may hold a command and a person wrote it: the
    // bot's own status comments mention `/release`.
    let only_if = wf["jobs"]["releasebot"]["if"].as_str().unwrap_or_default();
    assert!(
        only_if.contains("contains(github.event.comment.body, '/release')")
            && only_if.contains("github.event.comment.user.type != 'Bot'"),
        "{only_if}"
    );
    assert_eq!(
        on["workflow_run"]["workflows"][0].as_str(),
        workflow("examples/workflows/release-images.yml")["name"].as_str(),
        "follows the images workflow by its name"
    );
    assert_eq!(
        on["workflow_run"]["workflows"][1].as_str(),
        workflow("examples/workflows/release-smoke.yml")["name"].as_str(),
        "and the smoke workflow by its name"
    );
    // Runs wait in order; none is replaced by a newer event.
    assert_eq!(wf["concurrency"]["queue"].as_str(), Some("max"));
    assert!(wf["concurrency"].get("cancel-in-progress").is_none());
    let job = &wf["jobs"]["releasebot"];
    let permissions: BTreeMap<String, String> =
        serde_yaml::from_value(job["permissions"].clone()).unwrap();
    assert_eq!(
        permissions,
        BTreeMap::from([
            ("actions".to_string(), "write".to_string()),
            ("contents".to_string(), "write".to_string()),
            ("issues".to_string(), "write".to_string()),
            ("pull-requests".to_string(), "write".to_string()),
            ("statuses".to_string(), "write".to_string()),
        ])
    );
    assert!(wf["permissions"].as_mapping().unwrap().is_empty());
}

#[test]
fn the_images_are_built_with_provenance_and_an_sbom_attested_and_their_digests_reported() {
    let wf = workflow("examples/workflows/release-images.yml");
    let build = &wf["jobs"]["build"];
    let push = step_using(build, "docker/build-push-action");
    assert_eq!(push["with"]["provenance"].as_str(), Some("mode=max"));
    assert_eq!(push["with"]["sbom"].as_bool(), Some(true));
    let attest = step_using(build, "actions/attest-build-provenance");
    assert_eq!(
        attest["with"]["subject-digest"].as_str(),
        Some("${{ steps.build.outputs.digest }}")
    );
    assert_eq!(attest["with"]["push-to-registry"].as_bool(), Some(true));
    let report = step_named(build, "Report the digest to releasebot");
    assert!(report["run"]
        .as_str()
        .unwrap()
        .contains("context=\"releasebot/image/$IMAGE\""));
    // Exactly the extra permissions attesting and reporting need, on the build job only.
    let permissions: BTreeMap<String, String> =
        serde_yaml::from_value(build["permissions"].clone()).unwrap();
    assert_eq!(
        permissions,
        BTreeMap::from([
            ("attestations".to_string(), "write".to_string()),
            ("contents".to_string(), "read".to_string()),
            ("id-token".to_string(), "write".to_string()),
            ("statuses".to_string(), "write".to_string()),
        ])
    );
    assert_eq!(
        wf["permissions"],
        serde_yaml::from_str::<Value>("contents: read").unwrap()
    );
    assert!(wf["jobs"]["promote"].get("permissions").is_none());
}

#[test]
fn the_smoke_workflow_is_dispatched_with_the_inputs_releasebot_sends_and_installs_that_commit() {
    let wf = workflow("examples/workflows/release-smoke.yml");
    let on = wf["on"].as_mapping().unwrap();
    assert_eq!(
        on.len(),
        1,
        "dispatched only, so nothing runs twice: {on:?}"
    );
    let inputs: Vec<&str> = wf["on"]["workflow_dispatch"]["inputs"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(inputs, ["version", "sha"]);
    let job = &wf["jobs"]["smoke"];
    assert_eq!(
        step_using(job, "actions/checkout")["with"]["ref"].as_str(),
        Some("${{ inputs.sha }}")
    );
    let install = step_named(
        job,
        "Run install.sh from this commit, answering every question with its default",
    );
    assert_eq!(
        install["env"]["HEAD_SHA"].as_str(),
        Some("${{ inputs.sha }}")
    );
    assert!(!install["run"].as_str().unwrap().contains("${{"));
    assert_eq!(
        wf["permissions"],
        serde_yaml::from_str::<Value>("contents: read").unwrap()
    );
    assert_eq!(
        Config::default().smoke.workflow,
        "release-smoke.yml",
        "the default configuration dispatches this file"
    );
    // The example repository carries the template itself, so the demo and tests run it.
    let text = |p: &str| std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(p));
    assert_eq!(
        text("examples/mathesar/.github/workflows/release-smoke.yml").unwrap(),
        text("examples/workflows/release-smoke.yml").unwrap()
    );
}

#[test]
fn every_action_is_pinned_to_a_full_commit_with_its_version_beside_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("action.yml")];
    for dir in [".github/workflows", "examples/workflows"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    let pinned =
        regex::Regex::new(r"^\s*(- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
            .unwrap();
    let mut uses = 0;
    for file in files {
        for line in std::fs::read_to_string(&file).unwrap().lines() {
            if line
                .trim_start()
                .trim_start_matches("- ")
                .starts_with("uses:")
            {
                uses += 1;
                assert!(pinned.is_match(line), "{}: {line}", file.display());
            }
        }
    }
    assert!(uses >= 10, "{uses}");
}

/// The index of the first step of `job` that `is`.
fn step_index(job: &Value, what: &str, is: impl Fn(&Value) -> bool) -> usize {
    job["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .position(is)
        .unwrap_or_else(|| panic!("no step that {what}"))
}

fn runs(step: &Value, command: &str) -> bool {
    step["run"]
        .as_str()
        .is_some_and(|run| run.contains(command))
}

#[test]
fn releasebot_releases_itself_into_a_draft_attested_and_published_last() {
    let wf = workflow(".github/workflows/release.yml");
    // Started by the tag, not by publication: a published immutable release takes no assets.
    assert_eq!(
        wf["on"]["push"]["tags"],
        serde_yaml::from_str::<Value>("['v*']").unwrap()
    );
    assert!(wf["on"].get("release").is_none());

    // The lean binary, for every platform the install step knows.
    let build = &wf["jobs"]["build"];
    let script = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install-action-binary.sh"),
    )
    .unwrap();
    for entry in build["strategy"]["matrix"]["include"]
        .as_sequence()
        .unwrap()
    {
        let target = entry["target"].as_str().unwrap();
        assert!(
            script.contains(&format!(") target={target} ;;")),
            "{target}"
        );
    }
    let compile = step_named(build, "Build");
    assert!(runs(
        compile,
        "cargo build --release --locked --no-default-features -p releasebot --target \"$TARGET\""
    ));
    assert!(runs(compile, "dist/releasebot-$TARGET.tar.gz"));
    let check = step_named(build, "Check the tag names the version in Cargo.toml");
    assert!(
        runs(check, "[ \"$TAG\" != \"v$version\" ]"),
        "tags are v<version>"
    );

    // Draft, then its assets, then their attestation, then publication.
    let release = &wf["jobs"]["release"];
    let draft = step_index(release, "creates the draft", |s| {
        runs(s, "gh release create \"$TAG\"") && runs(s, "--draft")
    });
    let upload = step_index(release, "uploads into it", |s| {
        runs(
            s,
            "gh release upload \"$TAG\" releasebot-*.tar.gz SHA256SUMS",
        )
    });
    let attest = step_index(release, "attests the binaries", |s| {
        s["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("actions/attest-build-provenance@"))
    });
    let publish = step_index(release, "publishes", |s| {
        runs(s, "gh release edit \"$TAG\"") && runs(s, "--draft=false")
    });
    assert!(
        draft < upload && upload < attest && attest < publish,
        "draft {draft}, upload {upload}, attest {attest}, publish {publish}"
    );
    assert_eq!(
        release["steps"][attest]["with"]["subject-path"].as_str(),
        Some("dist/releasebot-*.tar.gz")
    );
    // Signing and storing attestations on the release job only.
    let permissions: BTreeMap<String, String> =
        serde_yaml::from_value(release["permissions"].clone()).unwrap();
    assert_eq!(
        permissions,
        BTreeMap::from([
            ("attestations".to_string(), "write".to_string()),
            ("contents".to_string(), "write".to_string()),
            ("id-token".to_string(), "write".to_string()),
        ])
    );
    assert_eq!(
        build["permissions"],
        serde_yaml::from_str::<Value>("contents: read").unwrap()
    );
    assert!(wf["permissions"].as_mapping().unwrap().is_empty());
}
