//! What one webhook delivery costs the server before it is queued, part by part, on the
//! benchmark's 13.7 KB `issue_comment` (`cargo bench --bench delivery_costs`). With
//! `bench/ingress.sh` (whole deliveries over HTTP) this is the profile that says what bounds the
//! webhook's throughput.

use std::hint::black_box;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

const BODY: &[u8] = include_bytes!("../bench/issue_comment.json");
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
    println!("{name:<44} {:>8.2} µs", each.as_secs_f64() * 1e6);
    each
}

/// The same fields the webhook reads before queueing.
#[derive(Deserialize)]
struct Peek {
    action: Option<String>,
    repository: Option<PeekRepository>,
}

#[derive(Deserialize)]
struct PeekRepository {
    full_name: String,
}

fn main() {
    println!("per delivery of {} bytes:", BODY.len());
    let mut mac = Hmac::<Sha256>::new_from_slice(b"webhook secret").unwrap();
    mac.update(BODY);
    let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let total = [
        time("verify X-Hub-Signature-256 (HMAC-SHA256)", || {
            releasebot::server::signature::verify(
                b"webhook secret",
                black_box(BODY),
                Some(&signature),
            )
            .unwrap();
        }),
        time("validate the JSON, read action and repository", || {
            let peek: Peek = serde_json::from_slice(black_box(BODY)).unwrap();
            black_box((peek.action, peek.repository.map(|r| r.full_name)));
        }),
        time("compress for the queue (LZ4)", || {
            black_box(lz4_flex::compress_prepend_size(black_box(BODY)));
        }),
    ]
    .iter()
    .sum::<Duration>();
    println!(
        "{:<44} {:>8.2} µs  (the rest of a delivery's cost is HTTP, the queue writer and the kernel)",
        "total",
        total.as_secs_f64() * 1e6
    );
    println!(
        "compressed: {} → {} bytes",
        BODY.len(),
        lz4_flex::compress_prepend_size(BODY).len()
    );
}
