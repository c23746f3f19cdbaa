#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# netctl explain on bridge networks: for each scenario, explain's verdict is
# compared with what a real packet does, and every hop's command is run to
# see the object explain names. Same bridge (delivered, no listener),
# another bridge (isolated), an internal network, icc off, a container on
# network "none", and a destination the host has no route to.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
. "$(dirname "$0")/explain_lib.sh"
command -v nft >/dev/null || skip "nft (the witness) is not installed"
command -v bridge >/dev/null || skip "bridge (iproute2) missing"

ctr_setup
nd_start
netctl network create --subnet 172.31.1.0/24 n1 >/dev/null
netctl network create --subnet 172.31.2.0/24 n2 >/dev/null
netctl network create --internal --subnet 172.31.3.0/24 ni >/dev/null
netctl network create --subnet 172.31.4.0/24 -o com.docker.network.bridge.enable_icc=false nq >/dev/null
run() { netctl run -d --name "$1" --net "$2" bb sh -c "${3:-exec sleep 1000}" >/dev/null; }
SRV='mkdir -p /www && exec httpd -f -p 80 -h /www'
run a n1; run b n1 "$SRV"; run c n2 "$SRV"
run i1 ni; run i2 ni "$SRV"
run q1 nq; run q2 nq "$SRV"
run z none
B=$(ctr_ip b); C=$(ctr_ip c); I2=$(ctr_ip i2); Q2=$(ctr_ip q2)
poll 10 bash -c "$NETCTL_BIN exec b netstat -ltn | grep -q :80" || fail "b does not listen"

expect "same bridge, port 80" a b:80 tcp_from_ctr a "$B" 80
expect "same bridge, by address" a "$B:80" tcp_from_ctr a "$B" 80
expect "same bridge, no listener on 81" a b:81 tcp_from_ctr a "$B" 81
expect "same bridge, ping" a b ping_from_ctr a "$B"
n0=$(netd_rule_packets forward isolation)
expect "another bridge (isolated)" a "$C:80" tcp_from_ctr a "$C" 80
jq -e '.verdict.rule | test("isolation")' <<<"$EX" >/dev/null || fail "isolation rule not named: $(ex_show)"
# the packet met that rule (again when it was lost before, e.g. by the ARP
# table all namespaces of the machine share overflowing under load)
for try in 1 2 3; do
  [ "$(netd_rule_packets forward isolation)" -gt "${n0:-0}" ] && break
  [ "$try" = 3 ] && fail "the real packet did not meet the rule explain named: $(nft list chain inet netd forward)"
  tcp_from_ctr a "$C" 80 >/dev/null
done
expect "internal network, peer" i1 i2:80 tcp_from_ctr i1 "$I2" 80
expect "internal network, the outside" i1 192.0.2.9:80 tcp_from_ctr i1 192.0.2.9 80
expect "icc off" q1 q2:80 tcp_from_ctr q1 "$Q2" 80
jq -e '.verdict.reason | test("isolated")' <<<"$EX" >/dev/null || fail "icc off: the isolated ports not named: $(ex_show)"
expect "container on none" z "$B:80" tcp_from_ctr z "$B" 80
expect "no route on the host" a 198.51.100.7:80 tcp_from_ctr a 198.51.100.7 80

log "bad input is refused"
out=$(netctl explain nosuch b 2>&1) && fail "unknown SRC accepted: $out"
grep -q "no such container" <<<"$out" || fail "unknown SRC: $out"
out=$(netctl explain a b:99999 2>&1) && fail "bad port accepted: $out"
grep -q "port" <<<"$out" || fail "bad port: $out"
assert_eq "$(api_status GET '/explain?src=a&dst=b&proto=sctp&port=1')" 400 "bad proto"
netctl rm -f a b c i1 i2 q1 q2 z >/dev/null
