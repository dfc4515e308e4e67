//! The base branch a release starts from: its head commit and some files in it.

use super::files::{selection, FilesTarget};
use super::objects::{ref_field, Ref, HEADS};
use super::Part;
use crate::github::prefetch::plan::FilesAt;
use crate::github::prefetch::Prefetched;

pub struct Base<'a>(pub &'a FilesAt);

impl Part for Base<'_> {
    const ALIAS: &'static str = "base";
    type Answer = Option<Ref<FilesTarget>>;

    fn field(&self) -> String {
        let name = format!("{HEADS}{}", self.0.at);
        ref_field(&name, &selection(&self.0.paths))
    }

    fn record(&self, answer: Option<Ref<FilesTarget>>, found: &mut Prefetched) {
        let short = format!("heads/{}", self.0.at);
        let Some(branch) = answer else {
            found.known.refs.insert(short, None);
            return;
        };
        let git_ref = branch.git_ref(HEADS);
        if let Some(files) = branch.target.files(&self.0.paths) {
            found.commits.insert(git_ref.object.sha.clone(), files);
        }
        found.known.refs.insert(short, Some(git_ref));
    }
}
