#!/bin/sh
# machine.sh -- demo stand-in for machine provisioning (machine.created).
# The first argument is the step: setup, network, maintenance, or teardown
# (the undo of setup). "simulateFailure":"network" in the event fails the
# network step, so sipeatd runs teardown to undo setup.

say() {
	if [ -n "${SIPEAT_DEMO_LOG:-}" ]; then
		printf '%s\n' "$*" >> "$SIPEAT_DEMO_LOG"
	fi
}

step=${1:-}
event=$(cat)
machine=$(printf '%s\n' "$event" |
    sed -n 's/.*"machineId":"\([^"]*\)".*/\1/p')

case $step in
setup|maintenance|teardown)
	;;
network)
	if printf '%s\n' "$event" | grep -q '"simulateFailure":"network"'; then
		echo "Network configuration failed: machine $machine unreachable" >&2
		exit 1
	fi
	;;
*)
	echo "usage: machine.sh setup|network|maintenance|teardown" >&2
	exit 64
	;;
esac
say "machine $step: $machine (event $SIPEAT_EVENT_ID)"
exit 0
