//! The manifest flow's `state`: a random value sent to GitHub with the manifest and expected
//! back on the redirect. A callback whose state is not the one we issued (a forged or replayed
//! redirect) converts nothing. The state is taken once, checked in constant time, and forgotten
//! after GitHub's one hour for the whole flow.
//!
//! One state serves every page this setup shows until it is used: showing the page again (a
//! reload, a second tab, a request another site makes the browser send) never pushes out the
//! state a person is about to come back with. It remembers the webhook URL of the manifest it
//! was last sent with, so the done page says what was registered.

use std::time::{Duration, Instant};

use rand::RngCore;

/// GitHub's limit for completing the manifest flow.
pub const LIFETIME: Duration = Duration::from_secs(3600);

#[derive(Default)]
pub struct States {
    /// The live state, when it was issued, and the webhook URL its page registers.
    current: Option<(String, Instant, String)>,
}

impl States {
    /// The state for a page showing a manifest with `webhook_url`: the live one, else a fresh
    /// one (256 random bits, hex).
    pub fn issue(&mut self, now: Instant, webhook_url: &str) -> String {
        self.forget_expired(now);
        let (state, _, registers) = self.current.get_or_insert_with(|| {
            let mut bytes = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            (hex::encode(bytes), now, String::new())
        });
        *registers = webhook_url.to_string();
        state.clone()
    }

    /// Whether `presented` is the state we issued, within the hour: the webhook URL its page
    /// registered. It cannot be used again.
    pub fn take(&mut self, presented: &str, now: Instant) -> Option<String> {
        self.forget_expired(now);
        let matches = self
            .current
            .as_ref()
            .is_some_and(|(state, ..)| same(state.as_bytes(), presented.as_bytes()));
        if !matches {
            return None;
        }
        self.current.take().map(|(_, _, registers)| registers)
    }

    /// Makes a taken state valid again (the conversion could not reach GitHub, so the same link
    /// may be tried again).
    pub fn put_back(&mut self, state: &str, webhook_url: &str, now: Instant) {
        self.current = Some((state.to_string(), now, webhook_url.to_string()));
    }

    fn forget_expired(&mut self, now: Instant) {
        if self
            .current
            .as_ref()
            .is_some_and(|(_, at, _)| now.saturating_duration_since(*at) >= LIFETIME)
        {
            self.current = None;
        }
    }
}

/// Equal bytes, in time that depends only on the lengths.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOOK: &str = "https://releasebot.example.org/webhook";

    #[test]
    fn a_state_we_issued_is_accepted_once() {
        let mut states = States::default();
        let now = Instant::now();
        let state = states.issue(now, HOOK);
        assert_eq!(state.len(), 64);
        assert_eq!(states.take(&state, now).as_deref(), Some(HOOK));
        assert!(states.take(&state, now).is_none(), "a state is taken once");
    }

    #[test]
    fn a_state_we_did_not_issue_or_that_is_too_old_is_refused() {
        let mut states = States::default();
        let now = Instant::now();
        let state = states.issue(now, HOOK);
        assert!(states.take("", now).is_none());
        assert!(
            states.take(&state[..63], now).is_none(),
            "a prefix is not the state"
        );
        assert!(states.take(&format!("{state}0"), now).is_none());
        assert!(
            states.take(&state, now + LIFETIME).is_none(),
            "older than an hour"
        );
    }

    /// Hundreds of pages shown (reloads, tabs, another site's requests) leave the person's
    /// state working; the last page shown says what is registered.
    #[test]
    fn showing_the_page_again_keeps_the_state_a_person_holds() {
        let mut states = States::default();
        let now = Instant::now();
        let held = states.issue(now, HOOK);
        for _ in 0..500 {
            assert_eq!(states.issue(now, "https://other.example/hook"), held);
        }
        states.issue(now, HOOK);
        assert_eq!(states.take(&held, now).as_deref(), Some(HOOK));
        let next = states.issue(now, HOOK);
        assert_ne!(next, held, "a used state is not handed out again");
    }

    #[test]
    fn comparison_needs_equal_bytes() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
    }
}
