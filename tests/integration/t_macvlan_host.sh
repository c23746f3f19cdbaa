#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Host access. The kernel passes no frame between a parent and its macvlan
# children, so without help the host cannot reach its own containers, even
# with an address on the parent's segment. -o netd.macvlan.host_access=true
# adds netd's child mvh<id12> on the host side with a reserved address and a
# /32 (/128) route per container: the host and the containers reach each
# other both ways (ping and TCP), IPv4 and IPv6; `network inspect` says so.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/macvlan_lib.sh"

nd_start
mv_upstream veth0
ip addr add 10.1.0.200/24 dev veth0       # the host is on the LAN too
netctl sandbox create --name a >/dev/null

# off (the default): the kernel's rule holds
netctl network create -d macvlan -o parent=veth0 --subnet 10.1.0.0/24 --gateway 10.1.0.1 off >/dev/null
netctl network connect off a
a4=$(ep_of a off IPv4Address)
in_ns up ping -c1 -W2 "$a4" >/dev/null || fail "upstream cannot reach the container (setup)"
! ping -c1 -W1 "$a4" >/dev/null 2>&1 || fail "without host access the host reached $a4"
! sbx a ping -c1 -W1 10.1.0.200 >/dev/null 2>&1 || fail "without host access the container reached the host"
[ "$(netctl network inspect off | jq -r '.[0].DriverState.HostAccess.Enabled')" = false ] || fail "inspect: host access off"
[[ "$(netctl network inspect off | jq -r '.[0].DriverState.HostAccess.Note')" == *host_access=true* ]] || fail "inspect: no hint"
netctl network disconnect off a
netctl network rm off >/dev/null

# on: an address of the host's own on the segment, a route per container
netctl network create -d macvlan -o parent=veth0 -o netd.macvlan.host_access=true \
  -o netd.macvlan.host_address=10.1.0.250 --subnet 10.1.0.0/24 --gateway 10.1.0.1 \
  --ipv6 --subnet fd00:1::/64 --gateway fd00:1::1 on >/dev/null
id=$(netctl network inspect on | jq -r '.[0].Id')
mvh=mvh${id:0:12}
ha=$(netctl network inspect on | jq -c '.[0].DriverState.HostAccess')
[ "$(echo "$ha" | jq -r .Enabled)" = true ] && [ "$(echo "$ha" | jq -r .Interface)" = "$mvh" ] || fail "inspect: $ha"
h6=$(echo "$ha" | jq -r '.Addresses[] | select(contains(":"))')
[ "$(echo "$ha" | jq -r '.Addresses[0]')" = 10.1.0.250 ] && [ -n "$h6" ] || fail "inspect: host addresses: $ha"
[[ "$(ip -d -o link show "$mvh")" == *"macvlan mode bridge"* ]] || fail "$mvh is not a bridge-mode child: $(ip -d -o link show "$mvh")"
[ "$(netctl network inspect on | jq -r '.[0].IPAM.Config[0].AuxiliaryAddresses["netd.macvlan.host"]')" = 10.1.0.250 ] \
  || fail "the host address is not reserved in IPAM: $(netctl network inspect on | jq -c '.[0].IPAM')"
set +e; out=$(netctl network connect --ip 10.1.0.250 on a 2>&1); rc=$?; set -e
[ $rc -ne 0 ] || fail "the host-access address was handed to a container"

netctl network connect on a
a4=$(ep_of a on IPv4Address); a6=$(ep_of a on IPv6Address)
[[ "$(ip route show "$a4")" == *"dev $mvh"*"src 10.1.0.250"* ]] || fail "no host route to $a4: $(ip route)"
ping -c1 -W2 "$a4" >/dev/null || fail "with host access the host cannot reach $a4"
sbx a ping -c1 -W2 10.1.0.250 >/dev/null || fail "with host access the container cannot reach the host"
poll 5 ping -6 -c1 -W1 "$a6" >/dev/null || fail "with host access the host cannot reach $a6"
sbx a ping -6 -c1 -W2 "$h6" >/dev/null || fail "the container cannot reach the host over IPv6"
tcp_listen_sb a 8080 "$T/in"
assert_eq "$(tcp_hello - "$a4" 8080)" hello "TCP host -> container"
assert_eq "$(cat "$T/in")" 10.1.0.250 "the container sees the host's access address"
tcp_listen_host() {
  python3 -c '
import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("10.1.0.250", 9001)); s.listen(2)
open(sys.argv[1] + ".ready","w").close()
c,a=s.accept(); open(sys.argv[1],"w").write(a[0]+"\n"); c.sendall(b"hello\n"); c.close()' "$1" &
  on_exit "kill $! 2>/dev/null"
  poll 10 test -f "$1.ready" || fail "host listener did not start"
}
tcp_listen_host "$T/host"
assert_eq "$(sbx a python3 -c 'import socket; c=socket.create_connection(("10.1.0.250", 9001), timeout=3); print(c.recv(16).decode().strip())')" hello "TCP container -> host"
assert_eq "$(cat "$T/host")" "$a4" "the host sees the container's own address"
# the LAN still works as before
in_ns up ping -c1 -W2 "$a4" >/dev/null || fail "upstream lost the container"

# someone deletes the host-access child: the next connect makes it again
netctl sandbox create --name b >/dev/null
ip link del "$mvh"
netctl network connect on b
ping -c1 -W2 "$(ep_of b on IPv4Address)" >/dev/null || fail "host access not back after $mvh was deleted"
netctl network disconnect on b

# disconnect takes the route; rm takes the child
netctl network disconnect on a
[ -z "$(ip route show "$a4")" ] || fail "host route to $a4 left: $(ip route show "$a4")"
[ -z "$(ip -6 route show "$a6")" ] || fail "host route to $a6 left"
netctl network rm on >/dev/null
! ip link show "$mvh" >/dev/null 2>&1 || fail "$mvh outlived its network"

# an automatic host address: the top of the ip-range, not the gateway or an aux address
netctl network create -d macvlan -o parent=veth0 -o netd.macvlan.host_access=true --subnet 10.1.0.0/24 \
  --ip-range 10.1.0.64/26 --aux-address r=10.1.0.127 auto >/dev/null
assert_eq "$(netctl network inspect auto | jq -r '.[0].DriverState.HostAccess.Addresses[0]')" 10.1.0.126 "automatic host address"
netctl network rm auto >/dev/null
echo ok
