#!/usr/bin/env bash
# Generates Go code from proto/ with Debian's protoc and locally built
# plugins: no network beyond the Go module proxy, no schema registry.
#   scripts/protocgen.sh           regenerate into the source tree
#   scripts/protocgen.sh --check   fail if the committed code is stale
set -euo pipefail
cd "$(dirname "$0")/.."

GOCOSMOS_VERSION=v1.7.2   # github.com/cosmos/gogoproto, as the SDK pins
GATEWAY_VERSION=v1.16.0   # github.com/grpc-ecosystem/grpc-gateway, as the SDK pins

if ! command -v protoc >/dev/null || [ ! -f /usr/include/google/protobuf/any.proto ]; then
  echo "protoc missing: installing Debian's protobuf-compiler and libprotobuf-dev" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q protobuf-compiler libprotobuf-dev >/dev/null
  else sudo apt-get update -q >/dev/null && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q protobuf-compiler libprotobuf-dev >/dev/null; fi
fi

tools=$PWD/build/tools
mkdir -p "$tools"
[ -x "$tools/protoc-gen-gocosmos" ] || GOBIN=$tools go install "github.com/cosmos/gogoproto/protoc-gen-gocosmos@$GOCOSMOS_VERSION"
[ -x "$tools/protoc-gen-grpc-gateway" ] || GOBIN=$tools go install "github.com/grpc-ecosystem/grpc-gateway/protoc-gen-grpc-gateway@$GATEWAY_VERSION"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for dir in $(find proto -name '*.proto' -exec dirname {} \; | sort -u); do
  PATH="$tools:$PATH" protoc -I proto -I third_party/proto -I /usr/include \
    --gocosmos_out="plugins=grpc,Mgoogle/protobuf/any.proto=github.com/cosmos/gogoproto/types/any:$out" \
    --grpc-gateway_out="logtostderr=true,allow_colon_final_segments=true:$out" \
    "$dir"/*.proto
done

module=$(go list -m)
generated=$out/$module
if [ "${1:-}" = "--check" ]; then
  stale=0
  while IFS= read -r f; do
    rel=${f#"$generated/"}
    if ! cmp -s "$f" "$rel"; then echo "stale: $rel (run make proto-gen)"; stale=1; fi
  done < <(find "$generated" -type f)
  # Generated files whose proto is gone are stale too.
  while IFS= read -r f; do
    [ -f "$generated/$f" ] || { echo "orphaned: $f (run make proto-gen)"; stale=1; }
  done < <(git ls-files 'x/*.pb.go' 'x/*.pb.gw.go')
  exit $stale
fi
cp -r "$generated"/. .
echo "generated: $(cd "$generated" && find . -type f | sort | tr '\n' ' ')"
