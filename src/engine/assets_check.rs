//! Whether a release's packaged assets may be called ready, decided from the assets alone: the
//! configured ones are all there, the one that installs the release names its version (Mathesar
//! once shipped 0.10.0 whose files still said 0.9.0), and the `SHA256SUMS` text to add when the
//! packaging made none. Pure: the assets are read and written by the caller.

use semver::Version;
use sha2::{Digest, Sha256};

use crate::config::PackagingConfig;

/// One asset as downloaded: its name and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packaged {
    pub name: String,
    pub data: Vec<u8>,
}

/// Why the assets are not ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssetProblem {
    /// These configured assets are not on the draft.
    Missing(Vec<String>),
    /// The asset that must name the version does not; the versions it names instead.
    WrongVersion { asset: String, names: Vec<String> },
}

impl std::fmt::Display for AssetProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AssetProblem::Missing(names) => {
                let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                write!(f, "missing: {}", names.join(", "))
            }
            AssetProblem::WrongVersion { asset, names } if names.is_empty() => {
                write!(f, "`{asset}` names no version")
            }
            AssetProblem::WrongVersion { asset, names } => {
                write!(f, "`{asset}` names {}", names.join(", "))
            }
        }
    }
}

/// What is wrong with the assets for a release of one of the `accepted` versions (a QA
/// candidate's assets may name the candidate or the release it tests); empty when ready.
pub fn problems(
    config: &PackagingConfig,
    accepted: &[Version],
    assets: &[Packaged],
) -> Vec<AssetProblem> {
    let has = |name: &str| assets.iter().any(|a| a.name == name);
    let missing: Vec<String> = config
        .assets
        .iter()
        .filter(|name| !has(name))
        .cloned()
        .collect();
    let mut found = Vec::new();
    if !missing.is_empty() {
        found.push(AssetProblem::Missing(missing));
    }
    let checked = config
        .version_asset
        .as_ref()
        .and_then(|name| assets.iter().find(|a| a.name == *name));
    if let Some(asset) = checked {
        let text = String::from_utf8_lossy(&asset.data);
        let named = versions_named(&text);
        if !accepted.iter().any(|v| named.contains(&v.to_string())) {
            found.push(AssetProblem::WrongVersion {
                asset: asset.name.clone(),
                names: named,
            });
        }
    }
    found
}

/// Every version (`1.2.3`, `1.2.3-rc.1`) a text names, once each, in order; not a part of a
/// longer one (`0.1.1` is not named by `0.1.10` nor by `1.0.1.1`).
fn versions_named(text: &str) -> Vec<String> {
    let pattern = regex::Regex::new(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]*[0-9A-Za-z])?")
        .expect("a valid pattern");
    let bytes = text.as_bytes();
    let part_of_a_word = |b: u8| b.is_ascii_alphanumeric() || b == b'.';
    let mut named: Vec<String> = Vec::new();
    for found in pattern.find_iter(text) {
        // A `v` prefix is allowed (`v1.2.3`), any other word character or dot before is not.
        let before = text[..found.start()]
            .strip_suffix('v')
            .unwrap_or(&text[..found.start()]);
        let clean_before = before.bytes().last().is_none_or(|b| !part_of_a_word(b));
        let after = &bytes[found.end()..];
        let clean_after = match after {
            [] => true,
            [b'.', next, ..] => !next.is_ascii_digit(),
            [b, ..] => !part_of_a_word(*b) || *b == b'.',
        };
        let value = found.as_str().to_string();
        if clean_before && clean_after && Version::parse(&value).is_ok() && !named.contains(&value)
        {
            named.push(value);
        }
    }
    named
}

/// Whether a `SHA256SUMS` asset should be added: asked for, and the packaging made none.
pub fn needs_checksums(config: &PackagingConfig, assets: &[Packaged]) -> bool {
    config.checksums && !assets.iter().any(|a| a.name == PackagingConfig::CHECKSUMS)
}

/// The `SHA256SUMS` text for the assets, as `sha256sum` writes it (hash, two spaces, name),
/// sorted by name so the same assets always give the same file.
pub fn sha256sums(assets: &[Packaged]) -> String {
    let mut lines: Vec<(String, String)> = assets
        .iter()
        .filter(|a| a.name != PackagingConfig::CHECKSUMS)
        .map(|a| (a.name.clone(), hex::encode(Sha256::digest(&a.data))))
        .collect();
    lines.sort();
    lines
        .into_iter()
        .map(|(name, hash)| format!("{hash}  {name}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mathesar() -> PackagingConfig {
        PackagingConfig {
            workflow: "create-draft-release.yml".into(),
            made_by: "github-actions[bot]".into(),
            assets: vec!["install.sh".into(), "mathesar.tar.gz".into()],
            version_asset: Some("install.sh".into()),
            checksums: true,
        }
    }

    fn asset(name: &str, text: &str) -> Packaged {
        Packaged {
            name: name.into(),
            data: text.as_bytes().to_vec(),
        }
    }

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn assets_that_are_all_there_and_name_the_version_are_ready() {
        let assets = [
            asset("install.sh", "#!/bin/sh\nmathesar_version=\"0.10.0\"\n"),
            asset("mathesar.tar.gz", "bytes"),
        ];
        assert_eq!(problems(&mathesar(), &[v("0.10.0")], &assets), vec![]);
    }

    #[test]
    fn a_missing_asset_is_named() {
        let assets = [asset("install.sh", "0.2.1")];
        assert_eq!(
            problems(&mathesar(), &[v("0.2.1")], &assets),
            vec![AssetProblem::Missing(vec!["mathesar.tar.gz".into()])]
        );
        assert_eq!(
            AssetProblem::Missing(vec!["mathesar.tar.gz".into()]).to_string(),
            "missing: `mathesar.tar.gz`"
        );
    }

    /// Mathesar's 0.10.0, whose files still said 0.9.0.
    #[test]
    fn an_install_script_naming_another_version_is_refused_with_what_it_names() {
        let assets = [
            asset(
                "install.sh",
                "# Installs Mathesar 0.9.0\nmathesar_version=\"0.9.0\"\n",
            ),
            asset("mathesar.tar.gz", "0.10.0"),
        ];
        let found = problems(&mathesar(), &[v("0.10.0")], &assets);
        assert_eq!(
            found,
            vec![AssetProblem::WrongVersion {
                asset: "install.sh".into(),
                names: vec!["0.9.0".into()],
            }]
        );
        assert_eq!(found[0].to_string(), "`install.sh` names 0.9.0");
    }

    #[test]
    fn a_version_inside_a_longer_one_is_not_the_version() {
        assert_eq!(versions_named("v0.1.10 and 10.1.1"), ["0.1.10", "10.1.1"]);
        assert_eq!(versions_named("version 0.2.0-rc.1."), ["0.2.0-rc.1"]);
        assert_eq!(
            versions_named("1.2.3.4 is no version"),
            Vec::<String>::new()
        );
        let script = [asset("install.sh", "mathesar_version=0.1.10\n")];
        let config = PackagingConfig {
            assets: vec!["install.sh".into()],
            ..mathesar()
        };
        assert_eq!(problems(&config, &[v("0.1.1")], &script).len(), 1);
    }

    #[test]
    fn checksums_are_sha256sum_lines_sorted_by_name_without_their_own_file() {
        let assets = [
            asset("mathesar.tar.gz", "b"),
            asset("install.sh", "a"),
            asset("SHA256SUMS", "old"),
        ];
        assert_eq!(
            sha256sums(&assets),
            "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb  install.sh\n\
             3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d  mathesar.tar.gz\n"
        );
        assert!(!needs_checksums(&mathesar(), &assets));
        assert!(needs_checksums(&mathesar(), &assets[..2]));
        let off = PackagingConfig {
            checksums: false,
            ..mathesar()
        };
        assert!(!needs_checksums(&off, &assets[..2]));
    }
}
