#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SIGHUP re-reads the server certificate, its key, the CA and the tls-roles
# of the config file: a docker logs -f and a netctl exec -i started before
# it go on over their TLS sessions; a new connection presents the new
# certificate (read by the openssl tool); the new role map applies to the
# next request; a bad new file keeps all the old material and says why.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
. "$(dirname "$0")/tls_lib.sh"

tls_pki
tls_clis
ctr_setup
L=$T/live
mkdir -p "$L"
cp "$P/server/cert.pem" "$P/server/key.pem" "$P/server/ca.pem" "$L/"
nd_test_bpf
roles() { # roles ROLE_OF_OU_read-only
  printf '{ %s, "tls-roles": [{"role": "admin", "ou": "admin"}, {"role": "%s", "ou": "read-only"}] }\n' \
    "$(nd_test_bpf_json)" "$1" > "$T/netd.json.new"
  mv "$T/netd.json.new" "$T/netd.json"
}
roles read-only
nd_start --config "$T/netd.json" -H tcp://127.0.0.1:$TLS_PORT --tlsverify --tlscacert "$L/ca.pem" \
  --tlscert "$L/cert.pem" --tlskey "$L/key.pem"
tls_env admin
presented() { echo | timeout 5 openssl s_client -connect 127.0.0.1:$TLS_PORT -CAfile "$P/ca.pem" \
  -cert "$P/admin/cert.pem" -key "$P/admin/key.pem" 2>/dev/null | openssl x509 -noout -fingerprint -sha256; }
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256; }
assert_eq "$(presented)" "$(fp "$P/server/cert.pem")" "first certificate"
hups=0
hup() { # hup: SIGHUP and wait until netd said what it did with it
  hups=$((hups + 1))
  kill -HUP "$ND_PID"
  poll 10 bash -c "[ \$(grep -cE 'reloaded tlscert|reload refused' '$ND_LOG') -ge $hups ]" || fail "SIGHUP not handled"
}

# established sessions: a logs -f (docker's, else netctl's) and an exec -i with a live stdin
"$NETCTL_BIN" run -d --name tick bb sh -c 'i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.05; done' >/dev/null
"$NETCTL_BIN" run -d --name sh1 bb sleep 300 >/dev/null
LOGS=("$NETCTL_BIN" logs -f tick)
[ ${#CLIS[@]} -eq 0 ] || LOGS=("${CLIS[0]}" logs -f tick)
"${LOGS[@]}" >"$T/logs" 2>&1 &
lp=$!
on_exit "kill $lp"
mkfifo "$T/in"
"$NETCTL_BIN" exec -i sh1 cat <"$T/in" >"$T/exec" 2>&1 &
ep=$!
on_exit "kill $ep"
exec 7>"$T/in"
echo before-reload >&7
poll 10 grep -q before-reload "$T/exec" || fail "exec -i over TLS: $(cat "$T/exec")"
poll 10 grep -q tick-10 "$T/logs" || fail "logs -f over TLS: $(tail -2 "$T/logs")"
# a read-only subject may not run yet
NETD_CERT_PATH=$P/read-only "$NETCTL_BIN" run --rm bb true 2>/dev/null && fail "read-only ran before the reload"

log "new server certificate (signed by the same CA, the openssl tool's), new roles, SIGHUP"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/new-key.pem" -subj "/CN=localhost-2" \
  -out "$T/new.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$T/ext"
openssl x509 -req -in "$T/new.csr" -CA "$P/ca.pem" -CAkey "$P/ca-key.pem" -CAcreateserial -days 30 -extfile "$T/ext" \
  -out "$T/new-cert.pem" 2>/dev/null
cp "$T/new-key.pem" "$L/key.pem"; cp "$T/new-cert.pem" "$L/cert.pem"
roles operator
n_at_hup=$(wc -l <"$T/logs")
hup
grep -q "reloaded tlscert=$L/cert.pem" "$ND_LOG" || fail "reload not logged: $(grep reload "$ND_LOG")"
assert_eq "$(presented)" "$(fp "$T/new-cert.pem")" "a new connection presents the new certificate"
# the sessions from before go on
poll 10 bash -c "[ \$(wc -l <'$T/logs') -gt $((n_at_hup + 20)) ]" || fail "logs -f stopped at the reload ($(wc -l <"$T/logs") lines, $n_at_hup at SIGHUP)"
kill -0 $lp || fail "logs -f ended"
echo after-reload >&7
poll 10 grep -q after-reload "$T/exec" || fail "exec -i stopped at the reload: $(cat "$T/exec")"
# the new role map: read-only's OU is now an operator
assert_eq "$(NETD_CERT_PATH=$P/read-only "$NETCTL_BIN" run --rm bb echo now-operator)" now-operator "role map reloaded"
"$NETCTL_BIN" version >/dev/null || fail "admin after reload"

log "a bad new file keeps the old material"
echo "not a certificate" > "$L/cert.pem"
hup
grep -q "reload refused, keeping the old certificates and roles: tlscert $L/cert.pem" "$ND_LOG" ||
  fail "bad file: no reason in the log: $(grep 'reload' "$ND_LOG" | tail -2)"
assert_eq "$(presented)" "$(fp "$T/new-cert.pem")" "the last good certificate stays"
"$NETCTL_BIN" version >/dev/null || fail "new connections after a bad reload"
echo '{ "tls-roles": [{"role": "nobody", "ou": "x"}] }' > "$T/netd.json"
hup
grep -q 'reload refused.*tls-role "nobody"' "$ND_LOG" || fail "bad role map: $(grep 'reload' "$ND_LOG" | tail -1)"
assert_eq "$(NETD_CERT_PATH=$P/read-only "$NETCTL_BIN" run --rm bb echo still)" still "a bad role map keeps the old one"
echo done-input >&7
exec 7>&-
poll 10 bash -c "! kill -0 $ep" || fail "exec -i did not end at its stdin's end"
wait $ep || fail "exec -i exit status"
grep -q done-input "$T/exec" || fail "exec -i last input"
kill -0 $lp || fail "logs -f ended"
