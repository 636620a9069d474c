#!/usr/bin/env bash
# Builds a pinned tool of tools/<name> (the `tool` line of its go.mod, at the
# versions its go.mod and go.sum pin) into build/tools/<binary>, once per
# machine: a binary built from the same go.mod and go.sum is reused as it
# is. Prints the binary's path.
#   scripts/tool.sh golangci     build/tools/golangci-lint (make lint)
#   scripts/tool.sh cosmovisor   build/tools/cosmovisor (localnet --cosmovisor, upgrade tests)
set -euo pipefail
cd "$(dirname "$0")/.."

name=${1:?usage: scripts/tool.sh <tools/ subdirectory>}
mod=tools/$name
if [ ! -f "$mod/go.mod" ]; then
  echo "no tool module $mod (want one of: $(ls tools | tr '\n' ' '))" >&2
  exit 1
fi
pkg=$(awk '$1 == "tool" { print $2; exit }' "$mod/go.mod")
if [ -z "$pkg" ]; then
  echo "$mod/go.mod has no tool line naming the package to build" >&2
  exit 1
fi
bin=$PWD/build/tools/$(basename "$pkg")
stamp=$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -c1-16)
if [ ! -x "$bin" ] || [ "$(cat "$bin.stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "building $pkg into build/tools (once per machine)" >&2
  start=$(date +%s)
  # Built beside it, then renamed: an interrupted build leaves no half binary.
  mkdir -p "$(dirname "$bin")"
  (cd "$mod" && go build -o "$bin.new" "$pkg")
  mv -f "$bin.new" "$bin"
  echo "$stamp" > "$bin.stamp"
  echo "built $(basename "$bin") in $(( $(date +%s) - start ))s" >&2
fi
echo "$bin"
