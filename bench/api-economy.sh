#!/usr/bin/env bash
# The GitHub API calls one whole release makes (comment → draft release with the
# images result, every webhook included, the App's token request counted), per delivery, with
# each call's round trip, and the round trips from the `/release` comment to the open pull
# request. Runs against the simulated GitHub; nothing reaches the network.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --locked --quiet --test all api_economy -- --nocapture --test-threads=1 2>&1 \
  | sed -n '/^GitHub API calls per delivery/,/^test result/p' | grep -v '^test '
