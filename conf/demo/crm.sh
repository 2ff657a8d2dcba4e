#!/bin/sh
# crm.sh -- demo stand-in for the CRM (contact.created, stage crm).
# Appends what it would do to $SIPEAT_DEMO_LOG when set.

say() {
	if [ -n "${SIPEAT_DEMO_LOG:-}" ]; then
		printf '%s\n' "$*" >> "$SIPEAT_DEMO_LOG"
	fi
}

# Read the whole event, as a real service would.
cat > /dev/null
say "crm: contact $SIPEAT_EVENT_ID"
exit 0
