//! Where a pasted notes link really points: the raw Markdown form of each place teams write
//! notes (a gist, a wiki page, a file in a repository, HackMD/CodiMD/HedgeDoc, Google Docs), so
//! the bot reads Markdown, not the web page around it. Pure: no network.

use super::NotesError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotesSource {
    /// Fetched over HTTPS from this address.
    Web(String),
    /// A file of this repository, read through the API at `git_ref` (the release tag if none).
    RepoFile {
        path: String,
        git_ref: Option<String>,
    },
    /// A gist, read through the API; `file` is the one named by the link's `#file-…` anchor.
    Gist { id: String, file: Option<String> },
}

/// `repository` is this repository's `owner/name`.
pub fn classify(input: &str, repository: &str) -> Result<NotesSource, NotesError> {
    let input = input.trim().trim_start_matches('<').trim_end_matches('>');
    if !input.contains("://") {
        return repo_path(input);
    }
    let url = url::Url::parse(input).map_err(|_| NotesError::NotAUrl(input.to_string()))?;
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|p| !p.is_empty()).collect())
        .unwrap_or_default();
    let https = |text: String| Ok(NotesSource::Web(text));
    match (host.as_str(), segments.as_slice()) {
        ("github.com", [owner, repo, "blob", git_ref, path @ ..]) if !path.is_empty() => {
            let path = path.join("/");
            if format!("{owner}/{repo}").eq_ignore_ascii_case(repository) {
                Ok(NotesSource::RepoFile {
                    path,
                    git_ref: Some(git_ref.to_string()),
                })
            } else {
                https(format!(
                    "https://raw.githubusercontent.com/{owner}/{repo}/{git_ref}/{path}"
                ))
            }
        }
        ("github.com", [owner, repo, "wiki", page @ ..]) => {
            let page = if page.is_empty() {
                "Home".to_string()
            } else {
                page.join("/")
            };
            https(format!(
                "https://raw.githubusercontent.com/wiki/{owner}/{repo}/{page}.md"
            ))
        }
        ("gist.github.com", [_, id]) | ("gist.github.com", [id]) => {
            let file = url.fragment().and_then(anchor_file);
            Ok(NotesSource::Gist {
                id: id.to_string(),
                file,
            })
        }
        ("docs.google.com", ["document", "d", id, ..]) => https(format!(
            "https://docs.google.com/document/d/{id}/export?format=md"
        )),
        (host, [id]) | (host, ["s", id]) if is_hackmd_like(host) && *id != "download" => {
            let mut download = url.clone();
            download.set_fragment(None);
            download.set_query(None);
            download.set_path(&format!("{}/download", url.path().trim_end_matches('/')));
            https(download.to_string())
        }
        _ => https(url.to_string()),
    }
}

/// HackMD and its open-source siblings CodiMD and HedgeDoc serve Markdown at `<note>/download`.
fn is_hackmd_like(host: &str) -> bool {
    host == "hackmd.io" || host.contains("codimd") || host.contains("hedgedoc")
}

/// GitHub names gist files in anchors as `file-<name with . and _ as ->`; matched later against
/// the real names the same way.
fn anchor_file(fragment: &str) -> Option<String> {
    fragment.strip_prefix("file-").map(str::to_string)
}

/// The anchor form of a gist file name, to compare with `anchor_file`.
pub fn gist_anchor_of(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

fn repo_path(input: &str) -> Result<NotesSource, NotesError> {
    let path = input.trim_start_matches("./");
    let valid = !path.is_empty()
        && !path.starts_with('/')
        && !path.contains(char::is_whitespace)
        && path.split('/').all(|part| !part.is_empty() && part != "..");
    if !valid {
        return Err(NotesError::NotAUrl(input.to_string()));
    }
    Ok(NotesSource::RepoFile {
        path: path.to_string(),
        git_ref: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPO: &str = "centerofci/mathesar";

    fn web(input: &str) -> String {
        match classify(input, REPO).unwrap() {
            NotesSource::Web(url) => url,
            other => panic!("expected a web source, got {other:?}"),
        }
    }

    #[test]
    fn a_file_of_this_repository_is_read_through_the_api() {
        assert_eq!(
            classify(
                "https://github.com/centerofci/mathesar/blob/master/docs/docs/releases/0.1.3.md",
                REPO
            )
            .unwrap(),
            NotesSource::RepoFile {
                path: "docs/docs/releases/0.1.3.md".into(),
                git_ref: Some("master".into())
            }
        );
        assert_eq!(
            classify("docs/docs/releases/0.1.3.md", REPO).unwrap(),
            NotesSource::RepoFile {
                path: "docs/docs/releases/0.1.3.md".into(),
                git_ref: None
            }
        );
        assert!(classify("../secrets", REPO).is_err());
    }

    #[test]
    fn other_repositories_and_wikis_become_raw_addresses() {
        assert_eq!(
            web("https://github.com/other/repo/blob/v1/NOTES.md"),
            "https://raw.githubusercontent.com/other/repo/v1/NOTES.md"
        );
        assert_eq!(
            web("https://github.com/centerofci/mathesar/wiki/Release-0.1.3"),
            "https://raw.githubusercontent.com/wiki/centerofci/mathesar/Release-0.1.3.md"
        );
    }

    #[test]
    fn hackmd_codimd_and_hedgedoc_use_the_download_form() {
        assert_eq!(
            web("https://hackmd.io/AbCdEf123?view"),
            "https://hackmd.io/AbCdEf123/download"
        );
        assert_eq!(
            web("https://hedgedoc.example.org/s/xyz#top"),
            "https://hedgedoc.example.org/s/xyz/download"
        );
        assert_eq!(
            web("https://hackmd.io/AbCdEf123/download"),
            "https://hackmd.io/AbCdEf123/download"
        );
    }

    #[test]
    fn google_docs_use_the_markdown_export() {
        assert_eq!(
            web("https://docs.google.com/document/d/1AbC-xyz_9/edit?usp=sharing"),
            "https://docs.google.com/document/d/1AbC-xyz_9/export?format=md"
        );
    }

    #[test]
    fn gists_name_the_file_from_the_anchor() {
        assert_eq!(
            classify(
                "https://gist.github.com/kgodey/0123abcd#file-notes-0-1-3-md",
                REPO
            )
            .unwrap(),
            NotesSource::Gist {
                id: "0123abcd".into(),
                file: Some("notes-0-1-3-md".into())
            }
        );
        assert_eq!(gist_anchor_of("Notes_0.1.3.md"), "notes-0-1-3-md");
    }

    #[test]
    fn any_other_address_is_fetched_as_given() {
        assert_eq!(
            web("https://example.org/notes.md"),
            "https://example.org/notes.md"
        );
    }
}
