#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/bridge.sh end to end (tests/integration/demo_lib.sh): two containers on a bridge, by address and by name, the veths and the fdb
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/demo_lib.sh"

demo_run bridge
said "=> beta reached alpha by address (10.10.0.2)" "=> beta reached alpha by name" \
  "=> the bridge learned alpha (02:42:0a:0a:00:02) and beta (02:42:0a:0a:00:03)" \
  "master br-web"
demo_picture bridge

log "at a terminal it pauses between sections; Ctrl-C there stops it, and it still cleans up"
command -v python3 >/dev/null || skip "python3 (the terminal driver) missing"
rc=0
python3 "$NETD_SRC/tests/integration/pty_run.py" --timeout 120 --expect 'Enter to go on' --send '\n' \
  --expect 'two containers ==[\s\S]*Enter to go on' --send '\x03' -- "$NETD_SRC/examples/bridge.sh" "$NETD_BUILD" \
  >"$T/pty.out" 2>&1 || rc=$?
# (should the terminal driver give up and kill it, its cleanup still runs: let it finish)
bridge_gone() { ! pgrep -f "bash $NETD_SRC/examples/bridge.sh" >/dev/null; }
poll 90 bridge_gone || fail "examples/bridge.sh still running after Ctrl-C: $(pgrep -af "bash $NETD_SRC/examples/bridge.sh")"
[ $rc -eq 130 ] || { tail -20 "$T/pty.out" >&2; fail "Ctrl-C at the second pause: exit $rc, want 130"; }
grep -q "interrupted; everything it made is removed" "$T/pty.out" || fail "no word of the interruption: $(tail -5 "$T/pty.out")"
[ -z "$(demo_leftovers bridge)" ] || fail "interrupted examples/bridge.sh left: $(demo_leftovers bridge)"
echo ok
