#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# proxy/ firewall layer against real packets. Runs (via run-one.sh) in its
# own network namespace, the test's "host"; sandboxes and the outside world
# are further namespaces made here. Needs $NETD_BUILD/tests/tools/nd-fw-test.
. "$(dirname "$0")/lib.sh"

FW=$NETD_BUILD/tests/tools/nd-fw-test
[ -x "$FW" ] || skip "$FW not built (cmake --build ... --target nd-fw-test)"
command -v nft >/dev/null || skip "nft (the witness) is not installed"
nft list tables >/dev/null 2>&1 || skip "nftables unavailable in this kernel"

fw() { "$FW" "$@"; }
can_ping() { in_ns "$1" ping -c1 -W1 -q "$2" >/dev/null 2>&1; }
must_ping() { can_ping "$1" "$2" || fail "$1 -> $2 should pass ($3)"; }
must_not_ping() { ! can_ping "$1" "$2" || fail "$1 -> $2 should be dropped ($3)"; }

# ---- topology ---------------------------------------------------------------
# host (this netns): bridges nbA 10.10.1.1, nbB 10.10.2.1, nbI 10.10.3.1 (internal),
# each with sandboxes; "outside" is a routed veth 192.0.2.0/24 with no route back
# to 10.10/16, so a sandbox reaches it only when masqueraded.
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.ipv6.conf.all.forwarding=1
# bridged IP traffic passes the inet forward hook (br_netfilter): icc=false relies on it
if [ -w /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
  sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1
  BRNF=1
else
  BRNF=0; log "no br_netfilter: icc=false cannot be enforced by nftables here"
fi

mk_bridge() { # NAME N (10.10.N.1/24, fd10:N::1/64)
  ip link add "$1" type bridge
  ip addr add "10.10.$2.1/24" dev "$1"
  ip addr add "fd10:$2::1/64" dev "$1" nodad
  ip link set "$1" up
}
mk_sandbox() { # NS BRIDGE N HOST (10.10.N.HOST)
  mk_netns "$1"
  ip link add "v$1" type veth peer name eth0 netns "$1"
  ip link set "v$1" master "$2" up
  ip -n "$1" addr add "10.10.$3.$4/24" dev eth0
  ip -n "$1" addr add "fd10:$3::$4/64" dev eth0 nodad
  ip -n "$1" link set eth0 up
  ip -n "$1" route add default via "10.10.$3.1"
  ip -n "$1" -6 route add default via "fd10:$3::1"
}
mk_bridge nbA 1; mk_bridge nbB 2; mk_bridge nbI 3
mk_sandbox a1 nbA 1 2; mk_sandbox a2 nbA 1 3
mk_sandbox b1 nbB 2 2; mk_sandbox b2 nbB 2 3
mk_sandbox i1 nbI 3 2; mk_sandbox i2 nbI 3 3
mk_netns outside
ip link add vout type veth peer name eth0 netns outside
ip addr add 192.0.2.1/24 dev vout; ip addr add 2001:db8::1/64 dev vout nodad; ip link set vout up
ip -n outside addr add 192.0.2.2/24 dev eth0
ip -n outside addr add 2001:db8::2/64 dev eth0 nodad
ip -n outside link set eth0 up
# the outside world counts who talks to it (witness only)
in_ns outside nft -f - <<'NFT'
table inet witness {
  chain input { type filter hook input priority 0; policy accept;
    ip saddr 192.0.2.1 icmp type echo-request counter
    ip6 saddr 2001:db8::1 icmpv6 type echo-request counter
    ip saddr 10.10.0.0/16 counter
  }
}
NFT
witness() { in_ns outside nft list chain inet witness input | grep -F "$1" | grep -o 'packets [0-9]*' | awk '{print $2}'; }

# a foreign table that must never change
nft -f - <<'NFT'
table inet other {
  set keep { type ipv4_addr; elements = { 198.51.100.7 } }
  chain fwdc { type filter hook forward priority 10; policy accept; ip saddr @keep counter; }
}
NFT
other_ref=$(nft list table inet other)
other_same() { [ "$(nft list table inet other)" == "$other_ref" ] || fail "table inet other changed after $1"; }

# ---- baseline: no netd rules -------------------------------------------------
must_ping a1 10.10.2.2 "routed, no rules yet"
must_not_ping a1 192.0.2.2 "no masquerade yet, outside has no route back"
leaked=$(witness '10.10.0.0/16')   # un-NATed sources seen so far (the line above)

# ---- ensure + networks --------------------------------------------------------
fw present && fail "present before ensure"
fw ensure || fail "ensure"
fw present || fail "not present after ensure"
fw ensure || fail "second ensure"
[ "$(nft list chain inet netd forward | grep -c 'comment "netd:')" = 9 ] || fail "ensure duplicated rules"
other_same ensure

fw add nbA 10.10.1.0/24 fd10:1::/64 || fail "add nbA"
fw add nbB 10.10.2.0/24 fd10:2::/64 || fail "add nbB"
fw add nbI 10.10.3.0/24 fd10:3::/64 --internal || fail "add nbI"
fw add nbI 10.10.3.0/24 fd10:3::/64 --internal || fail "add nbI again (idempotent)"
other_same add
log "ruleset after adding three networks:"; nft list table inet netd >&2

check_all() { # $1: label
  must_ping a1 10.10.1.3 "same network ($1)"
  must_ping a1 10.10.1.1 "gateway ($1)"
  must_not_ping a1 10.10.2.2 "cross network ($1)"
  must_not_ping b1 10.10.1.2 "cross network, other way ($1)"
  must_not_ping a1 10.10.3.2 "into internal ($1)"
  must_ping i1 10.10.3.3 "inside internal ($1)"
  must_not_ping i1 192.0.2.2 "internal cannot leave ($1)"
  must_not_ping i1 10.10.1.2 "internal cannot reach other networks ($1)"
  local before; before=$(witness '192.0.2.1 icmp')
  must_ping a1 192.0.2.2 "masqueraded out ($1)"
  must_ping b2 192.0.2.2 "masqueraded out ($1)"
  [ "$(witness '192.0.2.1 icmp')" -ge $((before + 2)) ] || fail "outside did not see 192.0.2.1 as source ($1)"
  [ "$(witness '10.10.0.0/16')" = "$leaked" ] || fail "a container address reached the outside ($1)"
  must_ping a1 2001:db8::2 "IPv6 masqueraded out ($1)"
  [ "$(witness '2001:db8::1')" -ge 1 ] || fail "outside did not see 2001:db8::1 as IPv6 source ($1)"
}
check_all "after add"

# ---- icc off / on ----------------------------------------------------------------
if [ $BRNF = 1 ]; then
  fw add nbA 10.10.1.0/24 --no-icc || fail "add nbA --no-icc"
  must_not_ping a1 10.10.1.3 "icc=false"
  must_ping a1 192.0.2.2 "icc=false still reaches outside"
  must_ping a1 10.10.1.1 "icc=false still reaches its gateway"
  fw add nbA 10.10.1.0/24 || fail "add nbA icc again"
  must_ping a1 10.10.1.3 "icc=true again"
fi

# ---- del -------------------------------------------------------------------------
fw del nbB || fail "del nbB"
fw del nbB || fail "del nbB twice (missing = success)"
must_not_ping b1 192.0.2.2 "deleted network is not masqueraded"
leaked=$(witness '10.10.0.0/16')
set_out=$(nft list set inet netd bridges)
[[ "$set_out" == *'"nbB"'* ]] && fail "nbB still in bridges"
fw add nbB 10.10.2.0/24 fd10:2::/64 || fail "re-add nbB"
other_same del

# ---- reconcile: nft flush ruleset, then sync -----------------------------------------
nft flush ruleset
fw present && fail "present after flush ruleset"
must_ping a1 10.10.2.2 "no isolation after flush (proves the flush)"
must_not_ping a1 192.0.2.2 "no masquerade after flush"
leaked=$(witness '10.10.0.0/16')
fw sync nbA,10.10.1.0/24,fd10:1::/64 nbB,10.10.2.0/24,fd10:2::/64 nbI,10.10.3.0/24,internal || fail "sync"
fw present || fail "not present after sync"
check_all "after flush + sync"
# sync again over a live table: atomic replace, same behaviour
fw sync nbA,10.10.1.0/24 nbB,10.10.2.0/24 nbI,10.10.3.0/24,internal || fail "sync over existing table"
check_all "after second sync"
[ "$(nft list chain inet netd forward | grep -c 'comment "netd:')" = 9 ] || fail "sync duplicated rules"

# the foreign table again, after it was flushed with everything else
nft -f - <<'NFT'
table inet other {
  set keep { type ipv4_addr; elements = { 198.51.100.7 } }
  chain fwdc { type filter hook forward priority 10; policy accept; ip saddr @keep counter; }
}
NFT
other_ref=$(nft list table inet other)
fw ensure; fw add nbA 10.10.1.0/24; fw del nbB; fw sync nbA,10.10.1.0/24 nbB,10.10.2.0/24 nbI,10.10.3.0/24,internal
other_same "ensure/add/del/sync"

# ---- ensure repairs a damaged table, keeping elements ---------------------------------
h=$(nft -a list chain inet netd forward | awk '/netd:isolation/ {print $NF}')
nft delete rule inet netd forward handle "$h"
fw present && fail "present with a rule missing"
must_ping a1 10.10.2.2 "isolation rule removed (proves the damage)"
fw ensure || fail "ensure (repair)"
must_not_ping a1 10.10.2.2 "isolation restored by ensure"
must_ping a1 192.0.2.2 "elements kept by ensure"

# ---- foreign forward drop: detected; it wins over our accept until we answer it ---------
fw foreign-drop && fail "foreign drop reported with none"
nft add table ip filter
nft add chain ip filter FORWARD '{ type filter hook forward priority 0; policy drop; }'
nft add rule ip filter FORWARD iifname lo accept comment '"the owner s rule"'
where=$(fw foreign-drop) || fail "foreign FORWARD policy drop not detected"
assert_eq "$where" "ip filter FORWARD" "foreign chain"
must_not_ping a1 192.0.2.2 "another table's drop policy wins over our accept"
out=$(fw foreign-sync) || fail "foreign-sync"
[[ "$out" == "chains=1 bridges=3 rules=6 added=6 removed=0 "* ]] || fail "foreign-sync: $out"
must_ping a1 192.0.2.2 "netd's accept rules in the foreign chain"
must_not_ping a1 10.10.2.2 "isolation still ours"
assert_eq "$(nft list chain ip filter FORWARD | grep -c 'comment "netd: ')" 6 "our rules in the foreign chain"
chain=$(nft list chain ip filter FORWARD)
[[ "$chain" == *'iifname "lo" accept comment "the owner s rule"'* ]] || fail "the owner's rule changed: $chain"
out=$(fw foreign-sync); [[ "$out" == *" added=0 removed=0 "* ]] || fail "second foreign-sync changed something: $out"
nft delete table ip filter
must_ping a1 192.0.2.2 "after the foreign drop is gone"
# firewalld's way: policy accept, but the chain ends in an unconditional reject
nft -f - <<'NFT'
table inet fwd_like {
  chain filter_FORWARD {
    type filter hook forward priority filter + 10; policy accept;
    ct state established,related accept
    ct status dnat accept
    iifname "lo" accept
    counter reject with icmpx admin-prohibited
  }
}
NFT
must_not_ping a1 192.0.2.2 "a final unconditional reject in another table"
out=$(fw foreign-sync) || fail "foreign-sync (final reject)"
[[ "$out" == "chains=1 bridges=3 rules=6 added=6 removed=0 where=inet fwd_like filter_FORWARD (ends in an unconditional reject)"* ]] ||
  fail "foreign-sync (final reject): $out"
must_ping a1 192.0.2.2 "netd's rules inserted before the final reject"
last=$(nft list chain inet fwd_like filter_FORWARD | grep -E 'accept|reject' | tail -1)
[[ "$last" == *"reject with icmpx admin-prohibited"* ]] || fail "the reject is no longer last: $last"
out=$(fw foreign-sync); [[ "$out" == *" added=0 removed=0 "* ]] || fail "second foreign-sync (final reject): $out"
nft delete table inet fwd_like
# RHEL's classic iptables: policy ACCEPT, the last rule `-j REJECT` (an xt target in iptables-nft)
if command -v iptables-nft >/dev/null; then
  iptables-nft -w -A FORWARD -i lo -j ACCEPT
  iptables-nft -w -A FORWARD -m comment --comment "the owners last word" -j REJECT --reject-with icmp-host-prohibited
  must_not_ping a1 192.0.2.2 "iptables' final -j REJECT"
  out=$(fw foreign-sync) || fail "foreign-sync (-j REJECT)"
  [[ "$out" == *"where=ip filter FORWARD (ends in an unconditional reject)"* && "$out" == *" added=6 "* ]] ||
    fail "foreign-sync (-j REJECT): $out"
  must_ping a1 192.0.2.2 "netd's rules before iptables' final REJECT"
  assert_eq "$(iptables-nft -w -S FORWARD | tail -1)" "-A FORWARD -m comment --comment \"the owners last word\" -j REJECT --reject-with icmp-host-prohibited" "REJECT still last"
  nft delete table ip filter
fi
# legacy (x_tables) iptables cannot be edited through nftables: reported only
if command -v iptables-legacy >/dev/null && iptables-legacy -w -P FORWARD DROP 2>/dev/null; then
  out=$(fw foreign-sync)
  [[ "$out" == *"legacy=iptables-legacy filter FORWARD" ]] || fail "legacy FORWARD DROP not reported: $out"
  must_not_ping a1 192.0.2.2 "legacy iptables' drop policy (proves the report is about a real drop)"
  iptables-legacy -w -P FORWARD ACCEPT
  out=$(fw foreign-sync); [[ "$out" == *"legacy=" ]] || fail "legacy reported after ACCEPT: $out"
  must_ping a1 192.0.2.2 "legacy policy back to ACCEPT"
fi

# ---- errors surface the kernel's errno and what failed ----------------------------------
nft delete table inet netd
out=$(fw add nbA 10.10.1.0/24 2>&1) && fail "add without table succeeded"
echo "$out" | grep -q 'add element nbA to set bridges: No such file or directory' || fail "unexpected error: $out"
fw del nbA || fail "del without table must succeed"
out=$(fw add 'bad/name' 2>&1) && fail "bad bridge name accepted"
out=$(fw add nbX 10.0.0.0/99 2>&1) && fail "bad subnet accepted"
other_same "errors"

# ---- figures (own table, removed after) -------------------------------------------------
fw --table netdbench bench 1000 >&2 || fail "bench"
nft delete table inet netdbench
other_same bench
log "ok"
