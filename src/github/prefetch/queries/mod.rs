//! The one query, as a list of parts. Each part (a file here) holds the text it asks GitHub
//! for beside the serde types its answer is read into, and names the alias its answer comes
//! back under once, as `Part::ALIAS`: the query is written from the list and the answer read
//! by the same list, so text and decoder cannot disagree about where an answer is.

mod base;
mod comments;
mod commit;
mod file;
mod files;
mod objects;
mod pulls;
mod release;
mod releases;
mod status;
mod tags;
mod viewer;

use serde::de::DeserializeOwned;

#[cfg(test)]
pub(super) use files::alias as file_alias;
pub(super) use viewer::Viewer;

use super::plan::ReadPlan;
use super::Prefetched;

/// GitHub answers at most this many items per connection; longer lists are read over REST.
pub const PAGE: u32 = 100;

/// The field the repository's parts sit in, at the top of the query and of its answer.
pub(super) const REPOSITORY: &str = "repository";

/// One part of the query.
pub(super) trait Part {
    /// What the part is asked for as, so its answer is found under it.
    const ALIAS: &'static str;
    /// The answer under the alias, as GitHub's schema shapes it.
    type Answer: DeserializeOwned;
    /// The field the alias names, with its selection.
    fn field(&self) -> String;
    /// Keeps what the answer settles; what it leaves in doubt is left to REST.
    fn record(&self, answer: Self::Answer, found: &mut Prefetched);
}

/// Something done with each part of a plan: writing its text, reading its answer.
pub(super) trait Parts {
    fn part<P: Part>(&mut self, part: P);
}

/// Every part of the repository `plan` asks for, in the query's order. `owner` is the
/// repository's: a pull request is listed only from a branch in one of its repositories.
pub(super) fn each_part(plan: &ReadPlan, owner: &str, parts: &mut impl Parts) {
    if let Some(at) = &plan.file {
        parts.part(file::File(at));
    }
    if let Some(at) = &plan.base {
        parts.part(base::Base(at));
    }
    if plan.tags {
        parts.part(tags::Tags);
    }
    if let Some(names) = &plan.release {
        parts.part(release::Branch(names));
        parts.part(release::Tag(names));
        parts.part(pulls::Pulls { names, owner });
    }
    if plan.releases {
        parts.part(releases::Releases);
    }
    if let Some(number) = plan.comments {
        parts.part(comments::Comments(number));
    }
    if let Some(at) = &plan.commit {
        parts.part(commit::Commit(at));
    }
}

/// A part's line of the query.
fn line<P: Part>(part: &P, indent: &str) -> String {
    format!("{indent}{}: {}\n", P::ALIAS, part.field())
}

/// The query's text, the lines of the parts asked for.
#[derive(Default)]
struct Text(String);

impl Parts for Text {
    fn part<P: Part>(&mut self, part: P) {
        self.0 += &line(&part, "    ");
    }
}

impl ReadPlan {
    /// The query for `owner/name`. Values are written as GraphQL string literals (JSON's
    /// escaping is a subset of GraphQL's), so a path or branch name cannot change the query.
    pub fn query(&self, owner: &str, name: &str) -> String {
        let mut q = String::from("query {\n");
        if self.viewer {
            q += &line(&Viewer, "  ");
        }
        let mut repo = Text::default();
        each_part(self, owner, &mut repo);
        if !repo.0.is_empty() {
            q += &format!(
                "  {REPOSITORY}: repository(owner: {}, name: {}) {{\n{}  }}\n",
                lit(owner),
                lit(name),
                repo.0
            );
        }
        q.push('}');
        q
    }
}

/// A GraphQL string literal.
fn lit(value: &str) -> String {
    serde_json::Value::String(value.to_string()).to_string()
}

#[cfg(test)]
mod tests;
