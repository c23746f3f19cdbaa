#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The listener keys (-H/hosts, tlsverify, tlscacert, tlscert, tlskey,
# insecure-tcp, tls-roles) as flags and in the config file; what is refused
# at start (plain TCP without --insecure-tcp, missing or bad certificates, a
# bad host or role) with nothing made; --insecure-tcp warns; the unix socket
# is 0660 and belongs to group netd when that group exists; a client that
# never handshakes is closed after 10 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tls_lib.sh"
tls_pki

bad() {   # WHAT EXPECTED-TEXT ARGS...
  local what=$1 want=$2; shift 2
  set +e; out=$("$NETD_BIN" --root "$T/r3" --exec-root "$T/x3" --socket "$T/s3.sock" "$@" 2>&1); rc=$?; set -e
  [ $rc -ne 0 ] && [[ "$out" == *"$want"* ]] || fail "$what accepted or unclear: $out"
  [ ! -e "$T/r3" ] && [ ! -e "$T/s3.sock" ] || fail "$what: a refused start left files"
}
bad "plain TCP" "plain TCP gives root" -H tcp://127.0.0.1:2377
bad "a bad host" 'host "http://x:1"' -H http://x:1
bad "tlsverify without files" "tlsverify needs tlscacert, tlscert and tlskey" -H tcp://127.0.0.1:2377 --tlsverify
bad "a missing certificate" "tlscert $T/nope.pem" -H tcp://127.0.0.1:2377 --tlsverify --tlscacert "$P/ca.pem" \
  --tlscert "$T/nope.pem" --tlskey "$P/server/key.pem"
bad "a key of another certificate" "does not match tlscert" -H tcp://127.0.0.1:2377 --tlsverify --tlscacert "$P/ca.pem" \
  --tlscert "$P/server/cert.pem" --tlskey "$P/admin/key.pem"
bad "a bad role" 'tls-role "god"' --tls-role role=god,ou=x
bad "a role without a pattern" "needs cn=PATTERN or ou=PATTERN" --tls-role role=admin
echo '{ "tls-roles": [{"role": "admin", "o": "x"}] }' > "$T/bad.json"
bad "an unknown key in a role" '"o" is not a string key' --config "$T/bad.json"
echo '{ "hosts": "tcp://127.0.0.1:1" }' > "$T/bad2.json"
bad "hosts not a list" "hosts must be a list" --config "$T/bad2.json"

# the group netd, in this test's own mount namespace only
cp /etc/group "$T/group"
grep -q '^netd:' "$T/group" || echo "netd:x:4242:" >> "$T/group"
mount --bind "$T/group" /etc/group
on_exit "umount /etc/group"
gid=$(getent group netd | cut -d: -f3)

# the keys from the file; --insecure-tcp warns at start
nd_test_bpf
printf '{ %s, "hosts": ["tcp://127.0.0.1:2378", "unix://%s/second.sock"], "insecure-tcp": true,
  "tls-roles": [{"role": "read-only", "cn": "viewer-*"}] }\n' "$(nd_test_bpf_json)" "$T" > "$T/netd.json"
nd_start --config "$T/netd.json"
grep -q "listening on tcp://127.0.0.1:2378 WITHOUT TLS (--insecure-tcp)" "$ND_LOG" || fail "no warning for plain TCP"
assert_eq "$(curl -sS http://127.0.0.1:2378/_ping)" OK "plain TCP with --insecure-tcp"
assert_eq "$(curl -sS --unix-socket "$T/second.sock" http://netd/_ping)" OK "second unix host"
for s in "$ND_SOCK" "$T/second.sock"; do
  assert_eq "$(stat -c '%a %g' "$s")" "660 $gid" "unix socket $s mode and group"
done
nd_stop
[ ! -e "$T/second.sock" ] || fail "second socket left after stop"

# flags win over the file: TLS on another port; --socket is one unix host
ND_ROOT=$T/root2 ND_EXEC=$T/run2
tls_flags
printf '{ %s, "hosts": ["tcp://127.0.0.1:2378"], "insecure-tcp": true }\n' "$(nd_test_bpf_json)" > "$T/netd2.json"
nd_start --config "$T/netd2.json" "${TLS_FLAGS[@]}"
curl -s --max-time 2 http://127.0.0.1:2378/_ping >/dev/null && fail "the file's host served although -H was given"
assert_eq "$(curl -sS --cacert "$P/ca.pem" --cert "$P/admin/cert.pem" --key "$P/admin/key.pem" https://127.0.0.1:$TLS_PORT/_ping)" OK "TLS host from the flag"
assert_eq "$(local_api /_ping)" OK "--socket still served"

# a client that connects and never says a word is let go after 10 s
start=$(date +%s)
exec 3<>/dev/tcp/127.0.0.1/$TLS_PORT
timeout 25 cat <&3 >/dev/null || true     # until netd closes it
exec 3<&-
took=$(( $(date +%s) - start ))
[ $took -ge 9 ] && [ $took -le 20 ] || fail "a silent client was closed after ${took}s (want about 10)"
grep -q "no handshake within 10 s" "$ND_LOG" || fail "the handshake timeout is not logged"
