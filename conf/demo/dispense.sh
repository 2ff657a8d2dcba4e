#!/bin/sh
# dispense.sh -- demo stand-in for the vending machine (request.created,
# stage dispense). Fails with "simulateFailure":"dispense" in the event.

say() {
	if [ -n "${SIPEAT_DEMO_LOG:-}" ]; then
		printf '%s\n' "$*" >> "$SIPEAT_DEMO_LOG"
	fi
}

event=$(cat)
if printf '%s\n' "$event" | grep -q '"simulateFailure":"dispense"'; then
	echo "Dispenser jammed: no drink was served" >&2
	exit 1
fi
say "dispense: request $SIPEAT_EVENT_ID"
exit 0
