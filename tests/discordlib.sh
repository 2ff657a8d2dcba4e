# discordlib.sh -- helpers for the discord-*.test scripts, sourced after
# testlib.sh: a private webhook-server.py, a standard config, events with
# a chosen number of failures, and the check that the webhook token never
# reaches sipeatd's output.

WH_ID=112233445566778899
WH_TOKEN="tok3n-$$-SeCrEt_xyz"

# start_webhook [server options]: sets WH_PORT, WH_URL (unversioned, as
# Discord shows it) and WH_LOG (one JSON line per request).
start_webhook() {
	WH_LOG=$TMPD/wh.requests
	python3 "$top_srcdir/tests/webhook-server.py" --port-file "$TMPD/wh.port" \
		--log "$WH_LOG" --id "$WH_ID" --token "$WH_TOKEN" "$@" \
		>"$TMPD/wh.out" 2>&1 &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$TMPD/wh.port" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "webhook server did not start"
		sleep 0.1
	done
	WH_PORT=$(cat "$TMPD/wh.port")
	WH_URL="http://127.0.0.1:$WH_PORT/api/webhooks/$WH_ID/$WH_TOKEN"
	: >>"$WH_LOG"
}

# write_conf FILE [discord lines...]: handlers for contact.created (always
# succeeds) and request.created (fails without data.machineId); a log
# stage writes "done ID" for every event that succeeded.
write_conf() {
	f=$1
	shift
	{
		printf '[kafka]\nsession.timeout.ms = 6000\nauto.offset.reset = earliest\n\n'
		printf '[sipeatd]\nworkers = 4\nshutdown.timeout.ms = 5000\ndlq.topic =\n\n'
		printf '[discord]\n'
		for l in "$@"; do
			printf '%s\n' "$l"
		done
		printf '\n[handler contact.created]\nstages = cv done\n'
		printf '\n[handler request.created]\nstages = rv done\n'
		printf '\n[stage cv]\naction = validate\nrequire = data.email\n'
		printf '\n[stage rv]\naction = validate\nrequire = data.machineId\n'
		printf '\n[stage done]\naction = log\nmessage = done ${id}\n'
	} >"$f"
}

# publish_events N F [PREFIX]: N events, F of them failing (request.created
# without machineId), ids PREFIX-0 ... (default e).
publish_events() {
	python3 - "$1" "$2" "${3:-e}" >"$TMPD/events.jsonl" <<'PY'
import json, sys
n, f, p = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
for i in range(n):
    if i < f:
        e = {"id": "%s-%d" % (p, i), "type": "request.created",
             "data": {"customerName": "C%d" % i, "drinkName": "Tea"}}
    elif i % 2:
        e = {"id": "%s-%d" % (p, i), "type": "request.created",
             "data": {"customerName": "C%d" % i, "drinkName": "Cola",
                      "machineId": "VM-%d" % (i % 7)}}
    else:
        e = {"id": "%s-%d" % (p, i), "type": "contact.created",
             "data": {"name": "N%d" % i, "email": "u%d@example.com" % i,
                      "message": "hello " * (i % 40)}}
    print(json.dumps(e))
PY
	"$PUBLISH" -q -b "$BROKERS" --json <"$TMPD/events.jsonl" || fail "publish"
}

# done_count LOG: events whose stages ran, per the log stage.
done_count() {
	grep -c 'stage: done: ' "$1" 2>/dev/null || true
}

# no_token: the token appears in no output of sipeatd (every *.log and
# *.out file of the test directory but the server's own).
no_token() {
	for f in "$TMPD"/*.log "$TMPD"/*.out; do
		[ -f "$f" ] || continue
		case $f in */wh.out) continue ;; esac
		if grep -q -- "$WH_TOKEN" "$f"; then
			fail "the webhook token appears in $f"
		fi
	done
}

# exit_counts LOG: prints "sent digested dropped" from the exit line.
exit_counts() {
	sed -n 's/.* \([0-9]*\) embeds in [0-9]* payloads, \([0-9]*\) digested, \([0-9]*\) dropped.*/\1 \2 \3/p' "$1" | tail -n 1
}
