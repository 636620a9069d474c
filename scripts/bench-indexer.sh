#!/usr/bin/env bash
# Indexer benchmarks, RUNS runs each, medians printed at the end. Figures only:
# nothing here passes or fails on speed.
#  1. write throughput (blocks/s, tx/s) into SQLite and into a throw-away
#     PostgreSQL (scripts/postgres-test.sh), and tx decoding (tx/s);
#  2. the node's committed TPS under a load of TPS_TXS bank sends with the
#     indexer off, on SQLite and on PostgreSQL, and the index's lag after it.
#   RUNS=5 BENCHTIME=3x TPS_RUNS=5 TPS_TXS=4500 scripts/bench-indexer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
benchtime=${BENCHTIME:-3x}
tps_runs=${TPS_RUNS:-5}
export TPS_TXS=${TPS_TXS:-4500}

port=
for _ in $(seq 50); do
	p=$((20000 + RANDOM % 40000))
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "bench-indexer: no free port" >&2; exit 1; }

out=$(scripts/postgres-test.sh start "$port")
pgdir=$(sed -n 's/^PGDIR=//p' <<<"$out")
url=$(sed -n 's/^DATABASE_URL=//p' <<<"$out")
trap 'scripts/postgres-test.sh destroy "$pgdir"' EXIT

raw=$(mktemp)
INDEXER_BENCH_DATABASE_URL=$url go test -run '^$' -bench 'BenchmarkIndexWrite|BenchmarkFromRPC' \
	-benchtime "$benchtime" -count "$runs" ./indexer/ | tee "$raw"

make build
# Rounds of off, SQLite, PostgreSQL in turn, so that a change of the machine's
# load over time does not favour one of them.
for _ in $(seq "$tps_runs"); do
	AITBCD_BIN=$PWD/build/aitbcd go test -run '^$' -bench BenchmarkCommittedTPS -benchtime 1x -count 1 \
		-timeout 30m ./tests/system/ | tee -a "$raw"
done

echo
echo "medians of $runs runs (write, decode) and $tps_runs runs of $TPS_TXS txs (committed TPS) ($(nproc) CPUs, $(go env GOOS)/$(go env GOARCH), PostgreSQL $("$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)/postgres" --version | awk '{print $3}')):"
awk '/^Benchmark/ {
	name=$1; sub(/-[0-9]+$/, "", name)
	for (i = 3; i < NF; i++) if ($(i+1) ~ /^(blocks\/s|tx\/s|committed_tx\/s|index_lag_s)$/) print name, $(i+1), $i
}' "$raw" | sort -k1,1 -k2,2 -k3,3g | awk '
	{ key = $1 " " $2; v[key, ++n[key]] = $3; if (!(key in seen)) { seen[key] = 1; order[++k] = key } }
	END { for (i = 1; i <= k; i++) { key = order[i]; c = n[key]; m = (c % 2) ? v[key, (c+1)/2] : (v[key, c/2] + v[key, c/2+1]) / 2; printf "  %-55s %12.1f\n", key, m } }'
rm -f "$raw"
