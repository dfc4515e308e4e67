//! Mathesar's release process, the configuration every repository gets without a file.

use std::collections::BTreeMap;

use super::*;

pub const INIT_PY_PATTERN: &str = r#"^__version__\s*=\s*["'](?P<version>[^"']+)["']"#;
pub const INSTALL_SH_PATTERN: &str = r#"^github_tag=\$\{1-"?(?P<version>[^"}]*)"?\}"#;
pub const INSTALL_SH_REPLACE: &str = r#"github_tag=${1-"{version}"}"#;
pub const MKDOCS_PATTERN: &str = r#"^\s*mathesar_version:\s*["']?(?P<version>[^"'\s]+)["']?"#;

pub const DEFAULT_ALLOWED_HOSTS: [&str; 6] = [
    "gist.github.com",
    "gist.githubusercontent.com",
    "raw.githubusercontent.com",
    "github.com",
    "hackmd.io",
    "docs.google.com",
];

impl Default for Config {
    fn default() -> Self {
        let template = |text| Template::free(text).expect("default template");
        let pattern = |text| Pattern::new(text).expect("default pattern");
        Config {
            base_branch: None,
            target_branch: None,
            branch: Template::for_ref("release/{version}").expect("default branch"),
            tag: Template::for_ref("{version}").expect("default tag"),
            pr_title: template("Release {version}"),
            pr_draft: false,
            pr_milestone: None,
            commit_message: template("Release {version}"),
            release_title: template("{version}"),
            release_notes: None,
            permission: RequiredPermission::Maintain,
            label: "release".into(),
            checklist: [
                "`install.sh` run on this commit",
                "Log in",
                "Create a schema",
                "Edit records",
                "Release notes linked",
            ]
            .map(String::from)
            .to_vec(),
            version_files: vec![
                VersionFile {
                    path: "mathesar/__init__.py".into(),
                    pattern: pattern(INIT_PY_PATTERN),
                    replace: None,
                    primary: true,
                    required: true,
                    multiple: false,
                },
                VersionFile {
                    path: "install.sh".into(),
                    pattern: pattern(INSTALL_SH_PATTERN),
                    replace: Some(template(INSTALL_SH_REPLACE)),
                    primary: false,
                    required: false,
                    multiple: false,
                },
                VersionFile {
                    path: "docs/mkdocs.yml".into(),
                    pattern: pattern(MKDOCS_PATTERN),
                    replace: None,
                    primary: false,
                    required: false,
                    multiple: false,
                },
            ],
            images: ImagesConfig {
                workflow: "release-images.yml".into(),
                latest: LatestPolicy::OnTag,
                platforms: vec!["linux/amd64".into(), "linux/arm64".into()],
                images: vec![
                    Image {
                        name: "mathesar/mathesar-caddy".into(),
                        dockerfile: "Dockerfile.caddy".into(),
                        build_args: BTreeMap::new(),
                    },
                    Image {
                        name: "mathesar/mathesar-prod".into(),
                        dockerfile: "Dockerfile".into(),
                        build_args: BTreeMap::from([(
                            "PYTHON_REQUIREMENTS".to_string(),
                            "requirements-prod.txt".to_string(),
                        )]),
                    },
                ],
            },
            smoke: SmokeConfig {
                workflow: "release-smoke.yml".into(),
                covers: [
                    "`install.sh` run on this commit",
                    "Log in",
                    "Create a schema",
                    "Edit records",
                ]
                .map(String::from)
                .to_vec(),
            },
            notes: NotesConfig {
                header: String::new(),
                footer: None,
                allowed_hosts: DEFAULT_ALLOWED_HOSTS.map(String::from).to_vec(),
                allowed_addresses: Vec::new(),
                max_bytes: 1024 * 1024,
                timeout_secs: 10,
                path: Some(
                    Template::with_version("docs/docs/releases/{version}.md")
                        .expect("default notes path"),
                ),
                generated: true,
                sync: NotesSync {
                    template: Some("docs/docs/releases/TEMPLATE.md".into()),
                    placeholder: "__VERSION__".into(),
                    heading: "(TO CATEGORIZE)".into(),
                    nav: Some(NotesNav {
                        file: "docs/mkdocs.yml".into(),
                        section: "Releases".into(),
                        previous: Some("Previous releases".into()),
                        page: Template::with_version("releases/{version}.md")
                            .expect("default notes page"),
                    }),
                    checklist_item: Some("Release notes linked".into()),
                },
            },
            announce: Vec::new(),
            merge_back: None,
            packaging: None,
            candidate: CandidatePattern::default(),
            steps: Vec::new(),
            publish: None,
        }
    }
}
