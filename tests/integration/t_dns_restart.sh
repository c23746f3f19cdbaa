#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The embedded resolver across a netd crash: containers keep running, netd
# is killed with SIGKILL and started again, and every container's resolver
# answers again within 1 s of the new netd's start (measured from the exec,
# by a client asking every 20 ms). And a container running its own DNS
# server on 0.0.0.0:53 (UDP and TCP): it still serves its clients, and still
# resolves through 127.0.0.11.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
command -v dig >/dev/null || skip "dig missing (bind9-dnsutils)"
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3   # Debian's, with python3-dnspython
$PY -c 'import dns.message' 2>/dev/null || skip "dnspython missing (python3-dnspython)"

ctr_setup

printf 'nameserver 192.0.2.53\n' >"$T/resolv.conf"
nd_start --dns-resolv-conf "$T/resolv.conf"
netctl network create n1 >/dev/null
netctl network create n2 >/dev/null
for i in 1 2 3 4 5 6; do
  net=n1; [ $i -gt 3 ] && net=n2
  netctl run -d --name c$i --net $net bb sleep 300 >/dev/null
done
sbk() { netctl inspect "$1" | jq -r '.[0].NetworkSettings.SandboxKey'; }
ipn() { netctl inspect "$1" | jq -r ".[0].NetworkSettings.Networks.$2.IPAddress"; }

log "a container's own DNS server on 0.0.0.0:53 (UDP and TCP)"
OWN=$(sbk c1); own_ip=$(ipn c1 n1)
nsenter --net="$OWN" -- $PY "$NETD_SRC/tests/integration/dns_upstream.py" 0.0.0.0 53 own "$T/own.ready" >"$T/own.log" 2>&1 &
on_exit "kill $! 2>/dev/null"
poll 10 test -f "$T/own.ready" || fail "the container's server could not bind 0.0.0.0:53: $(cat "$T/own.log")"
C2=$(sbk c2)
out=$(nsenter --net="$C2" -- dig +short +time=2 +tries=2 @"$own_ip" id.example TXT) || true
[ "$out" = '"own"' ] || fail "c1's server over UDP: $out; its log: $(cat "$T/own.log"); its sockets: $(nsenter --net="$OWN" ss -uan)"
assert_eq "$(nsenter --net="$C2" -- dig +tcp +short +time=2 +tries=2 @"$own_ip" id.example TXT)" '"own"' "c1's server over TCP"
out=$(netctl exec c2 nslookup id.example "$own_ip" 2>&1); grep -q 'own' <<<"$out" || fail "busybox to c1's server: $out"
assert_eq "$(nsenter --net="$OWN" -- dig +short +time=2 +tries=2 @127.0.0.11 c2)" "$(ipn c2 n1)" "c1 through 127.0.0.11"
assert_eq "$(nsenter --net="$OWN" -- dig +tcp +short +time=2 +tries=2 @127.0.0.11 c3)" "$(ipn c3 n1)" "c1 through 127.0.0.11 (TCP)"
out=$(netctl exec c1 nslookup c3 2>&1); grep -q "$(ipn c3 n1)" <<<"$out" || fail "busybox in c1: $out"

log "100 more sandboxes with a resolver each, so that the restart has something to open"
for i in $(seq 100); do
  netctl sandbox create --name x$i >/dev/null && netctl network connect n2 x$i >/dev/null
done

log "kill -9, start again: every resolver answers within 1 s"
declare -A SBK WANT PEER
for i in 2 3 4 5 6; do
  net=n1; [ $i -gt 3 ] && net=n2
  peer=c3; [ $i = 3 ] && peer=c2; [ $i -gt 3 ] && peer=c4; [ $i = 4 ] && peer=c5
  SBK[$i]=$(sbk c$i); PEER[$i]=$peer; WANT[$i]=$(ipn $peer $net)
done
nd_kill
# the askers start before netd does: each prints when its first right answer came
for i in 2 3 4 5 6; do
  nsenter --net="${SBK[$i]}" -- $PY "$NETD_SRC/tests/integration/dns_client.py" until "${PEER[$i]}" "${WANT[$i]}" 15 \
    >"$T/until.$i" 2>&1 &
done
sleep 0.3   # the askers are asking (and failing) before netd starts
t0=$(( $(date +%s%N) / 1000000 ))
nd_start --dns-resolv-conf "$T/resolv.conf"
log "netd answered /_ping $(( $(date +%s%N) / 1000000 - t0 )) ms after its exec"
worst=0
for i in 2 3 4 5 6; do
  poll 15 test -s "$T/until.$i" || fail "c$i: no answer"
  at=$(cat "$T/until.$i"); [[ "$at" =~ ^[0-9]+$ ]] || fail "c$i: $at"
  ms=$(( at - t0 )); [ $ms -gt $worst ] && worst=$ms
  log "c$i resolves ${PEER[$i]} again $ms ms after netd's exec"
done
[ $worst -le 1000 ] || fail "a resolver answered only $worst ms after netd's start (want <= 1000)"
grep "sandbox listeners opened" "$ND_LOG" | tail -1 | sed 's/.*dns: /# /' >&2
X50=$(netctl sandbox inspect x50 | jq -r '.[0].NetnsPath')
assert_eq "$(nsenter --net="$X50" -- dig +short +time=2 +tries=2 @127.0.0.11 c4)" "$(ipn c4 n2)" "a bare sandbox after the restart"

log "names changed after the restart still answer at once"
netctl run -d --name c7 --net n1 bb sleep 300 >/dev/null
assert_eq "$(nsenter --net="${SBK[2]}" -- dig +short +time=2 +tries=2 @127.0.0.11 c7)" "$(ipn c7 n1)" "c7 after the restart"
log "a bare sandbox whose namespace went while netd was away: re-created, with its resolver"
X51=$(netctl sandbox inspect x51 | jq -r '.[0].NetnsPath')
nd_stop
umount "$X51" && rm -f "$X51" || fail "cannot remove x51's namespace $X51"
log "--dns-default-bridge: containers on the default bridge get the resolver too"
nd_start --dns-resolv-conf "$T/resolv.conf" --dns-default-bridge
assert_eq "$(nsenter --net="$X51" -- dig +short +time=2 +tries=2 @127.0.0.11 c4)" "$(ipn c4 n2)" "x51, its namespace re-created"
netctl run -d --name b1 bb sleep 300 >/dev/null
netctl run -d --name b2 bb sleep 300 >/dev/null
grep -qx 'nameserver 127.0.0.11' <<<"$(netctl exec b1 cat /etc/resolv.conf)" || fail "b1 resolv.conf: $(netctl exec b1 cat /etc/resolv.conf)"
assert_eq "$(nsenter --net="$(sbk b1)" -- dig +short +time=2 +tries=2 @127.0.0.11 b2)" "$(ipn b2 bridge)" "b2 on the default bridge"
log "ok"
