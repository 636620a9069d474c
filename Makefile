# AITBC chain: build, run and test aitbcd.
#   make devnet   build and run a single-validator devnet (ait-devnet-1)
#   make localnet build and start a 4-validator localnet (ait-localnet-1) in the background
#   make test     lint, unit, app-level and system tests
#   make bench    benchmarks (figures for BENCHMARKS.md)

BINARY      := build/aitbcd
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT      ?= $(shell git rev-parse HEAD 2>/dev/null)
SDK_VERSION := github.com/cosmos/cosmos-sdk/version
# The SDK's libsecp256k1 binding (cgo) checks a secp256k1 signature about 2.5x faster than
# the pure-Go default (BENCHMARKS.md); builds use it when a C compiler is installed, and fall
# back to pure Go otherwise (or with BUILD_TAGS= on the command line). Both accept exactly the
# same signatures (lower-S only), so nodes of either build agree.
BUILD_TAGS  ?= $(if $(shell command -v $${CC:-cc} 2>/dev/null),libsecp256k1_sdk)
LDFLAGS     := -X $(SDK_VERSION).Name=aitbc -X $(SDK_VERSION).AppName=aitbcd \
               -X $(SDK_VERSION).Version=$(VERSION) -X $(SDK_VERSION).Commit=$(COMMIT) \
               -X $(SDK_VERSION).BuildTags=$(BUILD_TAGS)
GO_TAGS      = $(if $(BUILD_TAGS),-tags $(BUILD_TAGS))
GO_PACKAGES  = $(shell go list ./... | grep -v /tests/system)
DEVNET_HOME ?= $(HOME)/.aitbcd-devnet
LOCALNET_HOME ?= $(HOME)/.aitbcd-localnet
# VALIDATORS=N and FULL_NODES=K shape a new localnet (defaults 4 and 0);
# CONSENSUS_MODE=poa|hybrid|pos is read by aitbcd itself.
# COSMOVISOR=1 runs the nodes under cosmovisor (built into build/tools by `make cosmovisor`).
LOCALNET_FLAGS = $(if $(VALIDATORS),--validators $(VALIDATORS)) $(if $(FULL_NODES),--full-nodes $(FULL_NODES)) \
                 $(if $(COSMOVISOR),--cosmovisor --cosmovisor-bin $(shell scripts/tool.sh cosmovisor))

.PHONY: all build install cosmovisor devnet devnet-reset localnet localnet-status localnet-stop localnet-reset bench bench-compute bench-facade bench-indexer lint proto-gen proto-check proto-vendor test test-monitoring test-unit test-system monitor clean bench-speedtest bench-load bench-load-devnet bench-load-localnet bench-load-job bench-load-validator

all: build

build:
	go build $(GO_TAGS) -ldflags '$(LDFLAGS)' -o $(BINARY) ./cmd/aitbcd

install:
	go install $(GO_TAGS) -ldflags '$(LDFLAGS)' ./cmd/aitbcd

## cosmovisor: build the pinned cosmovisor (tools/cosmovisor) into build/tools, once per machine.
cosmovisor:
	scripts/tool.sh cosmovisor

## devnet: create (first time) and run ait-devnet-1 in the foreground; Ctrl-C stops it.
devnet: build
	./$(BINARY) devnet --home $(DEVNET_HOME)

## devnet-reset: delete the devnet and start a new chain.
devnet-reset: build
	./$(BINARY) devnet --home $(DEVNET_HOME) --reset

## localnet: create (first time) and start the localnet's nodes in the background; prints endpoints.
localnet: build
	./$(BINARY) localnet start --home $(LOCALNET_HOME) $(LOCALNET_FLAGS)

## localnet-status: each node's process, height, peers and validator-set membership.
localnet-status: build
	./$(BINARY) localnet status --home $(LOCALNET_HOME)

## localnet-stop: stop every node; `make localnet` resumes the same network.
localnet-stop: build
	./$(BINARY) localnet stop --home $(LOCALNET_HOME)

## localnet-reset: stop and delete the localnet (`make localnet` then creates a new one).
localnet-reset: build
	./$(BINARY) localnet reset --home $(LOCALNET_HOME)

## lint: gofmt, go vet, package docs and golangci-lint (.golangci.yml; the pinned build in
## tools/golangci is made once into build/tools).
lint:
	scripts/lint.sh

## proto-gen: regenerate Go code from proto/ (Debian protoc, plugins built locally, no registry).
proto-gen:
	scripts/protocgen.sh

## proto-check: fail if the committed generated code differs from what proto/ generates.
proto-check:
	scripts/protocgen.sh --check

## proto-vendor: refresh third_party/proto from the Go module cache after a dependency bump.
proto-vendor:
	scripts/proto-vendor.sh

test: lint proto-check test-monitoring test-unit test-system

## test-monitoring: promtool checks the alert rules and runs their unit tests (networks/monitoring).
test-monitoring:
	networks/monitoring/test.sh

## monitor: Debian's Prometheus (scripts/ci-deps.sh) scraping every node of the running localnet
## (LOCALNET_HOME), with the alert rules, on 127.0.0.1:$(MONITOR_PORT); Ctrl-C stops it.
MONITOR_PORT ?= 9099
MONITOR_DIR  ?= $(LOCALNET_HOME)/monitoring
monitor:
	mkdir -p $(MONITOR_DIR)
	go run ./networks/monitoring/promconfig --localnet $(LOCALNET_HOME) --out $(MONITOR_DIR)/prometheus.yml \
		--rules '$(abspath networks/monitoring/rules)/*.yml'
	prometheus --config.file=$(MONITOR_DIR)/prometheus.yml --storage.tsdb.path=$(MONITOR_DIR)/data \
		--web.listen-address=127.0.0.1:$(MONITOR_PORT)

test-unit:
	go test $(GO_TAGS) -count=1 -timeout 15m $(GO_PACKAGES)

## test-system: drive the real binary (single node: devnet, tx, restarts, bad input).
test-system: build
	AITBCD_BIN=$(abspath $(BINARY)) go test -count=1 -timeout 25m -v ./tests/system/...

## bench: benchmarks that print figures (never pass/fail); results go to BENCHMARKS.md.
bench: bench-compute bench-facade bench-indexer bench-speedtest bench-load

## bench-speedtest: execution only (SDK tools/speedtest): the stock SDK baseline (stock build and the
## node's build), the app as the node runs it, and the app with the sequential executor, each in a
## fresh process, rotating for 5 rounds; medians and same-round ratios. 10k and 100k accounts.
SPEEDTEST_ACCOUNTS ?= 10000 100000
SPEEDTEST_BLOCKS   ?= 10
bench-speedtest:
	for n in $(SPEEDTEST_ACCOUNTS); do \
		ACCOUNTS=$$n BLOCKS=$(SPEEDTEST_BLOCKS) TAGS=$(BUILD_TAGS) scripts/bench-speedtest.sh || exit 1; done

## bench-load: `aitbcd bench load` saturation and half-rate runs (3 each, medians) on fresh networks.
bench-load: bench-load-devnet bench-load-localnet bench-load-job bench-load-validator

bench-load-devnet: build
	scripts/bench-load.sh devnet 1s
	scripts/bench-load.sh devnet 200ms

bench-load-localnet: build
	scripts/bench-load.sh localnet 1s
	scripts/bench-load.sh localnet 200ms

bench-load-job: build
	KIND=job scripts/bench-load.sh devnet 1s

## bench-load-validator: the 200 ms networks without the SQL indexer and CometBFT's tx index.
bench-load-validator: build
	AITBCD_INDEXER_ENABLE=false AITBCD_TX_INDEX_INDEXER=null scripts/bench-load.sh devnet 200ms
	AITBCD_INDEXER_ENABLE=false AITBCD_TX_INDEX_INDEXER=null scripts/bench-load.sh localnet 200ms

bench-compute:
	go test -run '^$$' -bench . -benchtime 2000x -count 5 ./x/compute/keeper/

## bench-facade: facade vs direct CometBFT RPC latency and WebSocket fan-out delay
## on a single-node chain. BENCH_COUNT runs, each on a fresh chain.
BENCH_COUNT ?= 5
bench-facade: build
	AITBCD_BIN=$(abspath $(BINARY)) go test -timeout 30m -run '^$$' -bench BenchmarkFacade -benchtime 1x \
		-count $(BENCH_COUNT) ./tests/system/...

## bench-indexer: SQL indexer throughput (blocks/s, tx/s) on SQLite and a throw-away PostgreSQL,
## and the node's committed TPS with the indexer off, on SQLite and on PostgreSQL.
bench-indexer:
	scripts/bench-indexer.sh

clean:
	rm -rf build
