#!/bin/sh
# demo.sh SRCDIR -- the demo behind `make demo`: a development broker,
# sample SipEat events of the three types (one whose payment fails, one
# whose network step fails and is undone, one malformed), then sipeatd -e
# with conf/demo.conf, printing what would be posted to Discord. Then the
# payment service is "fixed" (conf/demo/payment.sh reads the flag file
# $SIPEAT_DEMO_FIXED), sipeat-replay sends the failed request back from
# the dead-letter topic, and sipeatd processes it again, successfully.
set -u
srcdir=${1:-.}
: "${SIPEATD:=./src/sipeatd}" "${DEVBROKER:=./tools/sipeat-devbroker}" "${PUBLISH:=./tools/sipeat-publish}"
: "${REPLAY:=./tools/sipeat-replay}"
cd "$srcdir" || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sipeat-demo.XXXXXX")
trap 'kill $broker 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

"$DEVBROKER" -f "$tmp/brokers" >/dev/null 2>"$tmp/broker.log" &
broker=$!
i=0
while [ ! -s "$tmp/brokers" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		echo "demo: the development broker did not start:" >&2
		cat "$tmp/broker.log" >&2
		exit 1
	fi
	sleep 0.1
done
brokers=$(cat "$tmp/brokers")
echo "== development broker at $brokers (in memory, for development only)"

echo "== publishing sample events"
"$PUBLISH" -b "$brokers" contact --name "John Doe" --email john@example.com \
	--phone +1234567890 --company "Acme Inc" \
	--message "I'd like to inquire about your services"
"$PUBLISH" -b "$brokers" request --customer "Ann Smith" --drink "Cola Zero" \
	--machine-id VM-0042 --machine-name "Lobby, Building A" --quantity 2 --price 3.5
"$PUBLISH" -b "$brokers" request --customer "Bob Jones" --drink "Iced Tea" \
	--machine-id VM-0042 --field simulateFailure=payment
"$PUBLISH" -b "$brokers" machine --machine-id VM-0043 --name "Gym Cooler" \
	--address "1 Main St, Springfield" --lat 39.78 --lon -89.65 --model SX-200 --capacity 120
"$PUBLISH" -b "$brokers" machine --machine-id VM-0044 --name "Rooftop" \
	--address "2 High St, Springfield" --field simulateFailure=network
printf '{"type": "contact.created", "data": ' |
	"$PUBLISH" -b "$brokers" --raw -t sipeat.contact.events -k broken

export SIPEAT_DEMO_LOG="$tmp/services.log"
export SIPEAT_DEMO_FIXED="$tmp/payment-fixed"
if [ -n "${DISCORD_WEBHOOK:-}" ]; then
	echo "== DISCORD_WEBHOOK is set, but this release prints payloads only:"
	echo "   posting to Discord arrives with the notifier (see README)"
fi
echo "== running sipeatd -e --dry-run -c conf/demo.conf"
"$SIPEATD" -e --dry-run -c conf/demo.conf -b "$brokers" >"$tmp/payloads.json" || {
	echo "demo: sipeatd failed" >&2
	exit 1
}
show() {	# the payloads of FILE, then readable
	echo "== what would be posted to Discord (one webhook payload per line)"
	cat "$1"
	command -v python3 >/dev/null 2>&1 || return 0
	echo "== the same, readable"
	python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    for e in json.loads(line)["embeds"]:
        print("%s | %s" % (e["title"], e.get("description", "")))
        for f in e["fields"]:
            print("    %s: %s" % (f["name"], f["value"]))
' "$1"
}
echo "== what the demo services did"
cat "$tmp/services.log" 2>/dev/null
show "$tmp/payloads.json"

echo "== the card issuer is back: the payment service is fixed"
: >"$SIPEAT_DEMO_FIXED"
echo "== sipeat-replay --type request.created: the failed request goes back to its topic"
"$REPLAY" -b "$brokers" --type request.created || {
	echo "demo: sipeat-replay failed" >&2
	exit 1
}
: >"$tmp/services.log"
echo "== running sipeatd -e --dry-run -c conf/demo.conf again (same group: only what is new)"
"$SIPEATD" -e --dry-run -c conf/demo.conf -b "$brokers" >"$tmp/payloads2.json" || {
	echo "demo: sipeatd failed" >&2
	exit 1
}
echo "== what the demo services did"
cat "$tmp/services.log" 2>/dev/null
show "$tmp/payloads2.json"
