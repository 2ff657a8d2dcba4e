# testlib.sh -- shared helpers for the integration scripts (sourced).
#
# Each script runs a private sipeat-devbroker (librdkafka's mock cluster,
# real Kafka protocol over TCP on 127.0.0.1) in its own temporary
# directory, and everything it started is killed on exit by the trap.

set -u
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
: "${SIPEATD:=$top_builddir/src/sipeatd}"
: "${DEVBROKER:=$top_builddir/tools/sipeat-devbroker}"
: "${PUBLISH:=$top_builddir/tools/sipeat-publish}"
export SIPEATD DEVBROKER PUBLISH

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/sipeat-test.XXXXXX")
PIDS=""

cleanup() {
	for p in $PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "${KEEP_TMP:-}" = "" ]; then
		rm -rf "$TMPD"
	else
		echo "kept $TMPD" >&2
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*" >&2
	for f in "$TMPD"/*.log; do
		[ -f "$f" ] || continue
		echo "---- $f (last 30 lines)" >&2
		tail -n 30 "$f" >&2
	done
	exit 1
}

need() {
	command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 not installed"; exit 77; }
}

# start_broker [PARTITIONS]: sets BROKERS.
start_broker() {
	"$DEVBROKER" -q -p "${1:-6}" -f "$TMPD/brokers" >"$TMPD/broker.log" 2>&1 &
	BROKER_PID=$!
	PIDS="$PIDS $BROKER_PID"
	i=0
	while [ ! -s "$TMPD/brokers" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "devbroker did not start"
		sleep 0.1
	done
	BROKERS=$(cat "$TMPD/brokers")
}

# wait_lines FILE N SECONDS: waits until FILE has at least N lines.
wait_lines() {
	i=0
	while :; do
		n=0
		[ -f "$1" ] && n=$(wc -l <"$1")
		[ "$n" -ge "$2" ] && return 0
		i=$((i + 1))
		[ $i -gt $(($3 * 10)) ] && return 1
		sleep 0.1
	done
}

# run_timeout SECONDS CMD...: runs CMD, killing it after SECONDS.
run_timeout() {
	t=$1
	shift
	timeout -k 5 "$t" "$@"
}
