#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# netctl explain with a foreign firewall: a `policy drop` forward chain in a
# table of this test's, with netd's accept rules in it (netd adds them: see
# proxy/fw_foreign.c) and without them (removed by the test; netd puts them
# back within a reconcile period, so each such check is retried until the
# rules stayed away for the whole check), and an explicit drop rule of the
# owner's, which wins over netd's accepts. Each verdict is compared with a
# real packet's fate; each hop's command is run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
. "$(dirname "$0")/explain_lib.sh"
command -v nft >/dev/null || skip "nft (the foreign firewall and the witness) is not installed"
nft list tables >/dev/null 2>&1 || skip "nftables unavailable in this kernel"
[ "$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null)" = 1 ] ||
  skip "br_netfilter is off: bridged traffic never meets a forward chain"

ctr_setup
outside_setup
nd_start
netctl network create --subnet 172.29.0.0/24 fn >/dev/null
BR=$(netctl network inspect fn | jq -r '.[0].Options["com.docker.network.bridge.name"] // empty')
[ -n "$BR" ] || BR=br-$(netctl network inspect fn | jq -r '.[0].Id' | cut -c1-12)
ip link show "$BR" >/dev/null || fail "no bridge $BR"
netctl run -d --name a --net fn bb sleep 1000 >/dev/null
netctl run -d --name b --net fn -p 8080:80 -e CGI="$WEB_CGI" bb sh -c "$WEB_SRV" >/dev/null
B=$(ctr_ip b)
poll 20 in_ns outside curl -sf --max-time 1 http://192.0.2.1:8080/cgi-bin/ip || fail "b not published"

log "the owner's table: a forward chain with policy drop"
nft add table inet owner
on_exit nft delete table inet owner
nft add chain inet owner fwchain '{ type filter hook forward priority 10; policy drop; }'
nft add rule inet owner fwchain ct state established,related counter accept
ours() { nft -a list chain inet owner fwchain | grep -c 'comment "netd: ' || true; }
poll 10 bash -c '[ "$(nft list chain inet owner fwchain | grep -c "comment \"netd: ")" -ge 2 ]' ||
  fail "netd did not add its accept rules: $(nft -a list chain inet owner fwchain)"

log "with netd's accept rules"
expect "bridged, through the owner's drop chain" a b ping_from_ctr a "$B"
jq -e '[.hops[] | select(.kind == "nft" and (.command | test("owner")))] | length > 0' <<<"$EX" >/dev/null ||
  fail "the owner's chain is not in the path: $(ex_show)"
expect "outside -> published port, through it" 192.0.2.2 host:8080 tcp_from in_ns outside 192.0.2.1 8080
expect "container -> outside, through it" a 192.0.2.2 ping_from_ctr a 192.0.2.2

# without_rules LABEL SRC DST CTR ADDR: netd's rules removed, explain asked,
# then netd frozen (SIGSTOP: no reconcile puts them back) while CTR pings
# ADDR from its namespace; again when explain still saw a rule of netd's
without_rules() {
  local label=$1 src=$2 dst=$3 ctr=$4 addr=$5 try real= rc out ns
  ns=$(netctl inspect "$ctr" | jq -r '.[0].NetworkSettings.SandboxKey')
  for try in 1 2 3 4 5; do
    nft -a list chain inet owner fwchain | sed -n 's/.*comment "netd: .*# handle \([0-9]*\)$/\1/p' |
      while read -r h; do nft delete rule inet owner fwchain handle "$h"; done
    ex "$src" "$dst"
    kill -STOP "$ND_PID"
    if [ "$(ours)" = 0 ]; then
      rc=0; out=$(nsenter --net="$ns" busybox ping -c 1 -W 1 "$addr" 2>&1) || rc=$?
      real=$(fate_of "$rc" "$out")
    fi
    kill -CONT "$ND_PID"
    [ -n "$real" ] && ! jq -e '.hops[] | select(.object | test("^netd: "))' <<<"$EX" >/dev/null && break
    log "$label: netd put its rules back during the check (try $try), again"
    real=
  done
  [ -n "$real" ] || fail "$label: netd's rules never stayed away for a whole check"
  log "$label: explain=$(ex_result) real=$real"
  [ "$(ex_result)" = "$real" ] || fail "$label: explain says $(ex_result), the real packet was $real: $(ex_show)"
  jq -e '.verdict.rule | test("owner fwchain: policy drop")' <<<"$EX" >/dev/null ||
    fail "$label: the owner's policy is not named: $(ex_show)"
  ex_hops_ok
}
log "without netd's accept rules"
without_rules "bridged, the owner's drop policy" a b a "$B"
without_rules "container -> outside, the owner's drop policy" a 192.0.2.2 a 192.0.2.2
poll 10 bash -c '[ "$(nft list chain inet owner fwchain | grep -c "comment \"netd: ")" -ge 2 ]' ||
  fail "netd did not put its accept rules back"

log "the owner's explicit drop wins over netd's accept"
nft insert rule inet owner fwchain oifname "$BR" tcp dport 80 counter drop
expect "outside -> published port, the owner's drop rule" 192.0.2.2 host:8080 tcp_from in_ns outside 192.0.2.1 8080
jq -e '.verdict.rule | test("owner fwchain: .*tcp dport 80.*drop")' <<<"$EX" >/dev/null ||
  fail "the owner's drop rule is not named: $(ex_show)"
pk=$(nft list chain inet owner fwchain | sed -n 's/.*tcp dport 80 counter packets \([0-9]*\) .*/\1/p')
[ "${pk:-0}" -gt 0 ] || fail "the real packet did not meet the rule explain named: $(nft list chain inet owner fwchain)"
expect "ping still passes it" a b ping_from_ctr a "$B"
log "a rule netd cannot evaluate (a rate limit) is named, never guessed"
nft delete rule inet owner fwchain handle "$(nft -a list chain inet owner fwchain | sed -n 's/.*tcp dport 80 counter.* drop # handle \([0-9]*\)$/\1/p')"
nft insert rule inet owner fwchain iifname "$BR" limit rate 1/second burst 1 packets counter drop
ex a b
assert_eq "$(ex_result)" unknown "verdict with a limit rule"
jq -e '.verdict.rule | test("owner fwchain: .*limit")' <<<"$EX" >/dev/null || fail "the limit rule is not named: $(ex_show)"
ex_hops_ok
nft delete rule inet owner fwchain handle "$(nft -a list chain inet owner fwchain | sed -n 's/.*limit rate.* drop # handle \([0-9]*\)$/\1/p')"
expect "without the limit rule, delivered again" a b ping_from_ctr a "$B"

log "a bridge-family table is named, and a bridged packet is not claimed delivered"
nft add table bridge brwatch
on_exit "nft delete table bridge brwatch 2>/dev/null || true"
nft add chain bridge brwatch brfwd '{ type filter hook forward priority 0; policy accept; }'
ex a b
assert_eq "$(ex_result)" unknown "verdict with a bridge-family forward chain"
jq -e '[.hops[] | select(.kind == "nft-unread" and .object == "table bridge brwatch")] | length == 1' <<<"$EX" >/dev/null ||
  fail "the bridge-family chain is not named: $(ex_show)"
ex_hops_ok
# it matters: a drop there drops the real packet, which explain did not call delivered
nft add rule bridge brwatch brfwd ip protocol icmp counter drop
assert_eq "$(ping_from_ctr a "$B")" dropped "a ping through the bridge-family drop"
nft delete table bridge brwatch
ex a b
assert_eq "$(ex_result)" delivered "verdict once the bridge-family table is gone"
netctl rm -f a b >/dev/null
