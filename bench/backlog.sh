#!/usr/bin/env bash
# The webhook under a backlog: with BACKLOG (50,000) deliveries already queued for the
# benchmark's repository and GitHub unreachable (the head job fails and waits, every job
# behind it waits for it), does running the workers slow the webhook? For SQLite, and for
# PostgreSQL with one and with two replicas (two wrk processes, one per replica, half the
# connections each), the same load is measured with RELEASEBOT_WORKERS=0 and with 8 workers.
#
# Usage: bash bench/backlog.sh     (DURATION=10s REPEAT=3 CONNECTIONS=64 BACKLOG=50000 to change,
#                                   CASES="sqlite postgres-1 postgres-2" to choose,
#                                   PG_SETTINGS="-c name=value …" to try PostgreSQL settings)
# Needs: wrk, python3, and PostgreSQL's server binaries (Debian: apt-get install postgresql).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
REPEAT=${REPEAT:-3}
CONNECTIONS=${CONNECTIONS:-64}
BACKLOG=${BACKLOG:-50000}
source bench/common.sh

# A PostgreSQL of the benchmark's own, on a scratch directory (as the postgres user when run
# as root: the server refuses root). Durable like SQLite's synchronous=FULL: fsync stays on.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/postgres" ] || { echo "the benchmark needs PostgreSQL (apt-get install postgresql)" >&2; exit 2; }
PGDIR=$(mktemp -d)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$PGDIR"
  as_pg=(runuser -u postgres --)
fi
# Ports the kernel has free now (fixed ones can be taken as the source port of an outgoing
# connection: the benchmark makes hundreds of thousands).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PGPORT=$(free_port)
PORTS=("" "$(free_port)" "$(free_port)")
"${as_pg[@]}" "$PGBIN/initdb" -A trust -U releasebot -D "$PGDIR/data" >/dev/null
# What an operator gives a write-heavy queue: checkpoints spaced by a larger WAL, compressed
# full-page images. Durability is the default's (fsync and synchronous_commit on).
"${as_pg[@]}" "$PGBIN/postgres" -D "$PGDIR/data" -p "$PGPORT" -c listen_addresses=127.0.0.1 \
  -c unix_socket_directories= -c max_connections=200 -c shared_buffers=256MB \
  -c max_wal_size=4GB -c wal_compression=lz4 ${PG_SETTINGS:-} >"$WORK/postgres.log" 2>&1 &
PGPID=$!
cleanup_more() {
  "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1 || true
  wait "$PGPID" 2>/dev/null || true
  rm -rf "$PGDIR"
}
for _ in $(seq 1 100); do
  "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" && break
  sleep 0.1
done
psql_do() { "$PGBIN/psql" -q -tA -h 127.0.0.1 -p "$PGPORT" -U releasebot "$@"; }

# serve NAME DATABASE WORKERS PORT
serve() {
  start "$1" env RELEASEBOT_APP_ID=1 RELEASEBOT_PRIVATE_KEY_PATH=tests/fixtures/throwaway-app-key.pem \
    RELEASEBOT_WEBHOOK_SECRET="$SECRET" RELEASEBOT_DATABASE="$2" RELEASEBOT_WORKERS="$3" \
    RELEASEBOT_LISTEN="127.0.0.1:$4" GITHUB_API_URL=http://127.0.0.1:9 RUST_LOG=error "$BIN" serve
}

# queued DATABASE: jobs not yet done (0 before the server has made the queue).
queued() {
  case $1 in
    postgres://*) psql_do -d "${1##*/}" -c "select count(*) from releasebot_deliveries where state <> 'done'" 2>/dev/null || echo 0 ;;
    *) python3 - "$1" <<'PY'
import os, sqlite3, sys
try:
    print(sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True).execute("select count(*) from deliveries where state <> 'done'").fetchone()[0])
except sqlite3.Error:
    print(0)
PY
    ;;
  esac
}

# measure DATABASE REPLICAS WORKERS DURATION: the replicas under one load, spread evenly;
# prints "RESULT deliveries/s p50_us p99_us requests errors" (the slower replica's latencies).
measure() {
  local database=$1 replicas=$2 workers=$3 duration=$4 pids=() r
  for r in $(seq 1 "$replicas"); do serve "r$r" "$database" "$workers" "${PORTS[$r]}"; done
  for r in $(seq 1 "$replicas"); do
    write_lua "r$r"
    wrk -t$((2 / replicas)) -c$((CONNECTIONS / replicas)) -d"$duration" --latency \
      -s "$WORK/deliveries-r$r.lua" "http://127.0.0.1:${PORTS[$r]}/webhook" >"$WORK/r$r.wrk" &
    pids+=($!)
  done
  local failed=0
  wait "${pids[@]}" || failed=1
  for r in $(seq 1 "$replicas"); do
    if [ "$failed" = 1 ]; then
      echo "wrk failed against replica r$r; its log:" >&2
      tail -20 "$WORK/r$r.err" "$WORK/r$r.wrk" >&2 || true
    fi
    stop "r$r"
  done
  [ "$failed" = 0 ] || exit 1
  cat "$WORK"/r*.wrk | grep '^RESULT' | python3 -c '
import sys
rows = [[float(x) for x in line.split()[1:]] for line in sys.stdin]
print("RESULT %.0f %d %d %d %d" % (sum(r[0] for r in rows), max(r[1] for r in rows),
      max(r[2] for r in rows), sum(r[3] for r in rows), sum(r[4] for r in rows)))'
  rm -f "$WORK"/r*.wrk
}

# backlog DATABASE REPLICAS: the webhook alone fills the queue to BACKLOG.
backlog() {
  while [ "$(queued "$1")" -lt "$BACKLOG" ]; do measure "$1" "$2" 0 3s >/dev/null; done
}

results=()
# median "RESULT …" …: each field's median over the runs.
median() {
  python3 -c '
import statistics, sys
rows = [[float(x) for x in r.split()[1:]] for r in sys.argv[1:]]
print("RESULT " + " ".join("%.0f" % statistics.median(col) for col in zip(*rows)))' "$@"
}

# settle DATABASE: what filling the queue (or the last figure) wrote reaches the disk first, so
# its write-back does not land in the next figure's commits (each commit waits for its fsync,
# and a fsync behind a gigabyte of dirty pages waits for them too).
settle() {
  case $1 in
    postgres://*) psql_do -d "${1##*/}" -c checkpoint ;;
  esac
  sync
}

case_run() {
  local name=$1 database=$2 replicas=$3
  echo "$name: filling the queue to $BACKLOG deliveries for one repository" >&2
  backlog "$database" "$replicas"
  local before off=() on=() after wal="" i
  before=$(queued "$database")
  # Off and on alternate, REPEAT times each; the figures are the medians (one stall of the
  # machine, a neighbour's write-back, lands in one figure and is not the result).
  for i in $(seq 1 "$REPEAT"); do
    settle "$database"
    off+=("$(measure "$database" "$replicas" 0 "$DURATION")")
    settle "$database"
    on+=("$(measure "$database" "$replicas" 8 "$DURATION")")
  done
  off=$(median "${off[@]}")
  on=$(median "${on[@]}")
  after=$(queued "$database")
  case $database in
    postgres://*) ;;
    *) wal=$(python3 -c 'import os,sys; print(os.path.getsize(sys.argv[1]) if os.path.exists(sys.argv[1]) else 0)' "$database-wal") ;;
  esac
  results+=("$name|$before|$after|$off|$on|$wal")
}

CASES=${CASES:-sqlite postgres-1 postgres-2}
for case in $CASES; do
  case $case in
    sqlite) case_run "SQLite" "$WORK/queue.sqlite" 1 ;;
    postgres-1)
      psql_do -d postgres -c "create database one"
      case_run "PostgreSQL, 1 replica" "postgres://releasebot@127.0.0.1:$PGPORT/one" 1 ;;
    postgres-2)
      psql_do -d postgres -c "create database two"
      case_run "PostgreSQL, 2 replicas" "postgres://releasebot@127.0.0.1:$PGPORT/two" 2 ;;
    *) echo "unknown case $case (sqlite, postgres-1, postgres-2)" >&2; exit 2 ;;
  esac
done

python3 - "${results[@]}" <<'PY'
import sys
print()
print(f"backlog for one repository, GitHub unreachable, {'':2}workers off → 8 workers per replica")
print(f"{'':24}{'backlog':>9}{'off /s':>9}{'on /s':>9}{'on/off':>8}{'p99 off':>9}{'p99 on':>8}   target: on/off >= 80 %, p99 on <= 20 ms")
for row in sys.argv[1:]:
    name, before, after, off, on, wal = row.split("|")
    off = [float(x) for x in off.split()[1:]]
    on = [float(x) for x in on.split()[1:]]
    line = f"{name:24}{int(before):>9,}{off[0]:>9,.0f}{on[0]:>9,.0f}{on[0] / off[0]:>8.0%}{off[2] / 1000:>7.1f}ms{on[2] / 1000:>6.1f}ms"
    if off[4] or on[4]:
        line += f"   errors {off[4]:.0f}/{on[4]:.0f}"
    if wal:
        line += f"   WAL {int(wal) / 2**20:.0f} MB (queue {int(after):,})"
    print(line)
PY
