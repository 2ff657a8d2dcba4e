# faultlib.sh -- helpers shared by the fault-injection scripts (sourced
# after ../testlib.sh).
#
# Method: N events are published up front, spread over the three SipEat
# topics and over NKEYS keys per type, with ids ev-NNNNNN numbered in
# publishing order (so, per key, a larger number was published later).
# sipeatd runs with one `log` stage per handler whose message is the event
# id; with -l info the line "... info  stage: record: ev-000042" reaches the
# daemon's stderr, kept in $TMPD/NAME.log per process. A line is written
# (and flushed) before the stage returns, so before the offset can be
# committed: an id missing from every log is an event lost. The checker
# (check_ids) reads the logs in start order and asserts every id at least
# once; it prints duplicates per run and, per process and key, that ids
# came in publishing order between two rebalances.
#
# The devbroker runs with fault control: ctl CMD writes CMD to its FIFO and
# waits for the answer line, so the fault is in effect when ctl returns.
# Helpers keep their own variables under names starting with "_".
#
# Pace: sipeatd records ids with a log stage at about 40,000 a second here,
# too fast to place a fault "mid-run". THROTTLE (KAFKA_CONF and
# PUBLISH_OPTS, with "ctl rtt 1 50") makes fetches small and slow: small
# producer batches, 4 KB per partition and 32 KB per fetch, 50 ms a round
# trip -- about 3,500 events a second.

: "${NKEYS:=50}"
RUNS=""

THROTTLE_KAFKA='max.partition.fetch.bytes = 4096
fetch.max.bytes = 32768
message.max.bytes = 30000'
THROTTLE_PUBLISH='-X batch.num.messages=50'

# start_fault_broker BROKERS PARTITIONS: sets BROKERS, BROKER_PID, CTL.
start_fault_broker() {
	CTL="$TMPD/ctl"
	: >"$TMPD/ctl.reply"
	"$DEVBROKER" -q -n "$1" -p "$2" -c "$CTL" -C "$TMPD/ctl.reply" \
		-f "$TMPD/brokers" >"$TMPD/broker.out" 2>"$TMPD/broker.err" &
	BROKER_PID=$!
	PIDS="$PIDS $BROKER_PID"
	_i=0
	while [ ! -s "$TMPD/brokers" ]; do
		_i=$((_i + 1))
		[ $_i -gt 100 ] && fail "devbroker did not start"
		sleep 0.1
	done
	BROKERS=$(cat "$TMPD/brokers")
}

# ctl CMD...: applies one fault command; fails the test on an error reply.
ctl() {
	_ctl_n=$(wc -l <"$TMPD/ctl.reply")
	printf '%s\n' "$*" | run_timeout 10 sh -c 'cat >"$1"' sh "$CTL" ||
		fail "ctl $*: cannot write to the control FIFO"
	_ctl_i=0
	while [ "$(wc -l <"$TMPD/ctl.reply")" -le "$_ctl_n" ]; do
		_ctl_i=$((_ctl_i + 1))
		[ $_ctl_i -gt 100 ] && fail "ctl $*: no answer"
		sleep 0.05
	done
	_ctl_reply=$(sed -n "$((_ctl_n + 1))p" "$TMPD/ctl.reply")
	case $_ctl_reply in
	ok:*) echo "fault: $*" ;;
	*) fail "ctl $*: $_ctl_reply" ;;
	esac
}

# publish_events N [FIRST]: publishes ids ev-FIRST .. ev-(FIRST+N-1),
# with PUBLISH_OPTS (sipeat-publish options) if set.
publish_events() {
	publish_events_file "$1" "${2:-0}"
	"$PUBLISH" -q -b "$BROKERS" --json ${PUBLISH_OPTS:-} \
		<"$TMPD/events.jsonl" || fail "publish"
}

# publish_events_file N FIRST: writes those events to $TMPD/events.jsonl.
publish_events_file() {
	python3 - "$1" "$2" "$NKEYS" >"$TMPD/events.jsonl" <<'PY'
import json, sys
n, first, nkeys = (int(a) for a in sys.argv[1:4])
for i in range(first, first + n):
    k = i % nkeys
    eid = "ev-%06d" % i
    t = i % 3
    if t == 0:
        ev = {"id": eid, "type": "contact.created",
              "data": {"name": "n%d" % i, "email": "c%d@example.com" % k}}
    elif t == 1:
        ev = {"id": eid, "type": "request.created",
              "data": {"customerName": "c%d" % i, "drinkName": "tea",
                       "machineId": "R-%d" % k}}
    else:
        ev = {"id": eid, "type": "machine.created",
              "data": {"machineId": "M-%d" % k, "name": "m%d" % i}}
    print(json.dumps(ev))
PY
}

# publish_stream N CHUNK INTERVAL [FIRST]: publishes N events in the
# background, CHUNK at a time every INTERVAL seconds, as a web application
# would over time; sets PUB_PID (exit 0 once all were delivered).
publish_stream() {
	publish_events_file "$1" "${4:-0}"
	rm -f "$TMPD"/chunk.*
	split -l "$2" "$TMPD/events.jsonl" "$TMPD/chunk."
	(
		for _c in "$TMPD"/chunk.*; do
			"$PUBLISH" -q -b "$BROKERS" --json <"$_c" || exit 1
			sleep "$3"
		done
	) &
	PUB_PID=$!
	PIDS="$PIDS $PUB_PID"
}

# write_conf FILE [LINES...]: a config recording ids with a log stage;
# extra lines go to the [sipeatd] section, KAFKA_CONF (lines) to [kafka].
write_conf() {
	_f=$1
	shift
	{
		cat <<CONF
[kafka]
session.timeout.ms = 6000
auto.offset.reset = earliest
auto.commit.interval.ms = 200
${KAFKA_CONF:-}

[sipeatd]
CONF
		for _l in "$@"; do
			printf '%s\n' "$_l"
		done
		cat <<'CONF'

[discord]
linger.ms = 50

[handler contact.created]
stages = record

[handler request.created]
stages = record

[handler machine.created]
stages = record

[stage record]
action = log
message = ${id}
CONF
	} >"$_f"
}

# start_sipeatd NAME CONF [ARGS...]: starts sipeatd --dry-run in the
# background, stderr in $TMPD/NAME.log, stdout (the webhook payloads) in
# $TMPD/NAME.out if KEEP_PAYLOADS is set; sets SPID and records NAME as a
# run.
start_sipeatd() {
	_name=$1
	_conf=$2
	shift 2
	_out=/dev/null
	[ "${KEEP_PAYLOADS:-}" = "" ] || _out="$TMPD/$_name.out"
	"$SIPEATD" -n -l info -c "$_conf" -b "$BROKERS" "$@" \
		>"$_out" 2>"$TMPD/$_name.log" &
	SPID=$!
	PIDS="$PIDS $SPID"
	RUNS="$RUNS $_name"
}

# recorded [NAME...]: number of id lines recorded by the runs (all runs).
recorded() {
	if [ $# -eq 0 ]; then
		set -- $RUNS
	fi
	_n=0
	for _r in "$@"; do
		[ -f "$TMPD/$_r.log" ] || continue
		_n=$((_n + $(grep -c ' stage: record: ev-' "$TMPD/$_r.log")))
	done
	echo "$_n"
}

# wait_recorded N SECONDS [NAME...]: waits until N id lines are recorded.
wait_recorded() {
	_want=$1
	_secs=$2
	shift 2
	_i=0
	while [ "$(recorded "$@")" -lt "$_want" ]; do
		_i=$((_i + 1))
		[ $_i -gt $((_secs * 10)) ] && return 1
		sleep 0.1
	done
	return 0
}

# check_ids N [OPTIONS]: every id of 0..N-1 recorded at least once by the
# runs, in start order; per-key order within each process between
# rebalances. Options: --shared (every run recorded some ids).
check_ids() {
	python3 - "$TMPD" "$1" "$NKEYS" "${2:-}" $RUNS <<'PY'
import re, sys
tmpd, n, nkeys, opt = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
runs = sys.argv[5:]
rec = re.compile(r" stage: record: ev-(\d+)$")
reb = re.compile(r" consumer: (assigned|revoking) ")
seen = set()
problems = []
for r in runs:
    ids = []
    last = {}
    epoch = 0
    for line in open("%s/%s.log" % (tmpd, r), errors="replace"):
        if reb.search(line):
            epoch += 1
            last = {}
            continue
        m = rec.search(line.rstrip("\n"))
        if not m:
            continue
        i = int(m.group(1))
        ids.append(i)
        key = (i % 3, i % nkeys)
        if key in last and i <= last[key]:
            problems.append("%s: key %s: ev-%06d after ev-%06d in one "
                            "assignment" % (r, key, i, last[key]))
        last[key] = i
    s = set(ids)
    again = len(s & seen)
    print("run %s: %d ids recorded, %d new, %d recorded by an earlier run, "
          "%d twice in this run" % (r, len(ids), len(s - seen), again,
                                    len(ids) - len(s)))
    if opt == "--shared" and not ids:
        problems.append("run %s recorded nothing: partitions not shared" % r)
    seen |= s
missing = sorted(set(range(n)) - seen)
extra = sorted(seen - set(range(n)))
if missing:
    problems.append("%d of %d ids lost, e.g. %s" % (len(missing), n,
                    ["ev-%06d" % i for i in missing[:5]]))
if extra:
    problems.append("%d unknown ids recorded" % len(extra))
for p in problems[:20]:
    print("PROBLEM: " + p)
print("checked %d ids: %d recorded, %d lost" % (n, len(seen & set(range(n))),
                                               len(missing)))
sys.exit(1 if problems else 0)
PY
}
