#!/usr/bin/env bash
# bench-speedtest.sh — execution-only TPS (cosmos-sdk tools/speedtest) of:
#   baseline          the stock SDK app, stock build (pure-Go secp256k1)
#   baseline+tags     the same app built with the node's build tags (shown when TAGS is set)
#   aitbc             the AITBC app as the node runs it: node build tags, Block-STM
#   aitbc-sequential  the same with the sequential executor
# Each app runs in a FRESH PROCESS, and they rotate round by round, so neither
# heap left behind by an earlier app nor drifting machine load favours one of
# them. Prints every run, then medians and medians of the same-round ratios.
#
# Environment:
#   ROUNDS=5            rounds of (baseline, aitbc, aitbc-sequential)
#   ACCOUNTS=10000      genesis accounts
#   BLOCKS=10           blocks of TXS bank sends each
#   TXS=2000
#   TAGS=               the node's go build tags (make passes BUILD_TAGS: libsecp256k1_sdk,
#                       the SDK's cgo secp256k1, when a C compiler is installed)
#   APPS=               a subset of the apps above, space-separated, baseline first
#   EXTRA=              more test binary flags, e.g. "-set block-stm-pre-estimate=true"
#                       (-set overrides an app.toml key of the aitbc runs)
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-5}
accounts=${ACCOUNTS:-10000}
blocks=${BLOCKS:-10}
txs=${TXS:-2000}
stock=build/speedtest-stock.test
node=build/speedtest-node.test
go test -c -o "$stock" ./tests/speedtest/
go test -c ${TAGS:+-tags "$TAGS"} -o "$node" ./tests/speedtest/

# run NAME BINARY BENCH: one speedtest in a fresh process; prints its TPS.
run() {
	(cd tests/speedtest && "../../$2" -test.run '^$' -test.bench "Speedtest/$3\$" -test.benchtime 1x \
		-test.timeout 60m -accounts "$accounts" -blocks "$blocks" -txs "$txs" ${EXTRA:-} |
		awk '/^BenchmarkSpeedtest/ { for (i = 1; i < NF; i++) if ($(i+1) == "tx/s") print $i }')
}

apps="baseline aitbc aitbc-sequential"
[ -z "${TAGS:-}" ] || apps="baseline baseline+tags aitbc aitbc-sequential"
apps=${APPS:-$apps}
results=$(mktemp)
trap 'rm -f "$results"' EXIT
echo "speedtest: $rounds rounds, $accounts accounts, $blocks blocks of $txs sends, node tags '${TAGS:-}', load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
	for app in $apps; do
		case $app in
		baseline) tps=$(run "$app" "$stock" baseline) ;;
		baseline+tags) tps=$(run "$app" "$node" baseline) ;;
		*) tps=$(run "$app" "$node" "$app") ;;
		esac
		[ -n "$tps" ] || { echo "no TPS from $app" >&2; exit 1; }
		echo "round $r  $app  $tps tx/s"
		echo "$r $app $tps" >>"$results"
	done
done

awk -v load="$(cut -d' ' -f1-3 /proc/loadavg)" -v apps="$apps" '
function median(a, n,   i, j, t) {
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
{ tps[$2, $1] = $3; rounds[$1] = 1 }
END {
	for (r in rounds) n++
	k = split(apps, name, " ")
	for (i = 1; i <= k; i++) {
		m = 0; for (r = 1; r <= n; r++) v[++m] = tps[name[i], r]
		printf "median %-17s %8.0f tx/s\n", name[i], median(v, m)
	}
	for (i = 2; i <= k; i++) {
		m = 0; for (r = 1; r <= n; r++) v[++m] = tps[name[i], r] / tps["baseline", r]
		printf "median ratio %-17s / baseline (same round) %.2f\n", name[i], median(v, m)
	}
	print "load average after: " load
}' "$results"
