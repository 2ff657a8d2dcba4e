#!/bin/sh
# payment.sh -- demo stand-in for the payment service (request.created,
# stage payment). With "simulateFailure":"payment" in the event it declines
# the card: the first line on stderr becomes the failure reason in the log,
# the Discord embed and the dead-letter record -- until the file named by
# $SIPEAT_DEMO_FIXED exists: `make demo` creates it ("the card issuer is
# back") before it replays the dead letter with sipeat-replay. With
# "payment-busy" it exits 75 (EX_TEMPFAIL), which sipeatd retries with
# back-off.

say() {
	if [ -n "${SIPEAT_DEMO_LOG:-}" ]; then
		printf '%s\n' "$*" >> "$SIPEAT_DEMO_LOG"
	fi
}

event=$(cat)
if printf '%s\n' "$event" | grep -q '"simulateFailure":"payment"'; then
	if [ -z "${SIPEAT_DEMO_FIXED:-}" ] || [ ! -f "$SIPEAT_DEMO_FIXED" ]; then
		echo "Payment processing failed: card declined" >&2
		exit 1
	fi
	say "payment: request $SIPEAT_EVENT_ID accepted after the fix"
	exit 0
fi
if printf '%s\n' "$event" | grep -q '"simulateFailure":"payment-busy"'; then
	echo "Payment gateway busy, try again later" >&2
	exit 75
fi
say "payment: request $SIPEAT_EVENT_ID"
exit 0
