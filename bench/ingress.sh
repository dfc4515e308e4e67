#!/usr/bin/env bash
# Benchmark of `releasebot serve`'s webhook: acknowledged deliveries per second, p50/p99
# acknowledgement latency and peak RSS, for a signed 13.7 KB issue_comment delivery at 64
# connections, with wrk on the same machine. Each figure is also given as a ratio to the floor:
# the same binary answering 202 without verifying or storing anything, measured in this run.
#
# Usage: bash bench/ingress.sh            (DURATION=10s CONNECTIONS=64 THREADS=2 to change)
# Needs: wrk (Debian: apt-get install wrk), python3.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
source bench/common.sh

# run NAME: load the server NAME that listens on 127.0.0.1:38080, print its figures.
run() {
  local result
  result=$(load "$1" http://127.0.0.1:38080/webhook "$CONNECTIONS" "$THREADS" "$DURATION")
  echo "$result $(peak_rss_kb "$1")"
}

export RELEASEBOT_LISTEN=127.0.0.1:38080

echo "floor: the same server answering 202 without verifying or storing ($DURATION, $CONNECTIONS connections)"
start floor "$BIN" serve --bench-floor
FLOOR=$(run floor)
stop floor

echo "releasebot serve: verify, parse, commit to SQLite (WAL, synchronous=FULL), answer 202"
# No workers, so the figures are the webhook's own: jobs stay queued in the scratch database.
start real env RELEASEBOT_APP_ID=1 RELEASEBOT_PRIVATE_KEY_PATH=tests/fixtures/throwaway-app-key.pem \
  RELEASEBOT_WEBHOOK_SECRET="$SECRET" RELEASEBOT_DATABASE="$WORK/queue.sqlite" \
  RELEASEBOT_WORKERS=0 GITHUB_API_URL=http://127.0.0.1:9 "$BIN" serve
REAL=$(run real)
stop real

QUEUED=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from deliveries").fetchone()[0])' "$WORK/queue.sqlite")

python3 - "$FLOOR" "$REAL" "$QUEUED" <<'PY'
import sys
floor = sys.argv[1].split()[1:]
real = sys.argv[2].split()[1:]
queued = int(sys.argv[3])
f_rps, f_p50, f_p99, f_n, f_bad, f_rss = (float(x) for x in floor)
r_rps, r_p50, r_p99, r_n, r_bad, r_rss = (float(x) for x in real)
print()
print(f"{'':28}{'releasebot':>14}{'floor':>14}{'ratio':>9}   target")
print(f"{'deliveries/s':28}{r_rps:>14,.0f}{f_rps:>14,.0f}{r_rps / f_rps:>9.0%}   >= 20,000 and >= 60% of the floor")
print(f"{'p50 acknowledgement (ms)':28}{r_p50 / 1000:>14.2f}{f_p50 / 1000:>14.2f}{r_p50 / f_p50:>9.1f}x")
print(f"{'p99 acknowledgement (ms)':28}{r_p99 / 1000:>14.2f}{f_p99 / 1000:>14.2f}{r_p99 / f_p99:>9.1f}x   <= 10 ms")
print(f"{'peak RSS (MB)':28}{r_rss / 1024:>14.1f}{f_rss / 1024:>14.1f}{r_rss / f_rss:>9.1f}x   <= 30 MB")
print(f"{'requests / errors':28}{f'{r_n:,.0f} / {r_bad:,.0f}':>14}{f'{f_n:,.0f} / {f_bad:,.0f}':>14}")
print(f"{'rows in the queue':28}{queued:>14,}")
if queued != int(r_n) - int(r_bad):
    print(f"note: {int(r_n) - int(r_bad)} acknowledged, {queued} stored (wrk counts requests cut off at the end)")
PY
