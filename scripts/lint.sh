#!/usr/bin/env bash
# `make lint`: gofmt, go vet, package docs, then golangci-lint with the
# committed .golangci.yml. golangci-lint is built from the tools/golangci
# module at the version pinned there into build/tools, once per machine (a
# few minutes cold); a binary of that version is reused as it is.
#   scripts/lint.sh               lint the tree
#   scripts/lint.sh --build-only  only make sure build/tools/golangci-lint is there
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$PWD/build/tools/golangci-lint
version=$(awk '$1 == "github.com/golangci/golangci-lint/v2" { print $2 }' tools/golangci/go.mod)
if [ -z "$version" ]; then
  echo "tools/golangci/go.mod pins no github.com/golangci/golangci-lint/v2 version" >&2
  exit 1
fi
if ! "$bin" version 2>/dev/null | grep -q "has version ${version#v} "; then
  echo "building golangci-lint $version into build/tools (once per machine)" >&2
  start=$(date +%s)
  # Built beside it, then renamed: an interrupted build leaves no half binary,
  # and go build will not overwrite a file that is not one of its own.
  mkdir -p "$(dirname "$bin")"
  (cd tools/golangci && go build -o "$bin.new" github.com/golangci/golangci-lint/v2/cmd/golangci-lint)
  mv -f "$bin.new" "$bin"
  echo "built golangci-lint $version in $(( $(date +%s) - start ))s" >&2
fi
if [ "${1:-}" = "--build-only" ]; then
  exit 0
fi

# Every tracked file, including any a build tag keeps out of golangci's view.
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt needed on:"; echo "$unformatted"; exit 1
fi

go vet ./...

# Every package says what it is for (test-only packages under tests/ aside).
undocumented=$(go list -f '{{if not .Doc}}{{.ImportPath}}{{end}}' ./... | grep -v -e '^$' -e '/tests/' || true)
if [ -n "$undocumented" ]; then
  echo "no package doc comment (// Package ...) in:"; echo "$undocumented"; exit 1
fi

"$bin" run ./...
