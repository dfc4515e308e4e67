//! A repository to start from: the files of a local directory, and tags on that first commit.

use std::path::Path;

use super::git::{MODE_EXECUTABLE, MODE_FILE};

#[derive(Debug, Clone)]
pub struct RepoSeed {
    pub full_name: String,
    pub default_branch: String,
    /// (path, content, mode)
    pub files: Vec<(String, Vec<u8>, String)>,
    pub tags: Vec<String>,
    pub private: bool,
}

impl RepoSeed {
    /// Reads every file below `dir` (skipping `.git`); the executable bit becomes mode 100755.
    pub fn from_dir(
        full_name: &str,
        default_branch: &str,
        dir: &Path,
    ) -> std::io::Result<RepoSeed> {
        if !full_name.contains('/') {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("`{full_name}` is not of the form owner/name"),
            ));
        }
        let mut files = Vec::new();
        read_dir(dir, dir, &mut files)?;
        files.sort();
        Ok(RepoSeed {
            full_name: full_name.to_string(),
            default_branch: default_branch.to_string(),
            files,
            tags: vec![],
            private: false,
        })
    }

    pub fn with_tags<S: Into<String>>(mut self, tags: impl IntoIterator<Item = S>) -> Self {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    pub fn private(mut self, private: bool) -> Self {
        self.private = private;
        self
    }
}

fn read_dir(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, Vec<u8>, String)>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_name() == ".git" {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            read_dir(root, &path, out)?;
        } else if kind.is_file() {
            let relative = path
                .strip_prefix(root)
                .map_err(std::io::Error::other)?
                .to_string_lossy()
                .replace('\\', "/");
            out.push((relative, std::fs::read(&path)?, mode_of(&entry.metadata()?)));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn mode_of(metadata: &std::fs::Metadata) -> String {
    use std::os::unix::fs::PermissionsExt;
    if metadata.permissions().mode() & 0o111 != 0 {
        MODE_EXECUTABLE.to_string()
    } else {
        MODE_FILE.to_string()
    }
}

#[cfg(not(unix))]
fn mode_of(_: &std::fs::Metadata) -> String {
    MODE_FILE.to_string()
}
