#!/usr/bin/env bash
# Installs the few system packages the tests need beyond Go: a real Prometheus
# server scrapes the facade's metrics endpoint in tests/system, and its promtool
# unit-tests the alert rules (networks/monitoring). It installs
# only what is missing, so a prepared machine runs no apt at all.
set -euo pipefail

if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
	exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
	sudo="sudo"
fi
# The package's service is not wanted: the tests run their own server.
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
$sudo apt-get install -y --no-install-recommends prometheus
