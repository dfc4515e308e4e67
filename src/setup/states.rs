//! The manifest flow's `state`: a random value per page shown, sent to GitHub with the manifest
//! and expected back on the redirect. A callback whose state is not one we issued (a forged or
//! replayed redirect) converts nothing. Each state is taken once, checked in constant time, and
//! forgotten after GitHub's one hour for the whole flow.

use std::time::{Duration, Instant};

use rand::RngCore;

/// GitHub's limit for completing the manifest flow.
pub const LIFETIME: Duration = Duration::from_secs(3600);
/// States kept at once; the oldest go first (someone reloading the page a hundred times).
const KEPT: usize = 64;

#[derive(Default)]
pub struct States {
    issued: Vec<(String, Instant)>,
}

impl States {
    /// A fresh state: 256 random bits, hex.
    pub fn issue(&mut self, now: Instant) -> String {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let state = hex::encode(bytes);
        self.forget_expired(now);
        if self.issued.len() >= KEPT {
            self.issued.remove(0);
        }
        self.issued.push((state.clone(), now));
        state
    }

    /// Whether `presented` is a state we issued within the hour; it cannot be used again.
    /// Every issued state is compared, each in constant time.
    pub fn take(&mut self, presented: &str, now: Instant) -> bool {
        self.forget_expired(now);
        let mut found = None;
        for (index, (state, _)) in self.issued.iter().enumerate() {
            if same(state.as_bytes(), presented.as_bytes()) {
                found = Some(index);
            }
        }
        match found {
            Some(index) => {
                self.issued.remove(index);
                true
            }
            None => false,
        }
    }

    /// Makes a taken state valid again (the conversion could not reach GitHub, so the same link
    /// may be tried again).
    pub fn put_back(&mut self, state: &str, now: Instant) {
        self.issued.push((state.to_string(), now));
    }

    fn forget_expired(&mut self, now: Instant) {
        self.issued
            .retain(|(_, at)| now.saturating_duration_since(*at) < LIFETIME);
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

    #[test]
    fn a_state_we_issued_is_accepted_once() {
        let mut states = States::default();
        let now = Instant::now();
        let state = states.issue(now);
        assert_eq!(state.len(), 64);
        assert!(states.take(&state, now));
        assert!(!states.take(&state, now), "a state is taken once");
    }

    #[test]
    fn a_state_we_did_not_issue_or_that_is_too_old_is_refused() {
        let mut states = States::default();
        let now = Instant::now();
        let state = states.issue(now);
        let other = states.issue(now);
        assert!(!states.take("", now));
        assert!(!states.take(&state[..63], now), "a prefix is not the state");
        assert!(!states.take(&format!("{state}0"), now));
        assert!(!states.take(&state, now + LIFETIME), "older than an hour");
        assert!(!states.take(&other, now + LIFETIME));
    }

    #[test]
    fn each_page_gets_its_own_state_and_any_of_them_works() {
        let mut states = States::default();
        let now = Instant::now();
        let first = states.issue(now);
        let second = states.issue(now);
        assert_ne!(first, second);
        assert!(states.take(&first, now));
        assert!(states.take(&second, now));
    }

    #[test]
    fn comparison_needs_equal_bytes() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
    }
}
