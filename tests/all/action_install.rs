//! `scripts/install-action-binary.sh`, the first step of `action.yml`, run with stand-ins for
//! `gh` (serving a release's assets from a folder) and `cargo`: a verified binary is installed,
//! a tampered one is refused, and a platform or ref without a binary is built instead.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

const TARGET: &str = "x86_64-unknown-linux-musl";

struct Runner {
    dir: tempfile::TempDir,
}

impl Runner {
    fn new() -> Runner {
        let runner = Runner {
            dir: tempfile::tempdir().unwrap(),
        };
        for sub in ["release", "tools", "temp", "action"] {
            std::fs::create_dir_all(runner.path(sub)).unwrap();
        }
        // `gh release download TAG --repo R --pattern A --pattern B --dir D --clobber`: copies
        // the release's assets, or fails like gh when there is no such release.
        write_tool(
            &runner.path("tools/gh"),
            &format!(
                "#!/usr/bin/env bash\nset -e\nrelease={}\n[ \"$3\" = v0.1.0 ] || {{ echo 'release not found' >&2; exit 1; }}\npatterns=()\nwhile [ $# -gt 0 ]; do\n  case \"$1\" in\n    --pattern) patterns+=(\"$2\"); shift 2 ;;\n    --dir) dir=\"$2\"; shift 2 ;;\n    *) shift ;;\n  esac\ndone\nfor p in \"${{patterns[@]}}\"; do cp \"$release/$p\" \"$dir/\" || {{ echo \"no asset $p\" >&2; exit 1; }}; done\n",
                runner.path("release").display()
            ),
        );
        write_tool(
            &runner.path("tools/cargo"),
            "#!/usr/bin/env bash\nset -e\necho \"cargo $*\" >> \"$RUNNER_TEMP/cargo-calls\"\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=\"$2\"; shift; done\nmkdir -p \"$root/bin\"\nprintf '#!/bin/sh\\necho built\\n' > \"$root/bin/releasebot\"\nchmod +x \"$root/bin/releasebot\"\n",
        );
        runner
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Publishes a release asset holding a `releasebot` that prints `text`, and its checksum.
    fn publish(&self, text: &str, checksum_of: Option<&[u8]>) {
        let staging = self.path("staging");
        std::fs::create_dir_all(&staging).unwrap();
        write_tool(
            &staging.join("releasebot"),
            &format!("#!/bin/sh\necho {text}\n"),
        );
        let asset = format!("releasebot-{TARGET}.tar.gz");
        let status = Command::new("tar")
            .args(["-czf"])
            .arg(self.path("release").join(&asset))
            .arg("-C")
            .arg(&staging)
            .arg("releasebot")
            .status()
            .unwrap();
        assert!(status.success());
        let bytes = std::fs::read(self.path("release").join(&asset)).unwrap();
        let digest = hex::encode(Sha256::digest(checksum_of.unwrap_or(&bytes)));
        std::fs::write(
            self.path("release/SHA256SUMS"),
            format!(
                "{digest}  {asset}\n{}  releasebot-aarch64-apple-darwin.tar.gz\n",
                "0".repeat(64)
            ),
        )
        .unwrap();
    }

    fn install(&self, os: &str, arch: &str, action_ref: &str) -> (i32, String, String) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install-action-binary.sh");
        let github_path = self.path("github_path");
        let output = Command::new("bash")
            .arg(&script)
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.path("tools").display()),
            )
            .env("RUNNER_OS_NAME", os)
            .env("RUNNER_ARCH_NAME", arch)
            .env("RUNNER_TEMP", self.path("temp"))
            .env("ACTION_REF", action_ref)
            .env("ACTION_REPOSITORY", "releasebot/releasebot")
            .env("GITHUB_ACTION_PATH", self.path("action"))
            .env("GITHUB_PATH", &github_path)
            .output()
            .unwrap();
        let installed = std::fs::read_to_string(&github_path).unwrap_or_default();
        let ran = match installed.lines().next() {
            Some(dir) => String::from_utf8(
                Command::new(Path::new(dir).join("releasebot"))
                    .output()
                    .unwrap()
                    .stdout,
            )
            .unwrap(),
            None => String::new(),
        };
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            ran.trim().to_string(),
        )
    }

    fn cargo_calls(&self) -> String {
        std::fs::read_to_string(self.path("temp/cargo-calls")).unwrap_or_default()
    }
}

fn write_tool(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn the_release_binary_is_installed_once_its_checksum_matches() {
    let runner = Runner::new();
    runner.publish("prebuilt", None);
    let (code, stdout, ran) = runner.install("Linux", "X64", "v0.1.0");
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("checksum verified"), "{stdout}");
    assert_eq!(ran, "prebuilt");
    assert_eq!(runner.cargo_calls(), "", "nothing built");
}

#[test]
fn a_binary_that_does_not_match_its_checksum_is_refused_not_replaced() {
    let runner = Runner::new();
    runner.publish("tampered", Some(b"what was published at first"));
    let (code, stdout, ran) = runner.install("Linux", "X64", "v0.1.0");
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("::error title=releasebot install::releasebot-x86_64-unknown-linux-musl.tar.gz of releasebot/releasebot@v0.1.0 does not match its SHA256SUMS entry"),
        "{stdout}"
    );
    assert_eq!(ran, "", "nothing installed");
    assert_eq!(runner.cargo_calls(), "", "and nothing built in its place");
}

#[test]
fn without_a_release_for_the_ref_or_the_platform_it_is_built_from_the_action_source() {
    let runner = Runner::new();
    runner.publish("prebuilt", None);

    let (code, stdout, ran) = runner.install("Linux", "X64", "main");
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("::notice title=releasebot install::no prebuilt releasebot"),
        "{stdout}"
    );
    assert_eq!(ran, "built");
    let action = runner.path("action");
    assert!(
        runner.cargo_calls().starts_with(&format!(
            "cargo install --locked --path {}",
            action.display()
        )),
        "{}",
        runner.cargo_calls()
    );

    let other = Runner::new();
    other.publish("prebuilt", None);
    let (code, _, ran) = other.install("Windows", "X64", "v0.1.0");
    assert_eq!((code, ran.as_str()), (0, "built"));
}
