#!/usr/bin/env bash
# Installs releasebot for action.yml: the prebuilt binary of the release the action's ref names,
# verified, or else a build from the action's own source.
#
# Which release:
# - a commit SHA (what the template and zizmor pin): the release of the version in the action's
#   own Cargo.toml at that commit, tag `v<version>` (the tags .github/workflows/release.yml
#   builds), provided that tag names this very commit: a commit between two releases has no
#   binary of its own, and the previous release's binary would not match its action.yml;
# - anything else: the release of that name (a tag pin; a branch has none).
# Where there is no release, or no binary in it for this runner, releasebot is built with cargo,
# said as a warning: it costs minutes of every run.
#
# Verified: the binary must match its release's SHA256SUMS entry and a build provenance
# attestation made by ACTION_REPOSITORY's release workflow from that tag (and, for a SHA pin,
# from that commit). A gh too old to check attestations (no `gh attestation verify` with the
# flags below) leaves the checksum alone, said as a warning. A binary that fails either check is
# never extracted nor run, and not replaced by a build: the step fails instead, since a tampered
# release is a reason to stop, not to quietly run something else.
set -euo pipefail

case "${RUNNER_OS_NAME}/${RUNNER_ARCH_NAME}" in
  Linux/X64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  *) target= ;;
esac

action_ref="${ACTION_REF:-}"
repository="${ACTION_REPOSITORY:-}"
work="${RUNNER_TEMP}/releasebot-install"
bin_dir="${RUNNER_TEMP}/releasebot-bin"
mkdir -p "$work" "$bin_dir"
asset="releasebot-${target}.tar.gz"

warn() { echo "::warning title=releasebot install::$1"; }

refuse() {
  echo "::error title=releasebot install::$1; refusing to run it"
  exit 1
}

# What a failed gh said, on lines of its own that cannot pass for workflow commands.
show_gh() { while IFS= read -r line; do echo "  gh: $line"; done <<<"$1"; }

build_from_source() {
  warn "$1: building releasebot from the action's source with cargo (a few minutes per run)"
  cargo install --locked --no-default-features --path "$GITHUB_ACTION_PATH" --root "$work/cargo"
  cp "$work/cargo/bin/releasebot" "$bin_dir/"
  echo "$bin_dir" >>"$GITHUB_PATH"
  exit 0
}

# The `[package]` version in the action's Cargo.toml.
package_version() {
  awk '/^\[/ { in_package = ($0 == "[package]") }
    in_package && /^version *= *"/ { sub(/^version *= *"/, ""); sub(/".*$/, ""); print; exit }' \
    "$GITHUB_ACTION_PATH/Cargo.toml"
}

sha256_check() {
  if command -v sha256sum >/dev/null; then
    sha256sum --check --strict -
  else
    shasum -a 256 --check --strict -
  fi
}

# Whether this gh can check an attestation as closely as below; an old gh has no `attestation`
# command (and may answer `--help` with its general usage), or lacks the source flags.
gh_checks_attestations() {
  local help
  help=$(gh attestation verify --help 2>&1) || return 1
  grep -q -e '--signer-workflow' <<<"$help" && grep -q -e '--source-digest' <<<"$help"
}

[ -n "$target" ] || build_from_source "no prebuilt releasebot for ${RUNNER_OS_NAME}/${RUNNER_ARCH_NAME}"
[ -n "$action_ref" ] && [ -n "$repository" ] ||
  build_from_source "the action has no ref to find a release by (a local action, \`uses: ./\`)"

if [[ "$action_ref" =~ ^[0-9a-f]{40}$ ]]; then
  version=$(package_version)
  [ -n "$version" ] || build_from_source "no [package] version in the action's Cargo.toml at ${action_ref}"
  tag="v${version}"
  if ! tagged=$(gh api "repos/${repository}/commits/${tag}" --jq .sha 2>&1); then
    show_gh "$tagged"
    build_from_source "commit ${action_ref} says version ${version}, but no tag ${tag} of ${repository} was found"
  fi
  [ "$tagged" = "$action_ref" ] ||
    build_from_source "commit ${action_ref} is not the commit of release ${tag} (${tagged}), so no release has a binary of it"
  echo "releasebot pinned at commit ${action_ref}: installing release ${tag}, the version in its Cargo.toml"
  source=(--source-ref "refs/tags/${tag}" --source-digest "$action_ref")
else
  tag="$action_ref"
  source=(--source-ref "refs/tags/${tag}")
fi

if ! said=$(gh release download "$tag" --repo "$repository" --pattern "$asset" --dir "$work" --clobber 2>&1); then
  show_gh "$said"
  build_from_source "no ${asset} in a release '${tag}' of ${repository}"
fi
from="${asset} of ${repository} release ${tag}"

if ! said=$(gh release download "$tag" --repo "$repository" --pattern SHA256SUMS --dir "$work" --clobber 2>&1); then
  show_gh "$said"
  refuse "${from} comes without the SHA256SUMS to check it against"
fi
entry=$(awk -v name="$asset" '$2 == name' "$work/SHA256SUMS")
[ -n "$entry" ] || refuse "${from} has no entry in the release's SHA256SUMS"
(cd "$work" && sha256_check <<<"$entry" >/dev/null 2>&1) ||
  refuse "${from} does not match its SHA256SUMS entry"

if gh_checks_attestations; then
  if ! said=$(gh attestation verify "$work/$asset" --repo "$repository" \
    --signer-workflow "${repository}/.github/workflows/release.yml" "${source[@]}" 2>&1); then
    show_gh "$said"
    refuse "${from} has no build attestation by ${repository}'s release workflow from ${tag} that matches it"
  fi
  verified="its SHA256SUMS entry and its build attestation"
else
  warn "this runner's gh cannot check build attestations (\`gh attestation verify\` with --source-digest; a newer gh can): ${from} is checked against its SHA256SUMS entry only"
  verified="its SHA256SUMS entry only"
fi

tar -xzf "$work/$asset" -C "$bin_dir" releasebot
echo "$bin_dir" >>"$GITHUB_PATH"
echo "releasebot ${tag} for ${target}: verified against ${verified}"
