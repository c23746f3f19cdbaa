#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The embedded resolver forwards what it does not know to the host's
# resolv.conf upstreams, from netd's namespace: an upstream in an "outside"
# namespace (dns_upstream.py, dnspython) answers; a dead first upstream
# costs the configured timeout once, not per query; a >512-byte answer is
# truncated over UDP (no EDNS), whole with EDNS0 and over TCP; an answer the
# upstream truncates at 1232 bytes is fetched over TCP by netd and comes
# back whole over UDP to a client with a 4096-byte buffer; answers are
# cached for their TTL; a host resolver on 127.0.0.53 (systemd-resolved's
# place) works and a changed resolv.conf is read again; --dns servers are
# the container's own upstreams.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
command -v dig >/dev/null || skip "dig missing (bind9-dnsutils)"
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3   # Debian's, with python3-dnspython
$PY -c 'import dns.message' 2>/dev/null || skip "dnspython missing (python3-dnspython)"

ctr_setup
outside_setup
UP=$NETD_SRC/tests/integration/dns_upstream.py
in_ns outside $PY "$UP" 192.0.2.2 53 outside "$T/up1.ready" >"$T/up1.log" 2>&1 &
on_exit "kill $! 2>/dev/null"
poll 10 test -f "$T/up1.ready" || fail "upstream did not start: $(cat "$T/up1.log")"
# 192.0.2.99 is on the outside link and nobody answers there: a dead upstream
printf 'nameserver 192.0.2.99\nnameserver 192.0.2.2\n' >"$T/resolv.conf"
nd_start --dns-resolv-conf "$T/resolv.conf" --dns-timeout-ms 500

netctl network create n1 >/dev/null
netctl run -d --name c1 --net n1 bb sleep 300 >/dev/null
SB=$(netctl inspect c1 | jq -r '.[0].NetworkSettings.SandboxKey')
D() { nsenter --net="$SB" -- dig +time=3 +tries=1 @127.0.0.11 "$@"; }
count() { in_ns outside dig +short +time=2 +tries=1 @192.0.2.2 count.example TXT | tr -d '"'; }

log "forwarded answers; a dead first upstream costs one timeout, not one per query"
t0=$(date +%s%N)
assert_eq "$(D +short ext.example)" 198.51.100.7 "ext.example"
t1=$(date +%s%N)
for i in 1 2 3 4 5; do
  out=$(D n$i.example); grep -q "status: NXDOMAIN" <<<"$out" || fail "n$i.example: $out"
done
t2=$(date +%s%N)
first=$(( (t1 - t0) / 1000000 )); rest=$(( (t2 - t1) / 1000000 ))
log "first query ${first} ms (dead upstream's timeout 500 ms), 5 more ${rest} ms"
[ $first -ge 450 ] && [ $first -lt 1500 ] || fail "first query took ${first} ms"
[ $rest -lt 1000 ] || fail "5 queries after the failover took ${rest} ms: the dead upstream was asked again"
out=$(netctl exec c1 nslookup ext.example) || fail "busybox nslookup ext.example: $out"
grep -q 198.51.100.7 <<<"$out" || fail "nslookup ext.example: $out"
info=$(api GET /info | jq -c .DNS)
jq -e '.Upstreams[] | select(.Address == "192.0.2.99") | .Dead and .Timeouts == 1' <<<"$info" >/dev/null ||
  fail "info does not show the dead upstream: $info"

log "cache: an answer is served from the cache for its TTL"
c0=$(count)
D +short ttl.example >/dev/null
D +short ttl.example >/dev/null
D +short ttl.example >/dev/null
c1=$(count)
assert_eq "$((c1 - c0))" 1 "upstream queries for three asks of ttl.example (TTL 2)"
out=$(D ttl.example); ttl=$(awk '/^ttl.example.*IN.*A/ {print $2}' <<<"$out")
[ "$ttl" -le 2 ] || fail "cached TTL: $out"
sleep 2.2   # the TTL itself is what is under test
D +short ttl.example >/dev/null
assert_eq "$(( $(count) - c1 ))" 1 "after the TTL the upstream is asked again"

log "a large answer: truncated over UDP, whole with EDNS0 and over TCP"
out=$(D +noedns +ignore big.example TXT)
grep -q "flags:.* tc" <<<"$out" || fail "no TC over UDP without EDNS: $out"
out=$(D +bufsize=4096 big.example TXT)
n=$(grep -c '^big.example.*TXT' <<<"$out"); assert_eq "$n" 30 "TXT records with EDNS0"
grep -q "flags:.* tc" <<<"$out" && fail "TC with EDNS0: $out"
out=$(D +tcp big.example TXT)
assert_eq "$(grep -c '^big.example.*TXT' <<<"$out")" 30 "TXT records over TCP"
out=$(D +noedns big.example TXT)   # dig retries over TCP by itself
assert_eq "$(grep -c '^big.example.*TXT' <<<"$out")" 30 "TXT records after dig's own TCP retry"

log "an upstream that truncates at 1232 bytes: netd asks it over TCP for a client with a larger buffer"
out=$(D +bufsize=4096 +ignore huge.example TXT)
assert_eq "$(grep -c '^huge.example.*TXT' <<<"$out")" 40 "TXT records over UDP with EDNS0 4096"
grep -q "flags:.* tc" <<<"$out" && fail "TC with a 4096-byte buffer: $out"
grep -q "(UDP)" <<<"$out" || fail "not over UDP: $out"
out=$(D +bufsize=1232 +ignore huge.example TXT)
grep -q "flags:.* tc" <<<"$out" || fail "no TC for a 1232-byte buffer: $out"

log "--dns: the container's own upstreams"
printf 'nameserver 192.0.2.98\n' >"$T/resolv.conf"   # the host's now points nowhere
netctl run -d --name c2 --net n1 --dns 192.0.2.2 bb sleep 300 >/dev/null
SB2=$(netctl inspect c2 | jq -r '.[0].NetworkSettings.SandboxKey')
assert_eq "$(nsenter --net="$SB2" -- dig +short +time=3 +tries=1 @127.0.0.11 id.example TXT)" '"outside"' "--dns upstream"
grep -qx 'nameserver 127.0.0.11' <<<"$(netctl exec c2 cat /etc/resolv.conf)" || fail "c2 resolv.conf"

log "a host resolver on 127.0.0.53, and resolv.conf read again when it changes"
$PY "$UP" 127.0.0.53 53 loopback "$T/up2.ready" >"$T/up2.log" 2>&1 &
on_exit "kill $! 2>/dev/null"
poll 10 test -f "$T/up2.ready" || fail "loopback upstream did not start: $(cat "$T/up2.log")"
printf '# systemd-resolved\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch corp.example\n' >"$T/resolv.conf"
poll 5 has '"loopback"' D +short id.example TXT || fail "127.0.0.53 upstream: $(D id.example TXT)"
assert_eq "$(netctl exec c1 nslookup ext.example | grep -c 198.51.100.7)" 1 "busybox through 127.0.0.53"
netctl run --rm --net n1 bb cat /etc/resolv.conf | grep -qx 'search corp.example' || fail "host search list not passed on"
log "ok"
