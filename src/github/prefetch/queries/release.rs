//! One version's release branch and tag, with the statuses of the commit the tag is on.

use super::objects::{ref_field, Ref, Target, HEADS, TAGS};
use super::status::{statuses, STATUS};
use super::Part;
use crate::github::prefetch::plan::ReleaseNames;
use crate::github::prefetch::Prefetched;

pub struct Branch<'a>(pub &'a ReleaseNames);

impl Part for Branch<'_> {
    const ALIAS: &'static str = "branch";
    type Answer = Option<Ref<Target>>;

    fn field(&self) -> String {
        ref_field(&format!("{HEADS}{}", self.0.branch), "__typename oid")
    }

    fn record(&self, answer: Option<Ref<Target>>, found: &mut Prefetched) {
        let git_ref = answer.map(|branch| branch.git_ref(HEADS));
        let short = format!("heads/{}", self.0.branch);
        found.known.refs.insert(short, git_ref);
    }
}

pub struct Tag<'a>(pub &'a ReleaseNames);

impl Part for Tag<'_> {
    const ALIAS: &'static str = "tag";
    type Answer = Option<Ref<Target>>;

    fn field(&self) -> String {
        // The commit's statuses, whether the tag is a lightweight or an annotated one.
        let target = format!(
            "__typename oid {STATUS} ... on Tag {{ name target {{ __typename oid {STATUS} }} }}"
        );
        ref_field(&format!("{TAGS}{}", self.0.tag), &target)
    }

    fn record(&self, answer: Option<Ref<Target>>, found: &mut Prefetched) {
        let short = format!("tags/{}", self.0.tag);
        let Some(tag) = answer else {
            found.known.refs.insert(short, None);
            return;
        };
        if let Some(object) = tag.target.tag_object() {
            found.tag_objects.insert(object.sha.clone(), object);
        }
        let commit = tag.target.peeled();
        let statuses = statuses(commit.status.as_ref());
        found.known.statuses.insert(self.0.tag.clone(), statuses);
        let git_ref = tag.git_ref(TAGS);
        found.known.refs.insert(short, Some(git_ref));
    }
}
