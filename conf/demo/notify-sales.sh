#!/bin/sh
# notify-sales.sh -- demo stand-in for telling sales about a contact who
# named a company (contact.created, stage sales). Appends what it would do
# to $SIPEAT_DEMO_LOG when set.

say() {
	if [ -n "${SIPEAT_DEMO_LOG:-}" ]; then
		printf '%s\n' "$*" >> "$SIPEAT_DEMO_LOG"
	fi
}

event=$(cat)
company=$(printf '%s\n' "$event" |
    sed -n 's/.*"companyName":"\([^"]*\)".*/\1/p')
say "sales: contact $SIPEAT_EVENT_ID $company"
exit 0
