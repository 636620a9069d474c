#!/usr/bin/env bash
# bench-speedtest.sh — execution-only TPS (cosmos-sdk tools/speedtest) of the
# stock SDK baseline, the AITBC app as the node runs it, and the AITBC app
# with the sequential executor. Each app runs in a FRESH PROCESS, and the
# three rotate round by round, so neither heap left behind by an earlier app
# nor drifting machine load favours one of them. Prints every run, then the
# medians and the median of the per-round ratios.
#
# Environment:
#   ROUNDS=5            rounds of (baseline, aitbc, aitbc-sequential)
#   ACCOUNTS=10000      genesis accounts
#   BLOCKS=10           blocks of TXS bank sends each
#   TXS=2000
#   TAGS=               go build tags, e.g. libsecp256k1_sdk (the SDK's cgo secp256k1)
#   EXTRA=              more test binary flags, e.g. "-set block-stm-pre-estimate=true"
#                       (-set overrides an app.toml key of the aitbc runs)
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-5}
accounts=${ACCOUNTS:-10000}
blocks=${BLOCKS:-10}
txs=${TXS:-2000}
bin=build/speedtest.test
go test -c ${TAGS:+-tags "$TAGS"} -o "$bin" ./tests/speedtest/

results=$(mktemp)
trap 'rm -f "$results"' EXIT
echo "speedtest: $rounds rounds, $accounts accounts, $blocks blocks of $txs sends, tags '${TAGS:-}', load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
	for app in baseline aitbc aitbc-sequential; do
		tps=$(cd tests/speedtest && "../../$bin" -test.run '^$' -test.bench "Speedtest/$app\$" -test.benchtime 1x \
			-test.timeout 60m -accounts "$accounts" -blocks "$blocks" -txs "$txs" ${EXTRA:-} |
			awk '/^BenchmarkSpeedtest/ { for (i = 1; i < NF; i++) if ($(i+1) == "tx/s") print $i }')
		[ -n "$tps" ] || { echo "no TPS from $app" >&2; exit 1; }
		echo "round $r  $app  $tps tx/s"
		echo "$r $app $tps" >>"$results"
	done
done

awk -v load="$(cut -d' ' -f1-3 /proc/loadavg)" '
function median(a, n,   i, j, t) {
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
{ tps[$2, $1] = $3; rounds[$1] = 1 }
END {
	for (r in rounds) n++
	split("baseline aitbc aitbc-sequential", apps, " ")
	for (k = 1; k <= 3; k++) {
		m = 0; for (r = 1; r <= n; r++) v[++m] = tps[apps[k], r]
		printf "median %-17s %8.0f tx/s\n", apps[k], median(v, m)
	}
	for (k = 2; k <= 3; k++) {
		m = 0; for (r = 1; r <= n; r++) v[++m] = tps[apps[k], r] / tps["baseline", r]
		printf "median ratio %-17s / baseline (same round) %.2f\n", apps[k], median(v, m)
	}
	print "load average after: " load
}' "$results"
