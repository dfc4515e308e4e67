//! What one webhook delivery costs the server before it is queued, part by part, on the
//! benchmark's 13.7 KB `issue_comment` (`cargo bench --bench delivery_costs`). With
//! `bench/ingress.sh` (whole deliveries over HTTP) this is the profile that says what bounds the
//! webhook's throughput.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hmac::{Hmac, Mac};
use releasebot::server::admission::{admit, Admission, Request};
use sha2::Sha256;

const BODY: &[u8] = include_bytes!("../bench/issue_comment.json");
const SECRET: &[u8] = b"webhook secret";
const ROUNDS: u32 = 20_000;

fn time(name: &str, mut f: impl FnMut()) -> Duration {
    for _ in 0..ROUNDS / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..ROUNDS {
        f();
    }
    let each = start.elapsed() / ROUNDS;
    println!("{name:<46} {:>8.2} µs", each.as_secs_f64() * 1e6);
    each
}

fn main() {
    println!("per delivery of {} bytes:", BODY.len());
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET).unwrap();
    mac.update(BODY);
    let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let body = Bytes::from_static(BODY);

    let hmac = time("verify X-Hub-Signature-256 (HMAC-SHA256)", || {
        releasebot::server::signature::verify(SECRET, black_box(BODY), Some(&signature)).unwrap();
    });
    let admitted = time("admit: signature, JSON, headline", || {
        let admission = admit(
            SECRET,
            &Request {
                event: Some("issue_comment"),
                delivery_id: Some("72d3162e-cc78-11e3-81ab-4c9367dc0958"),
                signature_256: Some(&signature),
                content_type: Some("application/json"),
                body: black_box(&body),
            },
        );
        assert!(matches!(admission, Admission::Queue { .. }));
    });
    println!(
        "{:<46} {:>8.2} µs",
        "  of which JSON and headline",
        admitted.saturating_sub(hmac).as_secs_f64() * 1e6
    );
    let compressed = time("compress for the queue (LZ4)", || {
        black_box(lz4_flex::compress_prepend_size(black_box(BODY)));
    });
    println!(
        "{:<46} {:>8.2} µs  (the rest is HTTP, the queue writer and the kernel)",
        "total before the queue",
        (admitted + compressed).as_secs_f64() * 1e6
    );
    println!(
        "compressed: {} → {} bytes",
        BODY.len(),
        lz4_flex::compress_prepend_size(BODY).len()
    );
}
