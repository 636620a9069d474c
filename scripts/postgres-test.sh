#!/usr/bin/env bash
# A throw-away PostgreSQL server for tests and benchmarks, from Debian's
# `postgresql` package (installed here when missing, which needs root).
#
#   scripts/postgres-test.sh start PORT   initdb a cluster in a new temp dir and start it on
#                                         127.0.0.1:PORT; prints PGDIR=… and DATABASE_URL=…
#   scripts/postgres-test.sh stop PGDIR     stop the server (the data stays: an outage)
#   scripts/postgres-test.sh resume PGDIR   start it again on the same port
#   scripts/postgres-test.sh destroy PGDIR  stop it and delete the cluster
#
# The server listens only on 127.0.0.1 (and a socket inside PGDIR), trusts
# local connections, and runs as the `postgres` user when invoked by root
# (PostgreSQL refuses to run as root).
set -euo pipefail

pgbin() {
	local dir
	dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
		if [ "$(id -u)" != 0 ]; then
			echo "postgres-test: PostgreSQL is not installed and installing it needs root (apt-get install postgresql)" >&2
			exit 1
		fi
		echo "postgres-test: installing Debian's postgresql package" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >&2
		apt-get install -y -qq --no-install-recommends postgresql >&2
		dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	fi
	echo "$dir"
}

# as_owner runs a command as the cluster's owner: postgres when we are root.
as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pgctl() {
	local pgdir=$1; shift
	as_owner "$(pgbin)/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" "$@"
}

start_server() {
	local pgdir=$1 port
	port=$(cat "$pgdir/port")
	pgctl "$pgdir" -w -t 60 -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$pgdir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >&2
}

cmd=${1:-}
case "$cmd" in
start)
	port=${2:?usage: postgres-test.sh start PORT}
	bin=$(pgbin)
	pgdir=$(mktemp -d "${TMPDIR:-/tmp}/aitbc-pg.XXXXXX")
	chmod 755 "$pgdir"
	echo "$port" >"$pgdir/port"
	if [ "$(id -u)" = 0 ]; then chown postgres: "$pgdir"; fi
	as_owner "$bin/initdb" -D "$pgdir/data" -U aitbc --auth=trust -E UTF8 --no-locale >"$pgdir/initdb.log" 2>&1 ||
		{ cat "$pgdir/initdb.log" >&2; exit 1; }
	start_server "$pgdir"
	as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U aitbc aitbc
	echo "PGDIR=$pgdir"
	echo "DATABASE_URL=postgresql://aitbc@127.0.0.1:$port/aitbc?sslmode=disable"
	;;
stop)
	pgdir=${2:?usage: postgres-test.sh stop PGDIR}
	pgctl "$pgdir" -w -m fast stop >&2
	;;
resume)
	pgdir=${2:?usage: postgres-test.sh resume PGDIR}
	start_server "$pgdir"
	;;
destroy)
	pgdir=${2:?usage: postgres-test.sh destroy PGDIR}
	case "$pgdir" in */aitbc-pg.*) ;; *) echo "postgres-test: refusing to delete $pgdir" >&2; exit 1 ;; esac
	if [ -f "$pgdir/data/postmaster.pid" ]; then pgctl "$pgdir" -w -m immediate stop >&2 || true; fi
	rm -rf "$pgdir"
	;;
*)
	sed -n '2,13p' "$0" >&2
	exit 2
	;;
esac
