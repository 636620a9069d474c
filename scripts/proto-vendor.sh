#!/usr/bin/env bash
# Copies the third-party .proto files our protos import from the Go module
# cache into third_party/proto, so code generation needs no schema registry.
# Run after changing the SDK, gogoproto or cosmos-proto versions in go.mod.
set -euo pipefail
cd "$(dirname "$0")/.."

dest=third_party/proto
modpath() { go list -m -f '{{.Dir}}' "$1"; }
go mod download github.com/cosmos/cosmos-sdk github.com/cosmos/gogoproto github.com/cosmos/cosmos-proto github.com/grpc-ecosystem/grpc-gateway

sdk=$(modpath github.com/cosmos/cosmos-sdk)
gogo=$(modpath github.com/cosmos/gogoproto)
cosmosproto=$(modpath github.com/cosmos/cosmos-proto)
gateway=$(GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' github.com/grpc-ecosystem/grpc-gateway)

rm -rf "$dest"
copy() { mkdir -p "$dest/$(dirname "$2")"; cp "$1/$2" "$dest/$2"; chmod 644 "$dest/$2"; }
copy "$gogo" gogoproto/gogo.proto
copy "$cosmosproto/proto" cosmos_proto/cosmos.proto
copy "$sdk/proto" amino/amino.proto
copy "$sdk/proto" cosmos/msg/v1/msg.proto
copy "$sdk/proto" cosmos/base/query/v1beta1/pagination.proto
copy "$sdk/proto" cosmos/base/v1beta1/coin.proto
copy "$gateway/third_party/googleapis" google/api/annotations.proto
copy "$gateway/third_party/googleapis" google/api/http.proto
echo "vendored into $dest:"; find "$dest" -name '*.proto' | sort
