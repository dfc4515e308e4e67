//! The token's own login (`viewer`), asked for when the bot does not know it yet.

use super::objects::Actor;
use super::Part;
use crate::github::prefetch::Prefetched;

pub struct Viewer;

impl Part for Viewer {
    const ALIAS: &'static str = "viewer";
    type Answer = Option<Actor>;

    fn field(&self) -> String {
        "viewer { __typename login }".into()
    }

    fn record(&self, answer: Option<Actor>, found: &mut Prefetched) {
        found.viewer = answer.map(|actor| actor.user().login);
    }
}
