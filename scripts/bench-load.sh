#!/usr/bin/env bash
# bench-load.sh NET BLOCK_TIME — saturation and half-saturation runs of `aitbcd bench load`
# against a new network made for the run in a temporary directory, then removed.
#
#   NET         devnet (one validator) or localnet (4 validators)
#   BLOCK_TIME  e.g. 1s or 200ms (CometBFT timeout_commit)
# Environment:
#   RUNS=3          runs per rate; medians are reported
#   DURATION=30s    sending time per run
#   SAT_RATE=4000   offered rate of the saturation runs (above what the node commits)
#   HALF_RATE=      rate of the latency runs (default: half the median saturation TPS)
#   KIND=send       send (bank MsgSend) or job (x/compute MsgSubmitJob)
#   ACCOUNTS=2000   load accounts per run
#   CONNECTIONS=8   parallel RPC connections of the load generator
#   BASE_PORT=27600 first loopback port of the network: below the kernel's ephemeral range
#                   (32768-60999 here), where the load's own client connections could hold it
#   OUT=            directory to keep every run's JSON report in
#   START_FLAGS=    extra `aitbcd start` flags for the devnet node, e.g. "--iavl-disable-fastnode"
#                   (app.toml keys without a flag: AITBCD_<KEY> in the environment, e.g.
#                   AITBCD_IAVL_CACHE_SIZE=100000)
#   AITBCD_BIN=build/aitbcd
set -euo pipefail

net=${1:?usage: bench-load.sh devnet|localnet BLOCK_TIME}
block_time=${2:?usage: bench-load.sh devnet|localnet BLOCK_TIME}
bin=$(realpath "${AITBCD_BIN:-build/aitbcd}")
runs=${RUNS:-3}
duration=${DURATION:-30s}
sat_rate=${SAT_RATE:-4000}
kind=${KIND:-send}
accounts=${ACCOUNTS:-2000}
connections=${CONNECTIONS:-8}
base=${BASE_PORT:-27600}
work=$(mktemp -d /tmp/aitbc-bench.XXXXXX)
out=${OUT:-$work/out}
mkdir -p "$out"

pids=()
cleanup() {
	# Localnet nodes that started before another failed are known by their pid files only.
	for f in "$work"/localnet/node*/aitbcd.pid; do [ -f "$f" ] && pids+=("$(cat "$f")"); done
	for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
	sleep 2
	for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
	rm -rf "$work/devnet" "$work/localnet"
}
trap cleanup EXIT

rpc_port=$((base + 1))
case "$net" in
devnet)
	home=$work/devnet
	"$bin" devnet --home "$home" --no-start >/dev/null
	BLOCK_TIME=$block_time setsid "$bin" devnet --home "$home" -- \
		--p2p.laddr "tcp://127.0.0.1:$base" --rpc.laddr "tcp://127.0.0.1:$rpc_port" \
		--grpc.address "127.0.0.1:$((base + 2))" --api.address "tcp://127.0.0.1:$((base + 3))" ${START_FLAGS:-} \
		>"$work/devnet.log" 2>&1 &
	pids=($!)
	;;
localnet)
	BLOCK_TIME=$block_time "$bin" localnet start --home "$work/localnet" --base-port "$base" --validators 4 >"$work/localnet.log"
	home=$work/localnet/node0
	for f in "$work"/localnet/node*/aitbcd.pid; do pids+=("$(cat "$f")"); done
	;;
*)
	echo "unknown network $net" >&2
	exit 2
	;;
esac

for _ in $(seq 1 120); do
	h=$(curl -s "http://127.0.0.1:$rpc_port/status" | jq -r '.result.sync_info.latest_block_height' 2>/dev/null || echo 0)
	[ "${h:-0}" -ge 2 ] 2>/dev/null && break
	sleep 1
done

pid_flags=()
for p in "${pids[@]}"; do pid_flags+=(--pid "$p"); done

# run NAME RATE: one bench load run, its JSON report kept as $out/NAME.json.
run() {
	"$bin" bench load --home "$home" --node "tcp://127.0.0.1:$rpc_port" --from faucet --kind "$kind" \
		--accounts "$accounts" --connections "$connections" --rate "$2" --duration "$duration" --json "${pid_flags[@]}" \
		>"$out/$1.json" 2>"$out/$1.log" || echo "run $1: not every transaction committed (see $out/$1.json)" >&2
	jq -c "{run: \"$1\", target_rate, offered_tps, committed_tps, sent, committed, p50: .latency.p50_ms, p90: .latency.p90_ms, p99: .latency.p99_ms, max: .latency.max_ms, blk_ms: .blocks.interval_mean_ms, rounds: .blocks.rounds_per_height_mean, mempool_peak, nodes: [.nodes[]? | {cpu: .cpu_percent, rss: .peak_rss_mib}]}" "$out/$1.json"
}

median() { jq -s "map($1) | sort | .[(length - 1) / 2 | floor]" "${@:2}"; }

echo "# $net, BLOCK_TIME=$block_time, kind=$kind, $connections connections, start flags '${START_FLAGS:-}', $runs runs of $duration, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$runs"); do run "sat$i" "$sat_rate"; done
sat=$(median .committed_tps "$out"/sat*.json)
half=${HALF_RATE:-$(jq -n "$sat / 2 | floor")}
for i in $(seq 1 "$runs"); do run "half$i" "$half"; done
echo "# median saturation committed TPS (offered $sat_rate/s): $sat"
echo "# at $half/s: median committed TPS $(median .committed_tps "$out"/half*.json)," \
	"p50 $(median .latency.p50_ms "$out"/half*.json) ms, p90 $(median .latency.p90_ms "$out"/half*.json) ms," \
	"p99 $(median .latency.p99_ms "$out"/half*.json) ms, max $(median .latency.max_ms "$out"/half*.json) ms," \
	"all committed: $(jq -s 'all(.sent == .committed)' "$out"/half*.json)"
echo "# peak RSS of any node in any run: $(jq -s '[.[].nodes[]?.peak_rss_mib] | max' "$out"/*.json) MiB; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
