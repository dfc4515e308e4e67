//! Every tag, with the object an annotated one names, so no tag needs another read.

use super::objects::{Connection, Lenient, Ref, Target, TAGS};
use super::{lit, Part, PAGE};
use crate::github::prefetch::Prefetched;

pub struct Tags;

impl Part for Tags {
    const ALIAS: &'static str = "tags";
    /// A tag that does not read is left out, and the list is then not all of them.
    type Answer = Option<Connection<Lenient<Ref<Target>>>>;

    fn field(&self) -> String {
        format!(
            "refs(refPrefix: {}, first: {PAGE}) {{ pageInfo {{ hasNextPage }} nodes {{ name target {{ __typename oid ... on Tag {{ name target {{ __typename oid }} }} }} }} }}",
            lit(TAGS)
        )
    }

    fn record(&self, answer: Self::Answer, found: &mut Prefetched) {
        let Some(tags) = answer else { return };
        let mut refs = Vec::new();
        let mut all_read = tags.page_info.ends();
        for Lenient(tag) in tags.nodes {
            let Some(tag) = tag else {
                all_read = false;
                continue;
            };
            if let Some(object) = tag.target.tag_object() {
                found.tag_objects.insert(object.sha.clone(), object);
            }
            let git_ref = tag.git_ref(TAGS);
            let short = git_ref.name.trim_start_matches("refs/").to_string();
            found.known.refs.insert(short, Some(git_ref.clone()));
            refs.push(git_ref);
        }
        if all_read {
            // GitHub's REST listing is in ref-name order.
            refs.sort_by(|a, b| a.name.cmp(&b.name));
            found.known.tags = Some(refs);
        }
    }
}
