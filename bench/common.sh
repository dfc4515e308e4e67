# Shared by the webhook benchmarks (sourced): the signed delivery wrk sends, starting and
# stopping `releasebot serve` processes, and one wrk run. Needs wrk and python3.

PAYLOAD=bench/issue_comment.json
SECRET=bench-webhook-secret

command -v wrk >/dev/null || { echo "the benchmark needs wrk (apt-get install wrk)" >&2; exit 2; }
cargo build --release --locked --quiet --no-default-features -p releasebot
BIN=$PWD/target/release/releasebot

WORK=$(mktemp -d)
declare -A SERVERS=()
cleanup() {
  for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if declare -F cleanup_more >/dev/null; then cleanup_more; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

SIGNATURE=$(python3 -c 'import hmac,hashlib,sys; print("sha256="+hmac.new(sys.argv[1].encode(), open(sys.argv[2],"rb").read(), hashlib.sha256).hexdigest())' "$SECRET" "$PAYLOAD")

# Every request gets its own delivery id (GitHub signs only the body), so each one is a new
# row in the queue, never a duplicate: each wrk run is given a prefix of its own.
write_lua() {
  local run
  run="$1-$(date +%s%N)"
  cat >"$WORK/deliveries-$1.lua" <<LUA
local f = io.open("$PAYLOAD", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["User-Agent"] = "GitHub-Hookshot/bench"
wrk.headers["X-GitHub-Event"] = "issue_comment"
wrk.headers["X-Hub-Signature-256"] = "$SIGNATURE"
local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end
local counter = 0
function request()
  counter = counter + 1
  wrk.headers["X-GitHub-Delivery"] = string.format("bench-$run-%d-%d", id, counter)
  return wrk.format()
end
function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %.0f %d %d %d %d\n", summary.requests / seconds,
    latency:percentile(50), latency:percentile(99), summary.requests, bad))
end
LUA
}

# start NAME COMMAND...: starts a server in the background and waits for its "listening on".
start() {
  local name=$1
  shift
  # Emptied here, not by the child's redirection: a previous run's line must not be read as
  # this one's before the child has started.
  : >"$WORK/$name.out"
  "$@" >>"$WORK/$name.out" 2>"$WORK/$name.err" &
  SERVERS[$name]=$!
  for _ in $(seq 1 100); do
    grep -q "listening on" "$WORK/$name.out" && return 0
    sleep 0.1
  done
  echo "the server $name did not start:" >&2
  cat "$WORK/$name.err" >&2
  exit 1
}

# stop NAME: SIGTERM, and wait for it to end.
stop() {
  kill -TERM "${SERVERS[$1]}"
  wait "${SERVERS[$1]}" 2>/dev/null || true
  unset "SERVERS[$1]"
}

peak_rss_kb() {
  awk '/^VmHWM:/ {print $2}' "/proc/${SERVERS[$1]}/status"
}

# load NAME URL CONNECTIONS THREADS DURATION: one wrk run; prints
# "RESULT deliveries/s p50_us p99_us requests errors".
load() {
  write_lua "$1"
  wrk -t"$4" -c"$3" -d"$5" --latency -s "$WORK/deliveries-$1.lua" "$2" >"$WORK/$1.wrk"
  grep '^RESULT' "$WORK/$1.wrk"
}
