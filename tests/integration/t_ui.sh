#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# netctl ui: the page is refused without its one-time token (and with a
# wrong one, or a foreign Host header), loads with it in headless Chromium
# (driven over the DevTools protocol by ui_cdp.py, inside this test's
# namespaces, talking to 127.0.0.1 only), redraws when a container starts
# and when it goes, without a reload (checked in the DOM), shows a
# container's endpoints and DNS names on click, answers the explain form,
# and leaves a screenshot, t_ui.png, in the test's artefact dir
# ($NETD_TEST_ARTEFACTS, else and always also $NETD_BUILD/test-artefacts/).
# The token is spent after one use.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"

command -v chromium >/dev/null || skip "chromium missing (scripts/deps/ui.txt)"
/usr/bin/python3 -c 'import websocket' 2>/dev/null || skip "python3-websocket missing (scripts/deps/ui.txt)"
command -v curl >/dev/null || skip "curl missing"

ctr_setup
nd_start
netctl network create --subnet 172.31.5.0/24 ua >/dev/null
netctl network create --subnet 172.31.6.0/24 ub >/dev/null
netctl run -d --name c1 --net ua -p 8085:80 bb sleep 600 >/dev/null

log "netctl ui on a free port of 127.0.0.1"
"$NETCTL_BIN" ui > "$T/ui.out" 2> "$T/ui.err" &
UI_PID=$!
on_exit "kill -INT $UI_PID; wait $UI_PID"
poll 15 grep -q 'token=' "$T/ui.out" || { cat "$T/ui.out" "$T/ui.err" >&2; fail "netctl ui printed no URL"; }
URL=$(grep -o 'http://127.0.0.1:[0-9]*/?token=[0-9a-f]*' "$T/ui.out")
[ -n "$URL" ] || fail "no URL in: $(cat "$T/ui.out")"
BASE=${URL%%/?token=*}
TOKEN=${URL##*token=}
assert_eq "${#TOKEN}" 64 "token length"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

log "refused without the token, with a wrong one, from a foreign Host"
assert_eq "$(code "$BASE/")" 403 "no token"
assert_eq "$(code "$BASE/api/topology")" 403 "no token, API"
assert_eq "$(code "$BASE/api/events")" 403 "no token, events"
# the token with its last digit changed (to another digit: never the token itself)
last=${TOKEN: -1}; [ "$last" = 0 ] && other=1 || other=0
assert_eq "$(code "$BASE/?token=${TOKEN%?}$other")" 403 "a wrong token"
assert_eq "$(code -H 'Host: evil.example:80' "$URL")" 403 "the right token with a foreign Host"
assert_eq "$(code -b 'netd_ui=0123' "$BASE/")" 403 "a made-up cookie"

log "headless Chromium: load, live redraws, click, explain, screenshot"
# the test's artefacts: $NETD_TEST_ARTEFACTS (CI may point it elsewhere), a copy always
# under $NETD_BUILD/test-artefacts/
ART=${NETD_TEST_ARTEFACTS:-$NETD_BUILD/test-artefacts}
mkdir -p "$ART" "$NETD_BUILD/test-artefacts"
t0=$(date +%s%N)
timeout -s KILL 80 /usr/bin/python3 "$NETD_SRC/tests/integration/ui_cdp.py" "$URL" "$NETCTL_BIN" ua ub "$ART/t_ui.png" ||
  fail "the page did not behave (see above)"
log "browser part took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
[ -s "$ART/t_ui.png" ] || fail "no screenshot"
has 'PNG' head -c 8 "$ART/t_ui.png" || fail "the screenshot is not a PNG"
[ "$ART/t_ui.png" -ef "$NETD_BUILD/test-artefacts/t_ui.png" ] || cp "$ART/t_ui.png" "$NETD_BUILD/test-artefacts/t_ui.png"
echo "# screenshot: $ART/t_ui.png" >&2

log "the token was good once"
assert_eq "$(code "$URL")" 403 "the token a second time"

log "Ctrl-C stops it cleanly"
kill -INT "$UI_PID"
rc=0; wait "$UI_PID" || rc=$?
assert_eq "$rc" 0 "netctl ui exit status"
assert_eq "$(code "$BASE/")" 000 "nothing listens after it stopped"
echo "PASS: t_ui"
