#!/usr/bin/env bash
# `make lint`: gofmt, go vet, package docs, then golangci-lint with the
# committed .golangci.yml. golangci-lint is built from the tools/golangci
# module at the version pinned there into build/tools by scripts/tool.sh,
# once per machine (a few minutes cold), and reused while the pin stays.
#   scripts/lint.sh               lint the tree
#   scripts/lint.sh --build-only  only make sure build/tools/golangci-lint is there
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(scripts/tool.sh golangci)
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
