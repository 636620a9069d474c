#!/usr/bin/env bash
# bench-retention.sh — what pruning, block retention and the IAVL cache save: for each
# profile a new devnet (BLOCK_TIME=300ms) takes the same load (`aitbcd bench load`, bank sends),
# then the node's data/ sizes and its peak RSS are read. Medians of RUNS runs per profile.
#
# Profiles (app.toml keys, given as `aitbcd start` flags or AITBCD_<KEY> variables):
#   archive      pruning=nothing, min-retain-blocks=0, iavl-cache-size=100000 (the default cache)
#   pruned       pruning=custom keep-recent=100 interval=10, min-retain-blocks=100
#   pruned-cache pruned, with iavl-cache-size=20000
# Block pruning is also bounded by the chain's consensus param evidence.max_age_num_blocks
# (100,000 by default, about 28 h at 1 s blocks): the runs set it to 100 in the devnet's
# genesis so that min-retain-blocks=100 takes effect within a run.
# The SQL index (data/index.db) and CometBFT's tx index (data/tx_index.db) are listed apart:
# neither is pruned. Environment: RUNS=3, RATE=300 (tx/s), DURATION=60s, BASE_PORT=27700, AITBCD_BIN=build/aitbcd
set -euo pipefail

bin=$(realpath "${AITBCD_BIN:-build/aitbcd}")
runs=${RUNS:-3}
rate=${RATE:-300}
duration=${DURATION:-60s}
base=${BASE_PORT:-27700}
work=$(mktemp -d /tmp/aitbc-retention.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && { kill -TERM -- "-$pid" 2>/dev/null || true; sleep 2; kill -KILL -- "-$pid" 2>/dev/null || true; }
	rm -rf "$work"
}
trap cleanup EXIT
rpc_port=$((base + 1))

# mib DIR: size of DIR in MiB (0 if absent).
mib() { if [ -e "$1" ]; then du -sm "$1" | cut -f1; else echo 0; fi; }

# run PROFILE N: one devnet run; prints a JSON line of the figures.
run() {
	local profile=$1 home=$work/$1-$2 flags=() env=() load_flags=()
	case "$profile" in
	archive) flags=(--pruning nothing --min-retain-blocks 0) ;;
	pruned) flags=(--pruning custom --pruning-keep-recent 100 --pruning-interval 10 --min-retain-blocks 100) ;;
	pruned-cache) flags=(--pruning custom --pruning-keep-recent 100 --pruning-interval 10 --min-retain-blocks 100)
		env=(AITBCD_IAVL_CACHE_SIZE=20000) ;;
	esac
	# A pruned node drops a block's results with the block: read them while they are there.
	[ "$profile" != archive ] && load_flags=(--live-results)
	"$bin" devnet --home "$home" --no-start >/dev/null
	local genesis=$home/config/genesis.json
	jq '.consensus.params.evidence.max_age_num_blocks = "100"' "$genesis" >"$genesis.new" && mv "$genesis.new" "$genesis"
	env "${env[@]}" BLOCK_TIME=300ms setsid "$bin" devnet --home "$home" -- \
		--p2p.laddr "tcp://127.0.0.1:$base" --rpc.laddr "tcp://127.0.0.1:$rpc_port" \
		--grpc.address "127.0.0.1:$((base + 2))" --api.address "tcp://127.0.0.1:$((base + 3))" "${flags[@]}" \
		>"$home.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 120); do
		h=$(curl -s "http://127.0.0.1:$rpc_port/status" | jq -r '.result.sync_info.latest_block_height' 2>/dev/null || echo 0)
		[ "${h:-0}" -ge 2 ] 2>/dev/null && break
		sleep 1
	done
	"$bin" bench load --home "$home" --node "tcp://127.0.0.1:$rpc_port" --from faucet --rate "$rate" \
		--duration "$duration" --accounts 1000 --json --pid "$pid" "${load_flags[@]}" >"$home.json" 2>"$home.load.log" || true
	sleep 12 # CometBFT prunes blocks in the background, every 10 s
	local status earliest latest
	status=$(curl -s "http://127.0.0.1:$rpc_port/status")
	earliest=$(jq -r .result.sync_info.earliest_block_height <<<"$status")
	latest=$(jq -r .result.sync_info.latest_block_height <<<"$status")
	local hwm rss
	hwm=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$pid/status")
	rss=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status")
	kill -TERM -- "-$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=
	jq -cn --arg p "$profile" --argjson committed "$(jq .committed "$home.json")" \
		--argjson earliest "$earliest" --argjson latest "$latest" --argjson hwm "$hwm" --argjson rss "$rss" \
		--argjson app "$(mib "$home/data/application.db")" --argjson blocks "$(mib "$home/data/blockstore.db")" \
		--argjson state "$(mib "$home/data/state.db")" --argjson total "$(mib "$home/data")" \
		--argjson txindex "$(mib "$home/data/tx_index.db")" --argjson sqlindex "$(( $(mib "$home/data/index.db") + $(mib "$home/data/index.db-wal") ))" \
		'{profile: $p, committed: $committed, earliest_block: $earliest, latest_block: $latest, peak_rss_mib: $hwm, rss_mib: $rss,
		  application_db_mib: $app, blockstore_db_mib: $blocks, state_db_mib: $state, tx_index_db_mib: $txindex,
		  sql_index_mib: $sqlindex, data_mib: $total}'
	rm -rf "$home"
}

echo "# retention profiles: $runs runs each of $duration at $rate tx/s, BLOCK_TIME=300ms, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$runs"); do
	for p in archive pruned pruned-cache; do run "$p" "$i" | tee -a "$work/all.jsonl"; done
done
echo "# medians per profile:"
jq -sc 'group_by(.profile)[] | . as $g | {profile: .[0].profile} + (reduce ("committed","earliest_block","peak_rss_mib","application_db_mib","blockstore_db_mib","state_db_mib","tx_index_db_mib","sql_index_mib","data_mib") as $k ({}; .[$k] = ($g | map(.[$k]) | sort | .[(length - 1) / 2 | floor])))' "$work/all.jsonl"
