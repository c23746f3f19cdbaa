#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# netd killed with SIGKILL, the kernel damaged and littered while it was
# down, netd restarted: reconcile puts back the host-access child, the
# internal parent, the VLAN link (where the kernel has 802.1Q) and every
# recorded child; deletes what it made and no record names (a child left by
# a disconnect cut short, a retired child, an interface named like its own);
# never touches what it did not make; no address is held twice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/macvlan_lib.sh"

VLAN=0
ip link add mvvprobe type veth peer name mvvprobe1
ip link add link mvvprobe name mvvprobe.42 type vlan id 42 2>/dev/null && VLAN=1
ip link del mvvprobe
[ $VLAN = 1 ] || log "no 802.1Q in this kernel: the VLAN part is left out"

nd_start
mv_upstream veth0
netctl network create -d macvlan -o parent=veth0 -o netd.macvlan.host_access=true \
  --subnet 10.1.0.0/24 --gateway 10.1.0.1 lan >/dev/null
netctl network create -d macvlan --internal --subnet 10.60.0.0/24 int >/dev/null
mv_upstream veth1
netctl network create -d macvlan -o parent=veth1 -o netd.macvlan.host_access=true --subnet 10.3.0.0/24 lan2 >/dev/null
if [ $VLAN = 1 ]; then
  ip -n up link add link br0 name u42 type vlan id 42; ip -n up link set u42 up
  ip -n up addr add 10.42.0.1/24 dev u42
  netctl network create -d macvlan -o parent=veth0.42 --subnet 10.42.0.0/24 --gateway 10.42.0.1 v42 >/dev/null
fi
lid=$(netctl network inspect lan | jq -r '.[0].Id'); iid=$(netctl network inspect int | jq -r '.[0].Id')
l2id=$(netctl network inspect lan2 | jq -r '.[0].Id')
for i in 1 2 3 4; do
  netctl sandbox create --name s$i >/dev/null
  netctl network connect lan s$i
  netctl network connect int s$i
  [ $VLAN = 1 ] && netctl network connect v42 s$i
done
declare -A NSP
for i in 1 2 3 4; do NSP[s$i]=$(netctl sandbox inspect s$i | jq -r '.[0].NetnsPath'); done
sbpath() { echo "${NSP[$1]}"; }
in_sb() { local p; p=$(sbpath "$1"); shift; nsenter --net="$p" -- "$@"; }
ip -o link show "mvi${iid:0:12}" >/dev/null || fail "no internal parent"
eps_before=$(api GET /endpoints | jq -c '[.[] | {Id, IPv4Address}] | sort_by(.Id)')
declare -A LANIP
for i in 1 2 3 4; do LANIP[s$i]=$(ep_of s$i lan IPv4Address); done
ep_of_saved() { echo "${LANIP[$1]}"; }

nd_kill
# damage: a host-access child, the address (and routes) of the other one,
# the internal parent (its children die with it), one container's child,
# the VLAN link (its children die with it)
ip link del "mvh${l2id:0:12}"
ip addr flush dev "mvh${lid:0:12}"     # and with it every route to a container
ip link del "mvi${iid:0:12}"
in_sb s1 ip link del eth0
[ $VLAN = 1 ] && ip link del veth0.42
# litter: ours by name; ours by mark (a disconnect cut short); retired; and not ours
ip link add "mvh0123456789ab" link veth0 type macvlan mode bridge
ip link add eth9 link veth0 netns "$(sbpath s3)" type macvlan mode bridge
in_sb s3 ip link set eth9 alias "netd-macvlan-ep:$(printf 'f%.0s' {1..64})"
ip link add mvdel77 link veth0 netns "$(sbpath s4)" type macvlan mode bridge
ip link add mymv link veth0 type macvlan mode bridge
ip route add 10.1.0.99/32 dev "mvh${lid:0:12}" proto static scope link   # a disconnect cut short
ip link add eth8 link veth0 netns "$(sbpath s4)" type macvlan mode bridge

nd_start
assert_eq "$(api GET /endpoints | jq -c '[.[] | {Id, IPv4Address}] | sort_by(.Id)')" "$eps_before" "endpoints after restart"
ip -o addr show "mvh${lid:0:12}" | grep -q "10.1.0.254/32" || fail "host-access address not back: $(ip -o addr)"
ip -o addr show "mvh${l2id:0:12}" | grep -q "10.3.0.254/32" || fail "host-access child not back: $(ip -o link)"
[ -z "$(ip route show 10.1.0.99)" ] || fail "a host route to an address no endpoint has was left: $(ip route)"
for i in 1 2 3 4; do
  [ -n "$(ip route show "$(ep_of_saved s$i)")" ] || fail "the host route to s$i is not back: $(ip route)"
done
ip -o link show "mvi${iid:0:12}" >/dev/null && ip -o link show "mvo${iid:0:12}" >/dev/null || fail "internal parent not back"
[ $VLAN = 0 ] || ip -d link show veth0.42 | grep -q "id 42" || fail "veth0.42 not back"
for i in 1 2 3 4; do
  for n in lan int $([ $VLAN = 1 ] && echo v42); do
    a=$(ep_of s$i $n IPv4Address)
    ifn=$(netctl sandbox inspect s$i | jq -r --arg n $n '.[0].Networks[$n].Ifname')
    [ "$(sbx s$i ip -o -4 addr show | grep -c " $a/")" = 1 ] || fail "s$i: $a not exactly once: $(sbx s$i ip -o -4 addr)"
    [[ "$(sbx s$i ip -d -o link show "$ifn")" == *macvlan* ]] || fail "s$i: $ifn ($n) not back"
  done
  in_ns up ping -c1 -W2 "$(ep_of s$i lan IPv4Address)" >/dev/null || fail "upstream cannot reach s$i after restart"
  ping -c1 -W2 "$(ep_of s$i lan IPv4Address)" >/dev/null || fail "host access to s$i lost after restart"
  [ $VLAN = 0 ] || sbx s$i ping -c1 -W2 10.42.0.1 >/dev/null || fail "s$i: VLAN 42 lost after restart"
done
sbx s1 ping -c1 -W2 "$(ep_of s2 int IPv4Address)" >/dev/null || fail "internal network broken after restart"
# every address of ours is held once in the whole system
all=$(for i in 1 2 3 4; do sbx s$i ip -o -4 addr show | awk '{print $4}'; done | grep -v '^127\.' | sort)
[ -z "$(echo "$all" | uniq -d)" ] || fail "addresses held twice: $(echo "$all" | uniq -d)"
# litter: ours went, not ours stayed
! ip link show mvh0123456789ab >/dev/null 2>&1 || fail "orphan mvh0123456789ab left"
[[ "$(sbx s3 ip -o link)" != *eth9* ]] || fail "orphan child (unrecorded endpoint) left in s3"
[[ "$(sbx s4 ip -o link)" != *mvdel77* ]] || fail "retired child left in s4"
ip link show mymv >/dev/null 2>&1 || fail "netd deleted a macvlan it did not make"
[[ "$(sbx s4 ip -o link)" == *eth8* ]] || fail "netd deleted an unmarked interface in a sandbox"
grep -q "orphaned macvlan child" "$ND_LOG" || fail "the log does not say what reconcile deleted"

# and it keeps working: a fresh connect, a disconnect, the networks go
netctl sandbox create --name s5 >/dev/null
netctl network connect lan s5
in_ns up ping -c1 -W2 "$(ep_of s5 lan IPv4Address)" >/dev/null || fail "a connect after restart does not work"
for i in 1 2 3 4 5; do netctl sandbox rm s$i >/dev/null; done
netctl network rm lan lan2 int >/dev/null
[ $VLAN = 0 ] || netctl network rm v42 >/dev/null
! ip link show "mvh${lid:0:12}" >/dev/null 2>&1 || fail "host-access child outlived its network"
! ip link show "mvi${iid:0:12}" >/dev/null 2>&1 || fail "internal parent outlived its network"
echo ok
