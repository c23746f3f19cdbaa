#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The daemon's spine: ping, info, errors, one netd per root, socket rules,
# keep-alive, clean shutdown, restart keeps state.
. "$(dirname "$0")/lib.sh"

nd_start
assert_eq "$(curl -s --unix-socket "$ND_SOCK" http://x/_ping)" "OK" "_ping"
api=$(sed -n 's/^#define WIRE_API_VERSION "\(.*\)"$/\1/p' "$NETD_SRC/wire/wire.h")
[ -n "$api" ] || fail "no WIRE_API_VERSION in wire/wire.h"
assert_eq "$(curl -s --unix-socket "$ND_SOCK" "http://x/v$api/_ping")" "OK" "versioned _ping"
assert_eq "$(curl -s --unix-socket "$ND_SOCK" http://x/version | jq -r .ApiVersion)" "$api" "ApiVersion is wire's"
assert_eq "$(curl -s -o /dev/null -D - --unix-socket "$ND_SOCK" http://x/_ping | tr -d '\r' | sed -n 's/^Api-Version: //p')" "$api" "Api-Version header"
netctl info --format json | jq -e '.ID | test("^[0-9a-f]{64}$")' >/dev/null || fail "info has no ID"
netctl info --format json | jq -e '.OSType == "linux" and .NCPU > 0' >/dev/null || fail "info fields"
has '^ServerVersion: ' netctl info || fail "human info"
netctl version --format json | jq -e '.Server.ApiVersion' >/dev/null || fail "version"
id1=$(netctl info --format json | jq -r .ID)

# socket is root-only
assert_eq "$(stat -c %a "$ND_SOCK")" "660" "socket mode"

# errors: unknown path, wrong method, malformed request; netd keeps serving
assert_eq "$(api_status GET /nope)" 404 "unknown path"
curl -s --unix-socket "$ND_SOCK" http://x/nope | jq -e '.message | test("not found")' >/dev/null || fail "404 message"
assert_eq "$(api_status POST /info)" 405 "wrong method"
resp=$(printf 'GARBAGE\r\n\r\n' | socat - UNIX-CONNECT:"$ND_SOCK" 2>/dev/null || printf 'GARBAGE\r\n\r\n' | nc -U -q1 "$ND_SOCK" 2>/dev/null || true)
echo "$resp" | head -1 | grep -q '400' || fail "malformed request did not get 400: $resp"
assert_eq "$(curl -s --unix-socket "$ND_SOCK" http://x/_ping)" "OK" "serving after garbage"

# CLI errors: one clear line on stderr, non-zero exit
set +e
out=$(NETD_HOST=unix://$T/nothing.sock netctl info 2>&1); rc=$?
set -e
[ $rc -ne 0 ] || fail "netctl against a missing socket exited 0"
assert_eq "$(echo "$out" | wc -l)" 1 "one error line"
echo "$out" | grep -q "cannot connect to netd" || fail "unclear error: $out"
set +e; netctl nosuchcmd >/dev/null 2>&1; rc=$?; set -e
assert_eq "$rc" 2 "unknown command exit code"
has "Commands:" netctl --help || fail "netctl --help"
has "Usage: netctl info" netctl info --help || fail "netctl info --help"

# keep-alive: two requests, one connection
out=$(curl -sv --unix-socket "$ND_SOCK" http://x/_ping http://x/_ping 2>&1)
echo "$out" | grep -qi "re-using existing connection" || fail "keep-alive not honoured"

# a second netd on the same root is refused with a clear error; the first keeps serving
set +e
out=$("$NETD_BIN" --root "$ND_ROOT" --exec-root "$T/run2" --socket "$T/other.sock" 2>&1); rc=$?
set -e
[ $rc -ne 0 ] || fail "second netd on one root started"
echo "$out" | grep -q "already running with root" || fail "unclear lock error: $out"
# a second netd on the same socket (other root) is refused too
set +e
out=$("$NETD_BIN" --root "$T/root2" --exec-root "$T/run2" --socket "$ND_SOCK" 2>&1); rc=$?
set -e
[ $rc -ne 0 ] || fail "second netd on one socket started"
echo "$out" | grep -q "in use by another server" || fail "unclear socket error: $out"
assert_eq "$(curl -s --unix-socket "$ND_SOCK" http://x/_ping)" "OK" "first netd still serving"

# a socket path that is a regular file is never replaced
touch "$T/file.sock"
set +e
out=$("$NETD_BIN" --root "$T/root3" --exec-root "$T/run3" --socket "$T/file.sock" 2>&1); rc=$?
set -e
[ $rc -ne 0 ] || fail "netd replaced a regular file"
echo "$out" | grep -q "not a socket" || fail "unclear error: $out"
[ -f "$T/file.sock" ] || fail "regular file removed"

# bad flags and config
set +e
"$NETD_BIN" --bogus >/dev/null 2>&1; rc=$?
echo '{"root": "/x", "nonsense": 1}' > "$T/bad.json"
out=$("$NETD_BIN" --config "$T/bad.json" 2>&1); rc2=$?
set -e
assert_eq "$rc" 2 "unknown flag exit code"
[ $rc2 -ne 0 ] && echo "$out" | grep -q 'unknown key "nonsense"' || fail "config with unknown key: $out"

# SIGTERM: clean exit, socket removed; restart keeps the daemon's identity
nd_stop
[ ! -e "$ND_SOCK" ] || fail "socket left after SIGTERM"
nd_start
assert_eq "$(netctl info --format json | jq -r .ID)" "$id1" "ID after restart"
# SIGKILL leaves a stale socket: the next netd replaces it
nd_kill
[ -S "$ND_SOCK" ] || fail "expected a stale socket after SIGKILL"
nd_start
assert_eq "$(netctl info --format json | jq -r .ID)" "$id1" "ID after kill -9"
echo "ok"
