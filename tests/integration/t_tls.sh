#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The remote API over mutual TLS, end to end: certificates from `netctl tls
# init`, netd with -H tcp://127.0.0.1:2376 --tlsverify, and the real docker
# CLI (Debian's, and any other on PATH) with DOCKER_HOST/DOCKER_TLS_VERIFY/
# DOCKER_CERT_PATH, then netctl with NETD_HOST/NETD_TLS_VERIFY/NETD_CERT_PATH:
# version, network create, run --rm, run -d -p (reached from another
# namespace), exec (stdin half-closed over TLS; -it through a pty), logs -f,
# ps, rm -f.
# Every mutating request is logged with the certificate's subject.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
. "$(dirname "$0")/tls_lib.sh"

command -v python3 >/dev/null || skip "python3 missing (the pty driver)"
PTY="python3 $NETD_SRC/tests/integration/pty_run.py --timeout 30"
tls_pki
tls_clis
ctr_setup
tls_flags
nd_start "${TLS_FLAGS[@]}"
grep -q "listening host=tcp://127.0.0.1:$TLS_PORT tls=mutual" "$ND_LOG" || fail "no TLS listener in the log"
# the unix socket still serves, mode 0660
assert_eq "$(stat -c %a "$ND_SOCK")" 660 "unix socket mode"
outside_setup
tls_env admin

# TLS 1.2+ only (the witness allows 1.1 on its side), with netd's certificate
echo | timeout 5 openssl s_client -connect 127.0.0.1:$TLS_PORT -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' \
  -cert "$P/admin/cert.pem" -key "$P/admin/key.pem" >"$T/s11" 2>&1 && fail "TLS 1.1 accepted: $(tail -5 "$T/s11")"
grep -q "protocol version" "$T/s11" || fail "TLS 1.1 refused, but not for its version: $(grep -i error "$T/s11" | head -3)"
echo | timeout 5 openssl s_client -connect 127.0.0.1:$TLS_PORT -CAfile "$P/ca.pem" -cert "$P/admin/cert.pem" \
  -key "$P/admin/key.pem" -verify_return_error 2>/dev/null | grep -q "Verify return code: 0" || fail "openssl s_client cannot verify netd"

# one client's whole session; $1 is the command (docker or netctl), $2 a tag
session() {
  local C=$1 tag=$2 rc
  log "$tag over TLS"
  $C version >"$T/v" 2>&1 || fail "$tag version: $(cat "$T/v")"
  # the server's API version: wire/wire.h's WIRE_API_VERSION, the one place
  grep -q "$(sed -n 's/^#define WIRE_API_VERSION "\(.*\)"$/\1/p' "$NETD_SRC/wire/wire.h")" "$T/v" ||
    fail "$tag version: no server API version: $(cat "$T/v")"
  $C network create "n-$tag" >/dev/null || fail "$tag network create"
  [ "$(local_api "/networks/n-$tag" | jq -r .Name)" = "n-$tag" ] || fail "$tag: network not made"
  assert_eq "$(timeout 60 $C run --rm --net "n-$tag" bb echo hello-$tag)" "hello-$tag" "$tag run --rm"
  assert_eq "$(local_api '/containers/json?all=1' | jq length)" 0 "$tag run --rm left a container"
  timeout 60 $C run -d --name "web-$tag" -p 18080:80 -e CGI="$WEB_CGI" bb sh -c "$WEB_SRV" >/dev/null || fail "$tag run -d -p"
  poll 15 get_out 192.0.2.1:18080 || true
  [[ "$(get_out 192.0.2.1:18080)" == *" 192.0.2.2"* ]] || fail "$tag: published port not reached: $(get_out 192.0.2.1:18080)"
  assert_eq "$(timeout 30 $C exec "web-$tag" echo exec-ok)" exec-ok "$tag exec"
  rc=0; timeout 30 $C exec "web-$tag" sh -c 'exit 5' || rc=$?
  assert_eq "$rc" 5 "$tag exec exit code"
  assert_eq "$(printf 'b\na\n' | timeout 30 $C exec -i "web-$tag" sort)" $'a\nb' "$tag exec -i (stdin half-closed over TLS)"
  # exec -it through a terminal, the hijacked stream inside TLS
  rc=0
  out=$($PTY --expect '# ' --send 'echo in-$((6*7))\n' --expect 'in-42' --send 'exit 7\n' -- ${C#timeout -s KILL 60 } exec -it "web-$tag" sh) || rc=$?
  assert_eq "$rc" 7 "$tag exec -it exit code ($out)"
  timeout 60 $C run -d --name "tick-$tag" bb sh -c 'i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.1; done' >/dev/null
  timeout 30 $C logs -f "tick-$tag" >"$T/logs-$tag" 2>&1 &
  local lp=$!
  # lines written after logs -f started arrive while it runs
  poll 10 bash -c "grep -q tick-20 '$T/logs-$tag'" || fail "$tag logs -f did not stream: $(tail -3 "$T/logs-$tag")"
  kill -0 $lp 2>/dev/null || fail "$tag logs -f ended"
  kill $lp 2>/dev/null; wait $lp 2>/dev/null || true
  $C ps >"$T/ps" || fail "$tag ps"
  grep -q "web-$tag" "$T/ps" && grep -q "tick-$tag" "$T/ps" || fail "$tag ps: $(cat "$T/ps")"
  $C rm -f "web-$tag" "tick-$tag" >/dev/null || fail "$tag rm -f"
  assert_eq "$(local_api '/containers/json?all=1' | jq length)" 0 "$tag rm -f left containers"
  poll 10 bash -c "! get_out 192.0.2.1:18080 >/dev/null 2>&1 || [ \"\$(get_out 192.0.2.1:18080)\" != *192.0.2.2* ]" || true
  $C network rm "n-$tag" >/dev/null || fail "$tag network rm"
}
export -f get_out in_ns

for D in "${CLIS[@]}"; do
  session "timeout -s KILL 60 $D" "docker$("$D" --version | tr -dc 0-9 | cut -c1-4)"
done
[ ${#CLIS[@]} -gt 0 ] || log "note: no docker CLI could be had; netctl only"
session "$NETCTL_BIN" netctl

# the subjects are in the log, with their role, for every mutating request
grep -q 'api request subject="/O=netd lab/OU=admin/CN=netctl-admin" role=admin method=POST path=/containers/create' "$ND_LOG" ||
  fail "mutating request not logged with its subject"
[ ${#CLIS[@]} -gt 0 ] || skip "netctl passed; no docker CLI to check (fetch-docker-cli.sh failed, none on PATH)"
log "ok: ${#CLIS[@]} docker CLI(s) and netctl over mutual TLS"
