#!/usr/bin/env bash
# make test-monitoring: the alert rules parse, every alert has a promtool
# unit test that names it, and the tests pass. promtool comes with Debian's
# prometheus package (scripts/ci-deps.sh).
set -euo pipefail
cd "$(dirname "$0")"
promtool=$(command -v promtool || true)
if [ -z "$promtool" ]; then
	echo "promtool not installed: run scripts/ci-deps.sh" >&2
	exit 1
fi
"$promtool" check rules rules/*.yml
missing=0
for alert in $(sed -n 's/^ *- alert: *\([A-Za-z0-9_]*\).*/\1/p' rules/*.yml); do
	if ! grep -q "alertname: *$alert\$" tests/*.yml; then
		echo "alert $alert has no test in networks/monitoring/tests" >&2
		missing=1
	fi
done
[ "$missing" = 0 ]
"$promtool" test rules tests/*.yml
