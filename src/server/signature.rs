//! `X-Hub-Signature-256`: `sha256=` and the hex HMAC-SHA256 of the raw body under the webhook
//! secret, compared in constant time. The SHA-1 `X-Hub-Signature` alone is not accepted.

use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    #[error("X-Hub-Signature-256 is not `sha256=` followed by 64 hex digits")]
    Malformed,
    #[error("the signature does not match the body under the webhook secret")]
    Mismatch,
}

/// Checks the header value against the body.
pub fn verify(secret: &[u8], body: &[u8], header: Option<&str>) -> Result<(), SignatureError> {
    let mut verifier = Verifier::new(secret, header)?;
    verifier.update(body);
    verifier.finish()
}

/// The HMAC computed as the body arrives, so the body is read once and a header that cannot
/// match is refused before any of the body is read.
pub struct Verifier {
    mac: Hmac<Sha256>,
    expected: Vec<u8>,
}

impl Verifier {
    /// Fails at once on a missing or malformed header.
    pub fn new(secret: &[u8], header: Option<&str>) -> Result<Verifier, SignatureError> {
        let header = header.ok_or(SignatureError::Missing)?;
        let hex_digest = header
            .trim()
            .strip_prefix("sha256=")
            .ok_or(SignatureError::Malformed)?;
        if hex_digest.len() != 64 {
            return Err(SignatureError::Malformed);
        }
        let expected = hex::decode(hex_digest).map_err(|_| SignatureError::Malformed)?;
        let mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
        Ok(Verifier { mac, expected })
    }

    pub fn update(&mut self, chunk: &[u8]) {
        self.mac.update(chunk);
    }

    pub fn finish(self) -> Result<(), SignatureError> {
        // `verify_slice` compares in constant time.
        self.mac
            .verify_slice(&self.expected)
            .map_err(|_| SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"It's a Secret to Everybody";
    const BODY: &[u8] = b"Hello, World!";
    const SIGNATURE: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn githubs_documented_example_verifies() {
        assert_eq!(verify(SECRET, BODY, Some(SIGNATURE)), Ok(()));
    }

    #[test]
    fn one_flipped_byte_in_the_body_or_the_signature_fails() {
        assert_eq!(
            verify(SECRET, b"Hello, World?", Some(SIGNATURE)),
            Err(SignatureError::Mismatch)
        );
        let flipped = SIGNATURE.replace("757107", "757108");
        assert_eq!(
            verify(SECRET, BODY, Some(&flipped)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_body_verified_in_pieces_is_verified_like_a_whole() {
        let mut verifier = Verifier::new(SECRET, Some(SIGNATURE)).unwrap();
        for piece in BODY.chunks(3) {
            verifier.update(piece);
        }
        assert_eq!(verifier.finish(), Ok(()));
    }

    #[test]
    fn a_wrong_secret_fails() {
        assert_eq!(
            verify(b"another secret", BODY, Some(SIGNATURE)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_missing_header_a_sha1_signature_and_garbage_are_refused() {
        assert_eq!(verify(SECRET, BODY, None), Err(SignatureError::Missing));
        assert_eq!(
            verify(
                SECRET,
                BODY,
                Some("sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59")
            ),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(SECRET, BODY, Some("sha256=zz")),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(SECRET, BODY, Some(&SIGNATURE[..70])),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn an_empty_body_is_verified_like_any_other() {
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET).unwrap();
        mac.update(b"");
        let header = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(verify(SECRET, b"", Some(&header)), Ok(()));
        assert_eq!(
            verify(SECRET, b"", Some(SIGNATURE)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn the_simulated_github_signs_the_way_this_verifies() {
        let header = simulated_github::signature(SECRET, BODY);
        assert_eq!(verify(SECRET, BODY, Some(&header)), Ok(()));
    }
}
