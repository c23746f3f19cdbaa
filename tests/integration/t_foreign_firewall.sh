#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Published ports and container traffic on a "host" whose iptables FORWARD
# policy is DROP and that carries Docker's rules (iptables-nft, as Docker
# and ufw leave a host): netd appends its own accept rules for its bridges to
# the foreign drop-policy chains, says so in /info, keeps them in step with
# its networks and puts them back after a flush, and touches nothing else.
# Everything happens in the test's own network namespace ("host") and an
# "outside" namespace made here.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"

command -v iptables-nft >/dev/null && command -v ip6tables-nft >/dev/null ||
  skip "iptables-nft (the foreign firewall) is not installed"
command -v curl >/dev/null || skip "curl missing"
nft list tables >/dev/null 2>&1 || skip "nftables unavailable in this kernel"
ipt() { iptables-nft -w "$@"; }
ip6t() { ip6tables-nft -w "$@"; }
# what the owner of the foreign tables sees, netd's own rules left out
foreign_view() { { ipt -S; ipt -t nat -S; ip6t -S; } | grep -v -- '--comment "netd: '; }
ours() { { ipt -S FORWARD; ip6t -S FORWARD; } | grep -c -- '--comment "netd: ' || true; }
info() { api GET /info | jq -r ".Firewall.$1"; }

# ---- the host's firewall, as Docker 28 leaves it (docker0 needs not exist) -------
ipt -N DOCKER-USER; ipt -A DOCKER-USER -j RETURN
ipt -N DOCKER; ipt -N DOCKER-ISOLATION-STAGE-1; ipt -A DOCKER-ISOLATION-STAGE-1 -j RETURN
ipt -A FORWARD -j DOCKER-USER
ipt -A FORWARD -j DOCKER-ISOLATION-STAGE-1
ipt -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
ipt -A FORWARD -o docker0 -j DOCKER
ipt -A FORWARD -i docker0 ! -o docker0 -j ACCEPT
ipt -A FORWARD -i docker0 -o docker0 -j ACCEPT
ipt -P FORWARD DROP
ipt -t nat -N DOCKER
ipt -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
ipt -t nat -A POSTROUTING -s 172.18.0.0/16 ! -o docker0 -j MASQUERADE
ipt -t nat -A DOCKER -i docker0 -j RETURN
ip6t -P FORWARD DROP
before=$(foreign_view)

ctr_setup
outside_setup
nd_start
assert_eq "$(info ForeignForwardDrop)" true "ForeignForwardDrop"
where=$(info ForeignForwardDropWhere)
[[ "$where" == *"ip filter FORWARD"* && "$where" == *"ip6 filter FORWARD"* ]] || fail "ForeignForwardDropWhere: $where"
# the default network's bridge: 2 rules (in, out) in each of the 2 chains
assert_eq "$(info ForeignForwardRules)" 4 "rules for netd0"
[[ "$(info ForeignForwardAction)" == *"added 4 accept rules"* ]] || fail "ForeignForwardAction: $(info ForeignForwardAction)"

netctl network create --ipv6 --subnet 172.30.0.0/24 --subnet fd30::/64 pn >/dev/null
br=$(netctl network inspect pn | jq -r '.[0].Options["com.docker.network.bridge.name"] // empty')
[ -n "$br" ] || br=$(ip -o link show type bridge | awk -F': ' '{print $2}' | grep -v '^netd0$' | head -1)
assert_eq "$(ours)" 8 "accept rules after network create"
fwd=$(ipt -S FORWARD)
grep -qx -- "-A FORWARD -o $br -m comment --comment \"netd: into $br\" -j ACCEPT" <<<"$fwd" ||
  fail "iptables does not show netd's rule for $br: $(ipt -S FORWARD)"
assert_eq "$(foreign_view)" "$before" "the owner's rules and policies are untouched"

log "published port from outside, through policy DROP"
netctl run -d --name web --hostname web --net pn -p 8080:80 -e CGI="$WEB_CGI" bb sh -c "$WEB_SRV" >/dev/null
poll 10 in_ns outside curl -sf --max-time 1 http://192.0.2.1:8080/cgi-bin/ip || fail "outside -> 8080: $(get_out 192.0.2.1:8080)"
assert_eq "$(get_out 192.0.2.1:8080)" "web 192.0.2.2" "outside v4 (client's own address seen)"
assert_eq "$(get_out '[2001:db8::1]:8080')" "web 2001:db8::2" "outside v6 (client's own address seen)"
pk=$(ipt -L FORWARD -v -x -n | awk -v b="$br" '$7 == b && /netd: into/ {print $1}')
[ "${pk:-0}" -gt 0 ] || fail "the published traffic did not pass netd's rule: $(ipt -L FORWARD -v -x -n)"
log "container -> outside (masqueraded), through policy DROP"
netctl run --rm --net pn bb ping -c1 -W2 192.0.2.2 >/dev/null || fail "container cannot reach outside"

log "the owner's explicit drop still wins"
ipt -I DOCKER-USER -o "$br" -j DROP
[ "$(get_out 192.0.2.1:8080)" != "web 192.0.2.2" ] || fail "an explicit DROP in DOCKER-USER was overridden"
ipt -D DOCKER-USER -o "$br" -j DROP
assert_eq "$(get_out 192.0.2.1:8080)" "web 192.0.2.2" "after the owner's drop is gone"

log "the chain flushed (iptables -F FORWARD): netd's rules come back"
ipt -F FORWARD
poll 15 bash -c '[ "$(nsenter --net=/run/netns/outside curl -s --max-time 1 http://192.0.2.1:8080/cgi-bin/ip)" = "web 192.0.2.2" ]' ||
  fail "not restored after iptables -F FORWARD: $(get_out 192.0.2.1:8080)"
assert_eq "$(ipt -S FORWARD | grep -c 'netd: ')" 4 "ip filter FORWARD rules after the flush"

log "iptables-save / iptables-restore keeps them recognisable (no duplicates)"
ipt -A FORWARD -j DOCKER-USER
saved=$(iptables-nft-save); ipt -F FORWARD; echo "$saved" | iptables-nft-restore -w
assert_eq "$(ipt -S FORWARD | grep -c 'netd: ')" 4 "rules after save/restore"

log "network create/rm follows (and a sync does not copy restored rules)"
netctl network create --subnet 172.31.0.0/24 pn2 >/dev/null
assert_eq "$(ipt -S FORWARD | grep -c 'netd: ')" 6 "ip filter FORWARD rules with pn2"
assert_eq "$(ours)" 12 "rules with pn2"
netctl network rm pn2 >/dev/null
assert_eq "$(ours)" 8 "rules after pn2 is removed"

log "netd killed and restarted: rules stay, no duplicates, traffic flows"
nd_kill
assert_eq "$(get_out 192.0.2.1:8080)" "web 192.0.2.2" "outside with netd dead"
nd_start
assert_eq "$(ours)" 8 "rules after restart"
assert_eq "$(get_out 192.0.2.1:8080)" "web 192.0.2.2" "outside after restart"

log "policy back to ACCEPT: netd takes its rules away"
ipt -P FORWARD ACCEPT; ip6t -P FORWARD ACCEPT
poll 15 bash -c '[ "$( { iptables-nft -S FORWARD; ip6tables-nft -S FORWARD; } | grep -c "netd: ")" = 0 ]' ||
  fail "netd's rules stayed after the policy became ACCEPT: $(ipt -S FORWARD)"
assert_eq "$(info ForeignForwardDrop)" false "ForeignForwardDrop after ACCEPT"
assert_eq "$(get_out 192.0.2.1:8080)" "web 192.0.2.2" "outside with policy ACCEPT"

netctl rm -f web >/dev/null
netctl network rm pn >/dev/null
echo ok
