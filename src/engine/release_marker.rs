//! Facts kept in the draft release's body, where they live with the release itself: above all,
//! which images run is ours. Intent is written before a dispatch and the run id GitHub hands back
//! after it, so a crash in between never builds twice and a person's own run is never taken for
//! ours. The workflows after the tag (`[[step]]`) are recorded the same way, by name.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::domain::RunId;

const PREFIX: &str = "<!-- releasebot:release ";
const SUFFIX: &str = " -->";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseMarker {
    pub version: String,
    /// Written by releasebot before run ids were kept: the images were dispatched, run unknown.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dispatched: bool,
    /// The images build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<Dispatch>,
    /// Whether the build moves `latest`.
    #[serde(default)]
    pub latest: bool,
    /// `latest` was moved after publishing (the `on-publish` setting).
    #[serde(default)]
    pub promoted: bool,
    /// The dispatch that moves `latest` after publishing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion: Option<Dispatch>,
    /// The workflows after the tag (`[[step]]`), by name: each intent written before its
    /// dispatch, its run id after.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub steps: std::collections::BTreeMap<String, Dispatch>,
    /// The annotated tag object the release is on, and the commit it names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<TagPeel>,
}

/// An annotated tag object's id and the commit it names. An object's id is a hash of its
/// content, so a later job that finds the same object on the tag knows the commit without
/// reading the object; a tag moved to another object is read afresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagPeel {
    pub object: String,
    pub commit: String,
}

/// One dispatch of a workflow: intended at a time, then known by its run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispatch {
    /// When the intent was recorded (RFC 3339), before the dispatch was sent.
    pub intended_at: String,
    /// The run GitHub started for it, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunId>,
    /// Earlier runs of ours this dispatch replaces (a retry): never taken for the new one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub superseded: Vec<RunId>,
    /// GitHub accepted the dispatch; set when it named no run (an older server), so a run listed
    /// late is waited for rather than dispatched again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sent: bool,
    /// GitHub refused the dispatch (a workflow that is missing, or takes other inputs): no run
    /// was started, and why is shown until a person asks again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// Now, as the marker records intents.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Dispatch {
    pub fn intended(at: String) -> Dispatch {
        Dispatch {
            intended_at: at,
            run: None,
            superseded: Vec::new(),
            sent: false,
            refused: None,
        }
    }

    /// A new dispatch replacing this one's run (a retry after a failed build).
    pub fn again(&self, at: String) -> Dispatch {
        let mut superseded = self.superseded.clone();
        superseded.extend(self.run);
        Dispatch {
            intended_at: at,
            run: None,
            superseded,
            sent: false,
            refused: None,
        }
    }
}

/// A marker in a body that could not be read: never silently taken as "nothing done yet".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the draft release's releasebot marker cannot be read ({0}); restore it from the release's edit history, or delete the line to start the release's record afresh")]
pub struct UnreadableMarker(pub String);

impl ReleaseMarker {
    pub fn new(version: &str) -> ReleaseMarker {
        ReleaseMarker {
            version: version.to_string(),
            ..ReleaseMarker::default()
        }
    }

    pub fn line(&self) -> String {
        format!(
            "{PREFIX}{}{SUFFIX}",
            serde_json::to_string(self).expect("serialises")
        )
    }

    /// The marker in a body: `Ok(None)` when there is none.
    pub fn find_in(body: &str) -> Result<Option<ReleaseMarker>, UnreadableMarker> {
        match locate(body) {
            None => Ok(None),
            Some(range) => {
                serde_json::from_str(&body[range.start + PREFIX.len()..range.end - SUFFIX.len()])
                    .map(Some)
                    .map_err(|e| UnreadableMarker(e.to_string()))
            }
        }
    }

    /// The body with this marker in place of the one it had (by position, so whatever the old
    /// line's spelling, it is replaced), or appended when it had none.
    pub fn put_in(&self, body: &str) -> String {
        match locate(body) {
            Some(range) => format!(
                "{}{}{}",
                &body[..range.start],
                self.line(),
                &body[range.end..]
            ),
            None => format!("{}\n{}\n", body.trim_end(), self.line()),
        }
    }

    /// Whether the images build was dispatched (or is about to be, intent recorded).
    pub fn images_dispatched(&self) -> bool {
        self.dispatched || self.images.is_some()
    }
}

fn locate(body: &str) -> Option<Range<usize>> {
    let start = body.find(PREFIX)?;
    let end = start + PREFIX.len() + body[start + PREFIX.len()..].find(SUFFIX)? + SUFFIX.len();
    Some(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_round_trips_and_is_replaced_where_it_stands() {
        let mut marker = ReleaseMarker::new("0.1.3");
        marker.images = Some(Dispatch::intended("2026-11-25T10:00:00Z".into()));
        let body = format!("notes\n{}\nfooter\n", marker.line());
        assert_eq!(ReleaseMarker::find_in(&body), Ok(Some(marker.clone())));

        marker.images.as_mut().unwrap().run = Some(RunId(7));
        let updated = marker.put_in(&body);
        assert_eq!(updated, format!("notes\n{}\nfooter\n", marker.line()));
        assert_eq!(ReleaseMarker::find_in(&updated), Ok(Some(marker)));
    }

    /// An older release wrote the fields in another order and spelling: a string replace of the
    /// re-serialised line found nothing, and `promoted` was never saved.
    #[test]
    fn a_marker_written_differently_is_still_replaced() {
        let body = "text\n<!-- releasebot:release {\"latest\":false,\"version\":\"0.1.3\",\"dispatched\":true,\"promoted\":false} -->\n";
        let mut marker = ReleaseMarker::find_in(body).unwrap().unwrap();
        assert!(marker.images_dispatched());
        marker.promoted = true;
        let updated = marker.put_in(body);
        assert_eq!(updated.matches("releasebot:release").count(), 1);
        assert!(ReleaseMarker::find_in(&updated).unwrap().unwrap().promoted);
    }

    #[test]
    fn a_body_without_a_marker_gets_one_appended() {
        let marker = ReleaseMarker::new("0.1.3");
        assert_eq!(
            marker.put_in("notes\n\n"),
            format!("notes\n{}\n", marker.line())
        );
        assert_eq!(ReleaseMarker::find_in("notes"), Ok(None));
    }

    #[test]
    fn an_unreadable_marker_is_an_error_not_a_fresh_start() {
        let error = ReleaseMarker::find_in("<!-- releasebot:release {broken -->").unwrap_err();
        assert!(error.to_string().contains("cannot be read"), "{error}");
    }

    #[test]
    fn a_retry_remembers_the_runs_it_replaces() {
        let mut first = Dispatch::intended("t1".into());
        first.run = Some(RunId(5));
        let second = first.again("t2".into());
        assert_eq!(second.superseded, vec![RunId(5)]);
        assert_eq!(second.run, None);
        assert_eq!(second.intended_at, "t2");
    }
}
