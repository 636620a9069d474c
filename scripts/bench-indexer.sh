#!/usr/bin/env bash
# Indexer throughput benchmark: blocks/s and tx/s written into SQLite and into
# a throw-away PostgreSQL (scripts/postgres-test.sh), RUNS runs each, medians
# printed at the end. Figures only: nothing here passes or fails on speed.
#   RUNS=5 BENCHTIME=5x scripts/bench-indexer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
benchtime=${BENCHTIME:-5x}

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

echo
echo "medians of $runs runs ($(nproc) CPUs, $(go env GOOS)/$(go env GOARCH), PostgreSQL $("$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)/postgres" --version | awk '{print $3}')):"
awk '/^Benchmark/ {
	name=$1; sub(/-[0-9]+$/, "", name)
	for (i = 3; i < NF; i++) if ($(i+1) == "blocks/s" || $(i+1) == "tx/s") print name, $(i+1), $i
}' "$raw" | sort -k1,1 -k2,2 -k3,3g | awk '
	{ key = $1 " " $2; v[key, ++n[key]] = $3; if (!(key in seen)) { seen[key] = 1; order[++k] = key } }
	END { for (i = 1; i <= k; i++) { key = order[i]; c = n[key]; m = (c % 2) ? v[key, (c+1)/2] : (v[key, c/2] + v[key, c/2+1]) / 2; printf "  %-55s %12.1f\n", key, m } }'
rm -f "$raw"
