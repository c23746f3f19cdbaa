#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The macvlan driver on a LAN: the parent is one end of a veth whose other
# end is a port of the "upstream" bridge (a router at 10.1.0.1 and another
# host). The upstream sees each container's own MAC and address, learns them
# from the announcement right after connect (before any traffic of its own),
# pings the containers and opens TCP to them with no NAT either way; the
# containers reach the gateway. IPv4 and IPv6; MTU from the parent; static
# --ip/--ip6/--mac-address; disconnect and network rm leave nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/macvlan_lib.sh"

nd_start
mv_upstream veth0
ip link set veth0 mtu 1400
ip -n up link set u-veth0 mtu 1400
mv_lan_host peer 10.1.0.9
before=$(links_snapshot)

netctl network create -d macvlan -o parent=veth0 --subnet 10.1.0.0/24 --gateway 10.1.0.1 \
  --ip-range 10.1.0.32/27 --ipv6 --subnet fd00:1::/64 --gateway fd00:1::1 lan >/dev/null
st=$(netctl network inspect lan | jq -c '.[0].DriverState')
[ "$(echo "$st" | jq -r .Parent)" = veth0 ] || fail "inspect: parent: $st"
[ "$(echo "$st" | jq -r .Mode)" = bridge ] || fail "inspect: default mode: $st"
[ "$(echo "$st" | jq -r .HostAccess.Enabled)" = false ] || fail "inspect: host access: $st"
assert_eq "$(links_snapshot)" "$before" "a macvlan network on an existing parent adds no interface"

netctl sandbox create --name a >/dev/null
netctl sandbox create --name b >/dev/null
netctl network connect lan a
a4=$(ep_of a lan IPv4Address); a6=$(ep_of a lan IPv6Address); amac=$(ep_of a lan MacAddress)
# the announcement: right after connect, before the upstream sent anything,
# the router (ARP request for the gateway; NS with our link-layer address)
# and the other host (gratuitous ARP) hold the container's address and MAC
poll 2 neigh_has up "$a4" "$amac" || fail "router has no neighbour entry $a4 $amac: $(ip -n up neigh)"
poll 2 neigh_has peer "$a4" "$amac" || fail "LAN host has no entry from the gratuitous ARP: $(ip -n peer neigh)"
poll 2 neigh_has up "$a6" "$amac" || fail "router has no IPv6 neighbour entry $a6 $amac: $(ip -n up -6 neigh)"
[[ "$a4" == 10.1.0.3[2-9] || "$a4" == 10.1.0.[4-6]? ]] || fail "address $a4 not from the ip-range"
assert_eq "$amac" "02:42:$(printf '%02x:%02x:%02x:%02x' ${a4//./ })" "MAC derived from the IPv4 address"
# the container's interface: a macvlan child of veth0 with the parent's MTU
d=$(sbx a ip -d -o link show eth0)
[[ "$d" == *"macvlan mode bridge"* ]] || fail "eth0 is not a bridge-mode macvlan: $d"
[[ "$d" == *"mtu 1400"* ]] || fail "eth0 MTU is not the parent's: $d"
# the segment sees the container's own MAC on the port of its parent (no NAT, no proxy ARP)
has "$amac" bridge -n up fdb show br br0 brport u-veth0 || fail "upstream bridge did not learn $amac on u-veth0"

# upstream -> container: ping and TCP, and the container sees the router's own address
in_ns up ping -c1 -W2 "$a4" >/dev/null || fail "upstream cannot ping $a4"
in_ns peer ping -c1 -W2 "$a4" >/dev/null || fail "LAN host cannot ping $a4"
in_ns up ping -6 -c1 -W2 "$a6" >/dev/null || fail "upstream cannot ping $a6"
tcp_listen_sb a 8080 "$T/in"
assert_eq "$(tcp_hello up "$a4" 8080)" hello "TCP from upstream"
assert_eq "$(cat "$T/in")" 10.1.0.1 "the container sees the upstream's own address (no NAT)"
# container -> gateway and beyond it, with its own address
[[ "$(sbx a ip route)" == *"default via 10.1.0.1 dev eth0"* ]] || fail "no default route via the gateway: $(sbx a ip route)"
[[ "$(sbx a ip -6 route)" == *"default via fd00:1::1 dev eth0"* ]] || fail "no IPv6 default route: $(sbx a ip -6 route)"
sbx a ping -c1 -W2 10.1.0.1 >/dev/null || fail "container cannot reach the gateway"
sbx a ping -6 -c1 -W2 fd00:1::1 >/dev/null || fail "container cannot reach the IPv6 gateway"
tcp_listen up 9000 "$T/up"
assert_eq "$(sbx a python3 -c 'import socket; c=socket.create_connection(("10.1.0.1", 9000), timeout=3); print(c.recv(16).decode().strip())')" hello "TCP to upstream"
assert_eq "$(cat "$T/up")" "$a4" "the upstream sees the container's own address (no NAT)"

# static address, IPv6 address and MAC on connect
netctl network connect --ip 10.1.0.77 --ip6 fd00:1::77 --mac-address 02:00:00:00:00:77 lan b
assert_eq "$(ep_of b lan IPv4Address)" 10.1.0.77 "static --ip"
assert_eq "$(ep_of b lan IPv6Address)" fd00:1::77 "static --ip6"
[[ "$(sbx b ip -o link show eth0)" == *"02:00:00:00:00:77"* ]] || fail "--mac-address not on eth0"
poll 2 neigh_has up 10.1.0.77 02:00:00:00:00:77 || fail "router did not learn the static MAC: $(ip -n up neigh)"
sbx b ping -c1 -W2 "$a4" >/dev/null || fail "containers on one parent (bridge mode) do not talk"
sbx b ping -6 -c1 -W2 "$a6" >/dev/null || fail "containers do not talk over IPv6"
# a MAC that is already on the parent's segment of this host is refused, nothing changes
eps=$(api GET /endpoints | jq length)
netctl sandbox create --name c >/dev/null
set +e; out=$(netctl network connect --mac-address 02:00:00:00:00:77 lan c 2>&1); rc=$?; set -e
[ $rc -ne 0 ] && [[ "$out" == *"already in use"* ]] || fail "duplicate MAC accepted: $out"
assert_eq "$(api GET /endpoints | jq length)" "$eps" "endpoints after a refused connect"
[[ "$(sbx c ip -o link)" != *eth0* ]] || fail "a refused connect left eth0 in the sandbox"

# disconnect: the child is gone from the sandbox (and the segment); rm: nothing left
netctl network disconnect lan a
poll 5 bash -c "! netctl sandbox exec a -- ip -o link | grep -q macvlan" || fail "child left in sandbox a: $(sbx a ip -o link)"
! in_ns up ping -c1 -W1 "$a4" >/dev/null 2>&1 || fail "$a4 still answers after disconnect"
# a container that leaves and comes straight back with the same address and
# MAC (its old child still being deleted in the background) gets them
for _ in 1 2 3; do
  netctl network disconnect lan b
  netctl network connect --ip 10.1.0.77 --mac-address 02:00:00:00:00:77 lan b
done
in_ns up ping -c1 -W2 10.1.0.77 >/dev/null || fail "reconnected container unreachable"
netctl network disconnect lan b
netctl network rm lan >/dev/null
assert_eq "$(links_snapshot)" "$before" "links after network rm"
echo ok
