//! Connections as GitHub pages them: a slice by `first`/`after` or `last`/`before`, with
//! opaque cursors. The bounds themselves are checked before execution (`pagination`).

use super::{Answer, Kind, Node, Page};
use crate::graphql::execute::{Args, FieldError, Resolved};

impl<'w> Node<'w> {
    /// One page by `first`/`after` or `last`/`before`.
    pub(super) fn connection(
        &self,
        type_name: &'static str,
        items: Vec<Node<'w>>,
        args: &Args,
    ) -> Answer<'w> {
        // Bounds were checked before execution (`pagination`).
        let (first, last) = (args.int("first"), args.int("last"));
        let total = items.len();
        let mut start = 0;
        let mut end = total;
        for (argument, bound) in [("after", &mut start), ("before", &mut end)] {
            if let Some(cursor) = args.str(argument) {
                let Some(index) = decode_cursor(cursor) else {
                    return Err(FieldError::Refused {
                        kind: "INVALID_CURSOR_ARGUMENTS",
                        message: format!("`{cursor}` does not appear to be a valid cursor."),
                    });
                };
                *bound = if argument == "after" {
                    (index + 1).min(total)
                } else {
                    index.min(total)
                };
            }
        }
        end = end.max(start);
        if let Some(n) = first {
            end = end.min(start + n.max(0) as usize);
        }
        if let Some(n) = last {
            start = start.max(end.saturating_sub(n.max(0) as usize));
        }
        let edges = items
            .into_iter()
            .enumerate()
            .skip(start)
            .take(end - start)
            .map(|(index, node)| (encode_cursor(index), node))
            .collect();
        Ok(Resolved::Object(self.with(Kind::Connection {
            type_name,
            page: Page {
                edges,
                total,
                has_next: end < total,
                has_previous: start > 0,
            },
        })))
    }
}

pub(super) fn edge_type(connection: &str) -> &'static str {
    match connection {
        "RefConnection" => "RefEdge",
        "PullRequestConnection" => "PullRequestEdge",
        "ReleaseConnection" => "ReleaseEdge",
        "IssueCommentConnection" => "IssueCommentEdge",
        _ => "CommitEdge",
    }
}

fn encode_cursor(index: usize) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("cursor:v2:{index}"))
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cursor)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("cursor:v2:")?
        .parse()
        .ok()
}
