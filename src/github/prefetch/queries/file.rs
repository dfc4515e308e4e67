//! A file at a branch: the repository's configuration on its default branch.

use super::objects::{Object, BLOB};
use super::{lit, Part};
use crate::github::prefetch::plan::FileAt;
use crate::github::prefetch::Prefetched;

pub struct File<'a>(pub &'a FileAt);

impl Part for File<'_> {
    const ALIAS: &'static str = "file";
    type Answer = Option<Object>;

    fn field(&self) -> String {
        let expression = format!("{}:{}", self.0.rev, self.0.path);
        format!(
            "object(expression: {}) {{ __typename {BLOB} }}",
            lit(&expression)
        )
    }

    fn record(&self, answer: Option<Object>, found: &mut Prefetched) {
        let text = match answer {
            None => Some(None),
            Some(Object::Blob(blob)) => blob.text().map(Some),
            // A directory or a submodule: REST says what is wrong with it.
            Some(Object::Other) => None,
        };
        if let Some(text) = text {
            let at = (self.0.path.clone(), self.0.rev.clone());
            found.known.files.insert(at, text);
        }
    }
}
