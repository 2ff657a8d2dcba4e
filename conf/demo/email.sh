#!/bin/sh
# email.sh -- demo stand-in for the mail service (contact.created, stage
# email). sipeatd gives the event JSON on stdin and SIPEAT_EVENT_ID,
# SIPEAT_EVENT_TYPE, SIPEAT_STAGE in the environment. Appends what it
# would do to $SIPEAT_DEMO_LOG when set.

say() {
	if [ -n "${SIPEAT_DEMO_LOG:-}" ]; then
		printf '%s\n' "$*" >> "$SIPEAT_DEMO_LOG"
	fi
}

event=$(cat)
# Demo only: a real service would use a JSON parser.
email=$(printf '%s\n' "$event" | sed -n 's/.*"email":"\([^"]*\)".*/\1/p')
say "email: contact $SIPEAT_EVENT_ID $email"
exit 0
