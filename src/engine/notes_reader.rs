//! The release notes text for a link, wherever it points; the reason when it cannot be read.

use crate::github::RepoClient;
use crate::notes::{self, classify, gist_anchor_of, NotesPolicy, NotesSource};

/// Reads the notes at `link`; files of this repository are read at `tag`.
pub async fn read(
    gh: &RepoClient,
    link: &str,
    tag: &str,
    policy: &NotesPolicy,
) -> Result<String, String> {
    let repository = format!("{}/{}", gh.owner(), gh.name());
    let source = classify(link, &repository).map_err(|e| format!("{e}"))?;
    let text = match source {
        NotesSource::Web(url) => notes::fetch(&url, policy)
            .await
            .map_err(|e| format!("the notes at {url} could not be read: {e}"))?,
        NotesSource::RepoFile { path, git_ref } => {
            let at = git_ref.unwrap_or_else(|| tag.to_string());
            repo_file(gh, &path, &at, policy)
                .await?
                .ok_or_else(|| format!("`{path}` does not exist at `{at}`"))?
        }
        NotesSource::Gist { id, file } => read_gist(gh, &id, file.as_deref(), policy).await?,
    };
    Ok(notes::strip_front_matter(&text).to_string())
}

/// A file of this repository at a ref: `Ok(None)` when it is not there, an error when it cannot
/// be read or is larger than notes may be. Front matter is left for the caller to strip.
pub async fn repo_file(
    gh: &RepoClient,
    path: &str,
    at: &str,
    policy: &NotesPolicy,
) -> Result<Option<String>, String> {
    let Some(text) = gh
        .file_text(path, at)
        .await
        .map_err(|e| format!("`{path}` could not be read at `{at}`: {e}"))?
    else {
        return Ok(None);
    };
    if text.len() as u64 > policy.max_bytes {
        return Err(format!(
            "`{path}` is larger than {} bytes",
            policy.max_bytes
        ));
    }
    Ok(Some(text))
}

/// A gist's Markdown file: the one the link names, else its only Markdown file.
async fn read_gist(
    gh: &RepoClient,
    id: &str,
    wanted: Option<&str>,
    policy: &NotesPolicy,
) -> Result<String, String> {
    let files = gh
        .gist_files(id)
        .await
        .map_err(|e| format!("gist {id} could not be read: {e}"))?;
    let chosen: Vec<_> = match wanted {
        Some(anchor) => files
            .iter()
            .filter(|f| gist_anchor_of(&f.filename) == anchor)
            .collect(),
        None if files.len() == 1 => files.iter().collect(),
        None => files
            .iter()
            .filter(|f| f.filename.to_ascii_lowercase().ends_with(".md"))
            .collect(),
    };
    let [file] = chosen.as_slice() else {
        let names: Vec<&str> = files.iter().map(|f| f.filename.as_str()).collect();
        return Err(format!(
            "gist {id} has several files ({}): link the one with the notes (its `#file-…` address)",
            names.join(", ")
        ));
    };
    match (&file.content, file.truncated) {
        (Some(content), false) => Ok(content.clone()),
        // GitHub cuts long gist files short in the API; the raw form has them whole.
        _ => notes::fetch(&file.raw_url, policy)
            .await
            .map_err(|e| format!("gist file {} could not be read: {e}", file.filename)),
    }
}
