//! The releases, drafts included, newest first.

use serde::Deserialize;

use super::objects::Connection;
use super::{Part, PAGE};
use crate::domain::ReleaseId;
use crate::github::models::Release;
use crate::github::prefetch::Prefetched;

pub struct Releases;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    database_id: ReleaseId,
    tag_name: String,
    name: Option<String>,
    description: Option<String>,
    is_draft: bool,
    is_prerelease: bool,
    url: String,
}

impl Part for Releases {
    const ALIAS: &'static str = "releases";
    type Answer = Option<Connection<Node>>;

    fn field(&self) -> String {
        format!(
            "releases(first: {PAGE}, orderBy: {{field: CREATED_AT, direction: DESC}}) {{ pageInfo {{ hasNextPage }} nodes {{ databaseId tagName name description isDraft isPrerelease url }} }}"
        )
    }

    fn record(&self, answer: Self::Answer, found: &mut Prefetched) {
        let Some(releases) = answer else { return };
        let complete = releases.page_info.ends();
        let items = releases.nodes.into_iter().map(Node::rest).collect();
        found.known.releases = Some((items, complete));
    }
}

impl Node {
    fn rest(self) -> Release {
        Release {
            id: self.database_id,
            tag_name: self.tag_name,
            name: self.name,
            body: self.description,
            draft: self.is_draft,
            prerelease: self.is_prerelease,
            html_url: self.url,
            // Not read by the query: a packaging draft is read whole before it is adopted.
            upload_url: String::new(),
            author: None,
            assets: Vec::new(),
            immutable: false,
        }
    }
}
