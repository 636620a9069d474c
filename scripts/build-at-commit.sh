#!/usr/bin/env bash
# Build aitbcd as it was at a past commit, for tests that run an old release
# against the current one (a chain made by the old binary resumed or replayed
# by the new one, an upgrade from the release before it).
#
#   scripts/build-at-commit.sh COMMIT OUT
#
# COMMIT is anything `git rev-parse` resolves in this clone; OUT is the binary
# to write. The commit is checked out into a throw-away `git worktree` (the
# working tree, with everyone's uncommitted edits, is never touched) and built
# with that commit's own Makefile: `make build`, so the same build tags
# (libsecp256k1_sdk when a C compiler is present) and version stamps as a
# release build of it. OUT is written only when the build succeeds, and next
# to it OUT.commit records the full hash: when both exist and match, the
# script does nothing, so repeated test runs reuse the binary.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 COMMIT OUT" >&2
	exit 2
fi
commit=$1
out=$2
root=$(cd "$(dirname "$0")/.." && pwd)

if ! hash=$(git -C "$root" rev-parse --verify --quiet "${commit}^{commit}"); then
	echo "build-at-commit: commit $commit is not in the clone at $root." >&2
	if [ "$(git -C "$root" rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
		echo "build-at-commit: the clone is shallow; fetch its history with 'git fetch --unshallow'." >&2
	else
		echo "build-at-commit: fetch the branch that holds it (git fetch origin) and try again." >&2
	fi
	exit 1
fi

case $out in /*) ;; *) out=$PWD/$out ;; esac
if [ -x "$out" ] && [ "$(cat "$out.commit" 2>/dev/null)" = "$hash" ]; then
	echo "build-at-commit: $out is already built at $hash" >&2
	exit 0
fi
mkdir -p "$(dirname "$out")"

tmp=$(mktemp -d)
cleanup() {
	git -C "$root" worktree remove --force "$tmp/src" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "build-at-commit: building $hash into $out" >&2
git -C "$root" worktree add --detach --quiet "$tmp/src" "$hash"
make -C "$tmp/src" --no-print-directory build BINARY="$tmp/aitbcd" >&2
mv -f "$tmp/aitbcd" "$out"
echo "$hash" >"$out.commit"
