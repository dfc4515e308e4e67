#!/usr/bin/env bash
# Installs releasebot for action.yml: the prebuilt binary for this runner from the release that
# matches the action's ref, checked against the SHA256SUMS published with it; when there is no
# binary for this platform or ref (a branch, a fork, a release still building), it is built from
# the action's own source with `cargo install --locked`. A binary whose checksum does not match
# is never run and never silently replaced by a build.
set -euo pipefail

case "${RUNNER_OS_NAME}/${RUNNER_ARCH_NAME}" in
  Linux/X64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  *) target= ;;
esac

work="${RUNNER_TEMP}/releasebot-install"
bin_dir="${RUNNER_TEMP}/releasebot-bin"
mkdir -p "$work" "$bin_dir"
asset="releasebot-${target}.tar.gz"

sha256_check() {
  if command -v sha256sum >/dev/null; then
    sha256sum --check --strict -
  else
    shasum -a 256 --check --strict -
  fi
}

if [ -n "$target" ] && [ -n "${ACTION_REF:-}" ] && [ -n "${ACTION_REPOSITORY:-}" ] \
  && gh release download "$ACTION_REF" --repo "$ACTION_REPOSITORY" \
    --pattern "$asset" --pattern SHA256SUMS --dir "$work" --clobber 2>/dev/null; then
  if ! (cd "$work" && grep -E "^[0-9a-f]{64}  ${asset}\$" SHA256SUMS | sha256_check); then
    echo "::error title=releasebot install::${asset} of ${ACTION_REPOSITORY}@${ACTION_REF} does not match its SHA256SUMS entry; refusing to run it"
    exit 1
  fi
  tar -xzf "$work/$asset" -C "$bin_dir" releasebot
  echo "releasebot ${ACTION_REF} for ${target}: checksum verified"
else
  echo "::notice title=releasebot install::no prebuilt releasebot for ${RUNNER_OS_NAME}/${RUNNER_ARCH_NAME} at '${ACTION_REF:-}'; building it with cargo (a few minutes)"
  cargo install --locked --path "$GITHUB_ACTION_PATH" --root "$work/cargo"
  cp "$work/cargo/bin/releasebot" "$bin_dir/"
fi
echo "$bin_dir" >>"$GITHUB_PATH"
