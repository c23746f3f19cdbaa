#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# macvlan modes shown by packets. Each mode has a parent of its own, one end
# of a veth whose other end is a port of the upstream bridge:
#   bridge    two containers on one parent talk directly
#   private   they do not (nor through the upstream)
#   vepa      they talk only when the upstream bridge sends frames back out
#             of the port they came in on (hairpin), and the upstream port
#             counts those frames
#   passthru  one child takes the parent (its MAC); a second is refused
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/macvlan_lib.sh"

nd_start
for p in pbr ppr pve ppt; do mv_upstream $p; done
ip -n up addr add 10.2.0.1/24 dev br0; ip -n up addr add 10.3.0.1/24 dev br0
ip -n up addr add 10.4.0.1/24 dev br0; ip -n up addr add 10.5.0.1/24 dev br0
mk() { netctl network create -d macvlan -o parent=$1 -o macvlan_mode=$2 --subnet $3 --gateway ${3%.0/24}.1 $4 >/dev/null; }
mk pbr bridge 10.2.0.0/24 mbr
mk ppr private 10.3.0.0/24 mpr
mk pve vepa 10.4.0.0/24 mve
mk ppt passthru 10.5.0.0/24 mpt
for n in mbr mpr mve; do
  for i in 1 2; do netctl sandbox create --name $n$i >/dev/null; netctl network connect $n $n$i; done
  [[ "$(sbx ${n}1 ip -d -o link show eth0)" == *"macvlan mode $(netctl network inspect $n | jq -r '.[0].Options.macvlan_mode')"* ]] \
    || fail "$n: eth0 has the wrong mode: $(sbx ${n}1 ip -d -o link show eth0)"
done
pingc() { sbx "$1" ping -c1 -W1 "$2" >/dev/null 2>&1; }
rx() { ip -n up -j -s link show "$1" | jq '.[0].stats64.rx.packets'; }

# bridge: the two children talk, and not through the upstream port
r0=$(rx u-pbr)
pingc mbr1 "$(ep_of mbr2 mbr IPv4Address)" || fail "bridge mode: containers do not talk"
pingc mbr2 "$(ep_of mbr1 mbr IPv4Address)" || fail "bridge mode: containers do not talk (reverse)"
pingc mbr1 10.2.0.1 || fail "bridge mode: gateway unreachable"

# private: not to each other, even though the upstream bridge would forward (no hairpin anyway)
! pingc mpr1 "$(ep_of mpr2 mpr IPv4Address)" || fail "private mode: containers talk"
pingc mpr1 10.3.0.1 || fail "private mode: gateway unreachable"

# vepa: every frame goes up; without hairpin the upstream never sends it back
! pingc mve1 "$(ep_of mve2 mve IPv4Address)" || fail "vepa mode without hairpin: containers talk"
ip -n up link set u-pve type bridge_slave hairpin on
r0=$(rx u-pve)
pingc mve1 "$(ep_of mve2 mve IPv4Address)" || fail "vepa mode with a hairpin upstream: containers do not talk"
r1=$(rx u-pve)
[ $((r1 - r0)) -ge 2 ] || fail "vepa: the ping did not go through the upstream port ($r0 -> $r1 packets)"
# bridge mode does not: the same ping leaves the upstream port's counter alone
r0=$(rx u-pbr)
for _ in 1 2 3; do pingc mbr1 "$(ep_of mbr2 mbr IPv4Address)" || fail "bridge mode: containers stopped talking"; done
r1=$(rx u-pbr)
[ $((r1 - r0)) -lt 3 ] || fail "bridge mode: container-to-container packets went upstream ($r0 -> $r1)"

# passthru: the child takes the parent's MAC; one child only
pmac=$(ip -j link show ppt | jq -r '.[0].address')
netctl sandbox create --name mpt1 >/dev/null; netctl sandbox create --name mpt2 >/dev/null
netctl network connect mpt mpt1
[[ "$(sbx mpt1 ip -o link show eth0)" == *"$pmac"* ]] || fail "passthru: eth0 lacks the parent's MAC $pmac"
assert_eq "$(ep_of mpt1 mpt MacAddress)" "$pmac" "passthru: recorded MAC"
pingc mpt1 10.5.0.1 || fail "passthru: gateway unreachable"
in_ns up ping -c1 -W1 "$(ep_of mpt1 mpt IPv4Address)" >/dev/null || fail "passthru: upstream cannot reach the container"
set +e; out=$(netctl network connect mpt mpt2 2>&1); rc=$?
st=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$ND_SOCK" -XPOST -d '{"Container":"mpt2"}' http://x/networks/mpt/connect); set -e
[ $rc -ne 0 ] && [[ "$out" == *passthru* ]] || fail "passthru: a second child was not refused: $out"
assert_eq "$st" 409 "passthru: status of a second connect"
[[ "$(sbx mpt2 ip -o link)" != *eth0* ]] || fail "passthru: the refused connect left an interface"
set +e; out=$(netctl network connect --mac-address 02:00:00:00:00:01 mpt mpt2 2>&1); rc=$?; set -e
[ $rc -ne 0 ] && [[ "$out" == *"passthru"* ]] || fail "passthru: --mac-address accepted: $out"
netctl network disconnect mpt mpt1
netctl network connect mpt mpt2   # the parent is free again
netctl network disconnect mpt mpt2
echo ok
