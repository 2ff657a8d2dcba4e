# replaylib.sh -- helpers of the sipeat-replay scripts (sourced after
# testlib.sh).
#
# The pipeline under test: request.created events run one exec stage,
# $TMPD/pay.sh, which fails ("payment service down", exit 1, not retried)
# until the flag file $TMPD/fixed exists -- the "fix". contact.created
# events run a log stage and always succeed. sipeatd runs with -e -n, so
# what it processed is read from the webhook payloads on its stdout.

: "${REPLAY:=$top_builddir/tools/sipeat-replay}"
export REPLAY
need kcat
need python3

# write_replay_conf: the sipeatd config ($TMPD/d.conf) and pay.sh.
write_replay_conf() {
	cat >"$TMPD/pay.sh" <<EOF
#!/bin/sh
cat >/dev/null
[ -f "$TMPD/fixed" ] && exit 0
echo "payment service down" >&2
exit 1
EOF
	chmod +x "$TMPD/pay.sh"
	cat >"$TMPD/d.conf" <<EOF
[kafka]
session.timeout.ms = 6000
auto.offset.reset = earliest

[sipeatd]
dlq.topic = sipeat.dlq

[discord]
linger.ms = 50

[handler request.created]
stages = pay

[stage pay]
action = exec
command = $TMPD/pay.sh
retries = 0

[handler contact.created]
stages = note

[stage note]
action = log
message = contact \${id}
EOF
}

# run_sipeatd NAME: sipeatd -e -n over what is in the topics (group
# sipeatd); payloads in $TMPD/NAME.json, log in $TMPD/NAME.log.
run_sipeatd() {
	run_timeout 90 "$SIPEATD" -e -n -c "$TMPD/d.conf" -b "$BROKERS" \
		>"$TMPD/$1.json" 2>"$TMPD/$1.log" || fail "sipeatd ($1) exited $?"
}

# processed NAME: the event ids of the success embeds of run NAME, one a
# line, sorted (repeats kept).
processed() {
	python3 - "$TMPD/$1.json" <<'PY'
import json, sys
ids = []
for line in open(sys.argv[1], encoding="utf-8"):
    for e in json.loads(line)["embeds"]:
        if e["title"].endswith("event processed"):
            ids += [f["value"] for f in e["fields"] if f["name"] == "Event ID"]
for i in sorted(ids):
    print(i)
PY
}

# failed_embeds NAME: how many embeds of run NAME say "failed".
failed_embeds() {
	python3 - "$TMPD/$1.json" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    n += sum(1 for e in json.loads(line)["embeds"] if "failed" in e["title"])
print(n)
PY
}

# dump TOPIC FILE: every message of TOPIC as "key|value|headers" lines.
dump() {
	run_timeout 30 kcat -C -b "$BROKERS" -t "$1" -e -q -f '%k|%s|%h\n' \
		>"$2" 2>/dev/null || fail "kcat -C $1"
}

# ids FILE: the "id" of each dumped value, sorted (repeats kept).
ids() {
	sed -n 's/^[^|]*|{"id":"\([^"]*\)".*/\1/p' "$1" | sort
}

# replay NAME [ARGS...]: runs sipeat-replay against BROKERS; summary in
# $TMPD/NAME.out, stderr in $TMPD/NAME.log; sets RC to its exit status.
replay() {
	_name=$1
	shift
	RC=0
	run_timeout 120 "$REPLAY" -b "$BROKERS" "$@" >"$TMPD/$_name.out" \
		2>"$TMPD/$_name.log" || RC=$?
}

# summary NAME: the summary line of replay NAME.
summary() {
	grep '^sipeat-replay: ' "$TMPD/$1.out" | tail -n 1
}

# expect_summary NAME TEXT: the summary of replay NAME contains TEXT.
expect_summary() {
	case $(summary "$1") in
	*"$2"*) ;;
	*) fail "replay $1: want \"$2\" in: $(summary "$1"); stderr: $(cat "$TMPD/$1.log")" ;;
	esac
}
