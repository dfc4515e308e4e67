//! `scripts/install-action-binary.sh`, the first step of `action.yml`, run with bash and
//! stand-ins for `gh` (a fake GitHub holding releases, tags and build attestations in a folder)
//! and `cargo`: what a user sees in the log, and which releasebot ends up on `GITHUB_PATH`.
//! Nothing reaches the network.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

const REPOSITORY: &str = "releasebot/releasebot";
const TARGET: &str = "x86_64-unknown-linux-musl";
const ASSET: &str = "releasebot-x86_64-unknown-linux-musl.tar.gz";
/// The commit release v0.1.3 was tagged on, and a later one of the same version.
const RELEASE_COMMIT: &str = "09af8f76db34c2b8ebb741c4d16987f9d5fb66c6";
const LATER_COMMIT: &str = "4f941fe0a1b2c3d4e5f60718293a4b5c6d7e8f90";

/// A runner with the action checked out (its Cargo.toml at version 0.1.3) and a fake GitHub.
struct Runner {
    dir: tempfile::TempDir,
}

/// What one run of the install step came to.
struct Install {
    code: i32,
    log: String,
    /// The lines the run's page shows as annotations: `::error …` and `::warning …`.
    annotations: Vec<String>,
    /// What the releasebot put on `GITHUB_PATH` prints, when one was.
    installed: Option<String>,
    /// Whether the step itself ran a downloaded binary (it never may).
    ran_a_download: bool,
    cargo_calls: String,
    gh_calls: String,
}

impl Runner {
    fn new() -> Runner {
        let runner = Runner {
            dir: tempfile::tempdir().unwrap(),
        };
        for sub in ["tools", "temp", "action", "github/releases", "github/tags"] {
            std::fs::create_dir_all(runner.path(sub)).unwrap();
        }
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/action-install");
        for tool in ["gh", "cargo"] {
            let text = std::fs::read_to_string(fixtures.join(tool)).unwrap();
            write_executable(&runner.path("tools").join(tool), &text);
        }
        std::fs::write(
            runner.path("action/Cargo.toml"),
            "[package]\nname = \"releasebot\"\nversion = \"0.1.3\"\n\n[dependencies]\nsemver = { version = \"1\" }\n",
        )
        .unwrap();
        runner
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// What the release workflow makes for `tag` on `commit`: the tag, the binary for this
    /// runner (printing `prints`), SHA256SUMS, and the binary's build attestation.
    fn release(&self, tag: &str, commit: &str, prints: &str) {
        std::fs::write(self.path(&format!("github/tags/{tag}")), commit).unwrap();
        let digest = self.upload_binary(tag, prints);
        self.write_sums(tag, &digest);
        let attestation = format!(
            "{digest} {REPOSITORY} {REPOSITORY}/.github/workflows/release.yml refs/tags/{tag} {commit}\n"
        );
        let mut attestations =
            std::fs::read_to_string(self.path("github/attestations")).unwrap_or_default();
        attestations.push_str(&attestation);
        std::fs::write(self.path("github/attestations"), attestations).unwrap();
    }

    /// Someone with write access replaces the release's binary, and with `sums` its SHA256SUMS
    /// too; the attestation, signed by the release workflow, they cannot make.
    fn replace_binary(&self, tag: &str, prints: &str, sums: bool) {
        let digest = self.upload_binary(tag, prints);
        if sums {
            self.write_sums(tag, &digest);
        }
    }

    /// A gh from before `gh attestation`.
    fn old_gh(&self) {
        std::fs::write(self.path("github/no-attestation-command"), "").unwrap();
    }

    fn upload_binary(&self, tag: &str, prints: &str) -> String {
        let staging = self.path("staging");
        std::fs::create_dir_all(&staging).unwrap();
        let ran = self.path("ran-a-download");
        write_executable(
            &staging.join("releasebot"),
            &format!("#!/bin/sh\necho >> '{}'\necho {prints}\n", ran.display()),
        );
        let release = self.path(&format!("github/releases/{tag}"));
        std::fs::create_dir_all(&release).unwrap();
        let status = Command::new("tar")
            .arg("-czf")
            .arg(release.join(ASSET))
            .arg("-C")
            .arg(&staging)
            .arg("releasebot")
            .status()
            .unwrap();
        assert!(status.success());
        hex::encode(Sha256::digest(std::fs::read(release.join(ASSET)).unwrap()))
    }

    fn write_sums(&self, tag: &str, digest: &str) {
        let other = "0".repeat(64);
        std::fs::write(
            self.path(&format!("github/releases/{tag}/SHA256SUMS")),
            format!("{other}  releasebot-aarch64-apple-darwin.tar.gz\n{digest}  {ASSET}\n"),
        )
        .unwrap();
    }

    fn install(&self, os: &str, arch: &str, action_ref: &str) -> Install {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install-action-binary.sh");
        let github_path = self.path("github_path");
        for earlier in [
            "github_path",
            "ran-a-download",
            "temp/cargo-calls",
            "github/calls",
        ] {
            let _ = std::fs::remove_file(self.path(earlier));
        }
        let output = Command::new("bash")
            .arg(&script)
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.path("tools").display()),
            )
            .env("FAKE_GITHUB", self.path("github"))
            .env("RUNNER_OS_NAME", os)
            .env("RUNNER_ARCH_NAME", arch)
            .env("RUNNER_TEMP", self.path("temp"))
            .env("ACTION_REF", action_ref)
            .env("ACTION_REPOSITORY", REPOSITORY)
            .env("GITHUB_ACTION_PATH", self.path("action"))
            .env("GITHUB_PATH", &github_path)
            .output()
            .unwrap();
        let ran_a_download = self.path("ran-a-download").exists();
        let installed = std::fs::read_to_string(&github_path)
            .unwrap_or_default()
            .lines()
            .next()
            .map(|dir| {
                let out = Command::new(Path::new(dir).join("releasebot"))
                    .output()
                    .unwrap();
                String::from_utf8(out.stdout).unwrap().trim().to_string()
            });
        let log = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        Install {
            code: output.status.code().unwrap_or(-1),
            annotations: log
                .lines()
                .filter(|l| l.starts_with("::"))
                .map(str::to_string)
                .collect(),
            log,
            installed,
            ran_a_download,
            cargo_calls: self.read("temp/cargo-calls"),
            // The downloaded files' folder left out, so the calls read the same in every run.
            gh_calls: self.read("github/calls").replace(
                &format!("{}/", self.path("temp/releasebot-install").display()),
                "",
            ),
        }
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_default()
    }
}

fn write_executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The call that checks the binary's attestation: made by the release workflow of the action's
/// repository, from `source`.
fn attestation_check(source: &str) -> String {
    format!(
        "gh attestation verify {ASSET} --repo {REPOSITORY} --signer-workflow {REPOSITORY}/.github/workflows/release.yml {source}"
    )
}

/// The warning a build from source comes with.
fn building(why: &str) -> String {
    format!("::warning title=releasebot install::{why}: building releasebot from the action's source with cargo (a few minutes per run)")
}

impl Install {
    /// The step printed `line`, a line of its own.
    #[track_caller]
    fn assert_says(&self, line: &str) {
        let said = self.log.lines().any(|l| l == line);
        assert!(said, "no line {line:?} in:\n{}", self.log);
    }

    /// gh was called as `call`.
    #[track_caller]
    fn assert_called_gh(&self, call: &str) {
        let called = self.gh_calls.lines().any(|l| l == call);
        assert!(called, "no call {call:?} in:\n{}", self.gh_calls);
    }
}

#[test]
fn a_commit_pin_installs_the_release_of_the_version_in_its_cargo_toml_verified_twice() {
    let runner = Runner::new();
    let earlier_commit = "1111111111111111111111111111111111111111";
    runner.release("v0.1.2", earlier_commit, "releasebot 0.1.2");
    runner.release("v0.1.3", RELEASE_COMMIT, "releasebot 0.1.3");

    let install = runner.install("Linux", "X64", RELEASE_COMMIT);

    assert_eq!(install.code, 0, "{}", install.log);
    assert_eq!(install.annotations, Vec::<String>::new());
    install.assert_says(&format!("releasebot pinned at commit {RELEASE_COMMIT}: installing release v0.1.3, the version in its Cargo.toml"));
    install.assert_says(&format!("releasebot v0.1.3 for {TARGET}: verified against its SHA256SUMS entry and its build attestation"));
    assert_eq!(install.installed.as_deref(), Some("releasebot 0.1.3"));
    assert!(!install.ran_a_download);
    assert_eq!(install.cargo_calls, "", "nothing built");
    // The attestation is held to the release workflow, the tag and the pinned commit.
    install.assert_called_gh(&attestation_check(&format!(
        "--source-ref refs/tags/v0.1.3 --source-digest {RELEASE_COMMIT}"
    )));
}

#[test]
fn a_commit_between_releases_has_no_binary_and_is_built_with_a_warning() {
    let runner = Runner::new();
    runner.release("v0.1.3", RELEASE_COMMIT, "releasebot 0.1.3");

    let install = runner.install("Linux", "X64", LATER_COMMIT);

    assert_eq!(install.code, 0, "{}", install.log);
    assert_eq!(
        install.annotations,
        [building(&format!(
            "commit {LATER_COMMIT} is not the commit of release v0.1.3 ({RELEASE_COMMIT}), so no release has a binary of it"
        ))]
    );
    assert_eq!(install.installed.as_deref(), Some("built"));
    assert!(!install.gh_calls.contains("release download"));
}

#[test]
fn a_tag_pin_installs_that_tags_release() {
    let runner = Runner::new();
    runner.release("v0.1.3", RELEASE_COMMIT, "releasebot 0.1.3");

    let install = runner.install("Linux", "X64", "v0.1.3");

    assert_eq!(install.code, 0, "{}", install.log);
    assert_eq!(install.annotations, Vec::<String>::new());
    assert_eq!(install.installed.as_deref(), Some("releasebot 0.1.3"));
    assert_eq!(install.cargo_calls, "");
    install.assert_called_gh(&attestation_check("--source-ref refs/tags/v0.1.3"));
}

#[test]
fn a_branch_pin_is_built_from_the_action_source_with_a_warning() {
    let runner = Runner::new();
    runner.release("v0.1.3", RELEASE_COMMIT, "releasebot 0.1.3");

    let install = runner.install("Linux", "X64", "main");

    assert_eq!(install.code, 0, "{}", install.log);
    assert_eq!(
        install.annotations,
        [building(&format!(
            "no {ASSET} in a release 'main' of {REPOSITORY}"
        ))]
    );
    install.assert_says("  gh: release not found");
    assert_eq!(install.installed.as_deref(), Some("built"));
    // The lean binary that ships, without the simulated GitHub.
    assert_eq!(
        install.cargo_calls,
        format!(
            "cargo install --locked --no-default-features --path {} --root {}\n",
            runner.path("action").display(),
            runner.path("temp/releasebot-install/cargo").display()
        )
    );
}

#[test]
fn a_platform_without_a_binary_is_built_with_a_warning() {
    let runner = Runner::new();
    runner.release("v0.1.3", RELEASE_COMMIT, "releasebot 0.1.3");

    let install = runner.install("Windows", "X64", RELEASE_COMMIT);

    assert_eq!(install.code, 0, "{}", install.log);
    assert_eq!(
        install.annotations,
        [building("no prebuilt releasebot for Windows/X64")]
    );
    assert_eq!(install.installed.as_deref(), Some("built"));
}

#[test]
fn a_binary_that_does_not_match_its_checksum_is_refused_never_run_nor_built() {
    let runner = Runner::new();
    runner.release("v0.1.3", RELEASE_COMMIT, "releasebot 0.1.3");
    runner.replace_binary("v0.1.3", "tampered", false);

    let install = runner.install("Linux", "X64", RELEASE_COMMIT);

    assert_eq!(install.code, 1, "{}", install.log);
    assert_eq!(
        install.annotations,
        [format!("::error title=releasebot install::{ASSET} of {REPOSITORY} release v0.1.3 does not match its SHA256SUMS entry; refusing to run it")]
    );
    assert_eq!(install.installed, None);
    assert!(!install.ran_a_download);
    assert_eq!(install.cargo_calls, "", "and nothing built in its place");
}

#[test]
fn a_binary_without_its_attestation_is_refused_even_when_the_checksums_were_replaced_too() {
    let runner = Runner::new();
    runner.release("v0.1.3", RELEASE_COMMIT, "releasebot 0.1.3");
    runner.replace_binary("v0.1.3", "tampered", true);

    let install = runner.install("Linux", "X64", RELEASE_COMMIT);

    assert_eq!(install.code, 1, "{}", install.log);
    assert_eq!(
        install.annotations,
        [format!("::error title=releasebot install::{ASSET} of {REPOSITORY} release v0.1.3 has no build attestation by {REPOSITORY}'s release workflow from v0.1.3 that matches it; refusing to run it")]
    );
    let digest = hex::encode(Sha256::digest(
        std::fs::read(runner.path(&format!("github/releases/v0.1.3/{ASSET}"))).unwrap(),
    ));
    install.assert_says(&format!(
        "  gh: ✗ No attestations found for subject sha256:{digest}"
    ));
    assert_eq!(install.installed, None);
    assert!(!install.ran_a_download);
    assert_eq!(install.cargo_calls, "");
}

#[test]
fn a_release_without_checksums_is_refused() {
    let runner = Runner::new();
    runner.release("v0.1.3", RELEASE_COMMIT, "releasebot 0.1.3");
    std::fs::remove_file(runner.path("github/releases/v0.1.3/SHA256SUMS")).unwrap();

    let install = runner.install("Linux", "X64", "v0.1.3");

    assert_eq!(install.code, 1, "{}", install.log);
    assert_eq!(
        install.annotations,
        [format!("::error title=releasebot install::{ASSET} of {REPOSITORY} release v0.1.3 comes without the SHA256SUMS to check it against; refusing to run it")]
    );
    assert_eq!(
        (install.installed, install.cargo_calls.as_str()),
        (None, "")
    );
}

#[test]
fn a_gh_without_attestations_falls_back_to_the_checksum_with_a_warning() {
    let runner = Runner::new();
    runner.release("v0.1.3", RELEASE_COMMIT, "releasebot 0.1.3");
    runner.old_gh();

    let install = runner.install("Linux", "X64", RELEASE_COMMIT);

    assert_eq!(install.code, 0, "{}", install.log);
    assert_eq!(
        install.annotations,
        [format!("::warning title=releasebot install::this runner's gh cannot check build attestations (`gh attestation verify` with --source-digest; a newer gh can): {ASSET} of {REPOSITORY} release v0.1.3 is checked against its SHA256SUMS entry only")]
    );
    install.assert_says(&format!(
        "releasebot v0.1.3 for {TARGET}: verified against its SHA256SUMS entry only"
    ));
    assert_eq!(install.installed.as_deref(), Some("releasebot 0.1.3"));

    // The checksum still stands between a replaced binary and the runner.
    runner.replace_binary("v0.1.3", "tampered", false);
    let install = runner.install("Linux", "X64", RELEASE_COMMIT);
    assert_eq!((install.code, install.installed), (1, None));
}
