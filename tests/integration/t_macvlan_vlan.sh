#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# parent=veth0.42: netd makes the 802.1Q sub-interface with the network and
# deletes it with the network. Upstream, VLAN 42 of the link ends in its own
# namespace ("up42", 10.42.0.1) while the untagged link holds the very same
# address in another ("up"): the container's traffic reaches the VLAN 42
# side only. A sub-interface that existed before the network is used and
# left in place; two networks share one VLAN link, which stays until the
# last goes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/macvlan_lib.sh"

ip link add mvvprobe type veth peer name mvvprobe1
ip link add link mvvprobe name mvvprobe.42 type vlan id 42 2>/dev/null \
  || { ip link del mvvprobe; skip "this kernel has no 802.1Q VLAN links (CONFIG_VLAN_8021Q); t_macvlan_bad checks that netd refuses parent=IF.VLAN cleanly here"; }
ip link del mvvprobe

nd_start
mk_netns up
ip link add veth0 type veth peer name uplink netns up
ip link set veth0 up
ip -n up link set uplink up
ip -n up addr add 10.42.0.1/24 dev uplink          # untagged: must see nothing
mk_netns up42
ip -n up link add link uplink name uplink.42 type vlan id 42
ip -n up link set uplink.42 netns up42
ip -n up42 addr add 10.42.0.1/24 dev uplink.42
ip -n up42 link set uplink.42 up
before=$(links_snapshot)

netctl network create -d macvlan -o parent=veth0.42 --subnet 10.42.0.0/24 --gateway 10.42.0.1 v42 >/dev/null
d=$(ip -d -o link show veth0.42) || fail "veth0.42 did not appear with the network"
[[ "$d" == *"vlan protocol 802.1Q id 42"* ]] || fail "veth0.42 is not VLAN 42: $d"
[[ "$d" == *"state UP"* || "$d" == *",UP"* ]] || fail "veth0.42 is not up: $d"
[ "$(netctl network inspect v42 | jq -r '.[0].DriverState.ParentKind')" != null ] || fail "inspect lacks DriverState"
[[ "$(netctl network inspect v42 | jq -r '.[0].DriverState.ParentKind')" == *"netd made"* ]] || fail "inspect: ParentKind"

netctl sandbox create --name a >/dev/null
netctl network connect v42 a
a4=$(ep_of a v42 IPv4Address); amac=$(ep_of a v42 MacAddress)
poll 2 neigh_has up42 "$a4" "$amac" || fail "VLAN 42 side did not learn $a4 from the announcement: $(ip -n up42 neigh)"
rx0=$(ip -n up -j -s link show uplink | jq '.[0].stats64.rx.packets')
sbx a ping -c2 -W2 10.42.0.1 >/dev/null || fail "container cannot reach 10.42.0.1 on VLAN 42"
in_ns up42 ping -c1 -W2 "$a4" >/dev/null || fail "VLAN 42 side cannot reach the container"
tcp_listen up42 9042 "$T/v42"
assert_eq "$(sbx a python3 -c 'import socket; c=socket.create_connection(("10.42.0.1", 9042), timeout=3); print(c.recv(16).decode().strip())')" hello "TCP over VLAN 42"
assert_eq "$(cat "$T/v42")" "$a4" "VLAN 42 side sees the container's own address"
# the untagged side: tagged frames pass its port (counted) but its stack never answers or learns
[ -z "$(ip -n up neigh show "$a4")" ] || fail "the untagged side learnt the container: $(ip -n up neigh)"
[ -z "$(ip -n up neigh show dev uplink | grep -v FAILED || true)" ] || fail "untagged side has neighbours: $(ip -n up neigh)"
rx1=$(ip -n up -j -s link show uplink | jq '.[0].stats64.rx.packets')
[ $((rx1 - rx0)) -ge 2 ] || fail "no frames reached the upstream link at all"

# a second network on the same VLAN link shares it; the link goes with the last
netctl network create -d macvlan -o parent=veth0.42 --subnet 10.43.0.0/24 v42b >/dev/null
netctl network disconnect v42 a
netctl network rm v42 >/dev/null
ip link show veth0.42 >/dev/null 2>&1 || fail "veth0.42 went while network v42b still uses it"
[[ "$(ip -d -o link show veth0.42)" == *"netd-macvlan-net:$(netctl network inspect v42b | jq -r '.[0].Id')"* ]] \
  || fail "veth0.42 was not handed to v42b: $(ip -d -o link show veth0.42)"
netctl network rm v42b >/dev/null
! ip link show veth0.42 >/dev/null 2>&1 || fail "veth0.42 outlived its networks"
assert_eq "$(links_snapshot)" "$before" "links after the networks went"

# an existing sub-interface is used as it is and stays
ip link add link veth0 name veth0.7 type vlan id 7
ip link set veth0.7 up
netctl network create -d macvlan -o parent=veth0.7 --subnet 10.7.0.0/24 v7 >/dev/null
[[ "$(netctl network inspect v7 | jq -r '.[0].DriverState.ParentKind')" == *existing* ]] || fail "inspect: existing VLAN"
netctl network rm v7 >/dev/null
ip link show veth0.7 >/dev/null 2>&1 || fail "netd deleted a VLAN link it did not make"
# a name that is taken by something else is refused
ip link add veth0.9 type veth peer name x9
set +e; out=$(netctl network create -d macvlan -o parent=veth0.9 --subnet 10.9.0.0/24 v9 2>&1); rc=$?; set -e
[ $rc -ne 0 ] && [[ "$out" == *"not VLAN 9"* ]] || fail "parent veth0.9 (a veth) accepted: $out"
echo ok
