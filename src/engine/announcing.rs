//! Announcing the published release where the configuration says (`[[announce]]`), each place
//! once: the intent is in the status comment before the post, the result after it. Which
//! announcements are due is decided here from that record; `announce::send` posts.

use super::context::Context;
use super::conversation::StatusComment;
use super::outcome::EngineError;
use super::progress::Progress;
use super::tracking;
use crate::announce::{send, Channel, Facts, SendError};
use crate::config::Announcement;
use crate::status::{AnnounceState, AnnouncementRecord};

/// What to do about one configured announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Send,
    /// An earlier job stopped between the intent and the answer: the message may be out, and
    /// sending it again could post it twice.
    MayBeOut,
    Keep,
}

/// From the record of earlier attempts: never attempted → send; stopped mid-post → send again
/// only to Matrix (its transaction id keeps one message), else say it may be out; failed →
/// send again on `/release retry`; posted or maybe posted → leave.
pub fn decide(channel: &Channel, record: Option<&AnnounceState>, retry: bool) -> Decision {
    match record {
        None => Decision::Send,
        Some(AnnounceState::Sending) if matches!(channel, Channel::Matrix { .. }) => Decision::Send,
        Some(AnnounceState::Sending) => Decision::MayBeOut,
        Some(AnnounceState::Failed { .. }) if retry => Decision::Send,
        Some(_) => Decision::Keep,
    }
}

/// Announces the published release on `tag` (at `release_url`) wherever it is due, recording
/// each in the status comment. Returns how many were posted now.
pub async fn run(
    ctx: &Context<'_>,
    (version, tag, release_url): (&semver::Version, &str, &str),
    status: &mut StatusComment,
    progress: &Progress,
    retry: bool,
) -> Result<usize, EngineError> {
    let facts = Facts {
        repository: ctx.repository.full_name.clone(),
        version: version.to_string(),
        tag: tag.to_string(),
        release_url: release_url.to_string(),
        notes_url: status.marker.notes_url.clone().unwrap_or_default(),
    };
    let mut posted = 0;
    let mut changed = false;
    for announcement in &ctx.config.announce {
        let record = status
            .marker
            .announced
            .iter()
            .find(|r| r.name == announcement.name)
            .map(|r| r.state.clone());
        match decide(&announcement.channel, record.as_ref(), retry) {
            Decision::Keep => continue,
            Decision::MayBeOut => {
                set(status, announcement, None, AnnounceState::Unknown {
                    reason: "an earlier attempt stopped mid-post, so it may have been posted; check the channel and post it by hand if it is missing".into(),
                });
                changed = true;
            }
            Decision::Send => {
                if announce_one(ctx, announcement, &facts, status, progress).await? {
                    posted += 1;
                }
                changed = true;
            }
        }
    }
    if changed {
        tracking::refresh(ctx.gh, ctx.config, ctx.repository, status, progress).await?;
    }
    Ok(posted)
}

/// One announcement: intent recorded (and shown) first, then the post, then its result.
async fn announce_one(
    ctx: &Context<'_>,
    announcement: &Announcement,
    facts: &Facts,
    status: &mut StatusComment,
    progress: &Progress,
) -> Result<bool, EngineError> {
    let env = &ctx.announce.env;
    let target = match announcement.channel.resolve(|name| env.get(name).cloned()) {
        Ok(target) => target,
        Err(problem) => {
            let reason = format!("{problem}: set it where releasebot runs");
            set(status, announcement, None, AnnounceState::Failed { reason });
            return Ok(false);
        }
    };
    let shown = target.shown();
    set(status, announcement, Some(&shown), AnnounceState::Sending);
    tracking::refresh(ctx.gh, ctx.config, ctx.repository, status, progress).await?;
    let text = announcement.message.render(facts);
    let txn = announcement
        .channel
        .transaction(&announcement.name, &facts.repository, &facts.tag);
    let sent = send(
        &ctx.announce.client,
        &target,
        (&text, facts, &txn),
        ctx.announce.retry,
    )
    .await;
    let state = match &sent {
        Ok(_) => AnnounceState::Sent,
        Err(error @ SendError::Unknown { .. }) => AnnounceState::Unknown {
            reason: error.to_string(),
        },
        Err(error) => AnnounceState::Failed {
            reason: error.to_string(),
        },
    };
    if let Err(error) = &sent {
        tracing::warn!(announcement = %announcement.name, %error, "announcement not posted");
    }
    set(status, announcement, Some(&shown), state);
    Ok(sent.is_ok())
}

fn set(
    status: &mut StatusComment,
    announcement: &Announcement,
    target: Option<&str>,
    state: AnnounceState,
) {
    let records = &mut status.marker.announced;
    let target = target
        .map(str::to_string)
        .unwrap_or_else(|| announcement.channel.kind().to_string());
    match records.iter_mut().find(|r| r.name == announcement.name) {
        Some(record) => {
            record.state = state;
            record.target = target;
        }
        None => records.push(AnnouncementRecord {
            name: announcement.name.clone(),
            target,
            state,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slack() -> Channel {
        Channel::Slack {
            url_env: "RELEASEBOT_ANNOUNCE_SLACK".into(),
        }
    }

    fn matrix() -> Channel {
        Channel::Matrix {
            homeserver: "https://matrix.org".into(),
            room: "!r:matrix.org".into(),
            token_env: "RELEASEBOT_ANNOUNCE_MATRIX".into(),
        }
    }

    #[test]
    fn each_announcement_is_sent_once_and_again_only_where_that_cannot_post_it_twice() {
        let failed = AnnounceState::Failed {
            reason: "500".into(),
        };
        let unknown = AnnounceState::Unknown {
            reason: "timed out".into(),
        };
        #[rustfmt::skip]
        let rows: &[(Channel, Option<&AnnounceState>, bool, Decision)] = &[
            (slack(), None, false, Decision::Send),
            (slack(), Some(&AnnounceState::Sent), false, Decision::Keep),
            (slack(), Some(&AnnounceState::Sent), true, Decision::Keep),
            (slack(), Some(&failed), false, Decision::Keep),
            (slack(), Some(&failed), true, Decision::Send),
            (slack(), Some(&unknown), true, Decision::Keep),
            (slack(), Some(&AnnounceState::Sending), false, Decision::MayBeOut),
            (matrix(), Some(&AnnounceState::Sending), false, Decision::Send),
            (matrix(), Some(&unknown), true, Decision::Keep),
        ];
        for (channel, record, retry, expected) in rows {
            assert_eq!(
                &decide(channel, *record, *retry),
                expected,
                "{} {record:?} retry={retry}",
                channel.kind()
            );
        }
    }
}
