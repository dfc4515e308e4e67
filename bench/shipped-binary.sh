#!/usr/bin/env bash
# The binary that ships (the release workflow's, the Dockerfile's, action.yml's fallback):
# built without the simulated GitHub, stripped, LTO. Prints its size against the 12 MB target,
# checks it has no `demo`, and times its start-up: `--version`, and `serve` from exec to its
# first `/livez` answer (SQLite queue on a scratch directory, GitHub unreachable, no workers).
# FULL=1 also builds the default binary (with the simulator) under the same profile and times it
# alike, for comparison. Needs curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-20}
LIMIT=$((12 * 1000 * 1000))
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

build() { # build NAME CARGO-ARGS...: copies target/release/releasebot to $WORK/NAME
  local name=$1
  shift
  cargo build --release --locked --quiet -p releasebot "$@"
  cp target/release/releasebot "$WORK/$name"
}

# startup BIN: mean milliseconds of RUNS `--version` runs, then of RUNS `serve` starts to /livez.
startup() {
  python3 - "$1" "$RUNS" "$WORK" <<'PY'
import os, socket, subprocess, sys, time, urllib.request
binary, runs, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def version():
    t = time.perf_counter()
    subprocess.run([binary, "--version"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t
def serve(i):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    env = dict(os.environ, RELEASEBOT_APP_ID="1",
               RELEASEBOT_PRIVATE_KEY_PATH="tests/fixtures/throwaway-app-key.pem",
               RELEASEBOT_WEBHOOK_SECRET="bench-webhook-secret",
               RELEASEBOT_DATABASE=f"{work}/startup-{i}.sqlite",
               RELEASEBOT_LISTEN=f"127.0.0.1:{port}", RELEASEBOT_WORKERS="0",
               GITHUB_API_URL="http://127.0.0.1:9")
    t = time.perf_counter()
    p = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=1).read()
                return time.perf_counter() - t
            except OSError:
                if p.poll() is not None:
                    sys.exit(f"serve exited with {p.returncode} before answering /livez")
                time.sleep(0.002)
    finally:
        p.terminate(); p.wait()
v = sorted(version() for _ in range(runs))
s = sorted(serve(i) for i in range(runs))
print(f"  --version: median {v[runs // 2] * 1000:.1f} ms; serve to /livez: median {s[runs // 2] * 1000:.1f} ms ({runs} runs each)")
PY
}

build shipped --no-default-features
size=$(stat -c %s "$WORK/shipped")
echo "shipped binary (--no-default-features): $size bytes ($(python3 -c "print(f'{$size/1e6:.1f}')") MB; target ≤ 12 MB)"
startup "$WORK/shipped"
if "$WORK/shipped" demo >/dev/null 2>"$WORK/demo.err"; then
  echo "the shipped binary ran demo" >&2
  exit 1
fi
echo "  demo: $(head -c 80 "$WORK/demo.err")…"
if [ "${FULL:-0}" = 1 ]; then
  build full
  full=$(stat -c %s "$WORK/full")
  echo "default binary (with the simulated GitHub): $full bytes ($(python3 -c "print(f'{$full/1e6:.1f}')") MB)"
  startup "$WORK/full"
fi
[ "$size" -le "$LIMIT" ] || { echo "over the 12 MB target" >&2; exit 1; }
