#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every bad input and conflict of a macvlan network or connect is refused
# with a clear 400 or 409, and nothing changes: not the store (networks,
# endpoints, allocations) and not the kernel (links and addresses of the
# host and of the sandbox).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/macvlan_lib.sh"

nd_start
mv_upstream veth0
mv_upstream veth2
ip link add vb0 type veth peer name vb1          # a port of someone's bridge
ip link add brx type bridge; ip link set vb0 master brx
ip link add veth0.9 type veth peer name x9       # a name that looks like a VLAN and is not
netctl network create -d macvlan -o parent=veth0 -o netd.macvlan.host_access=true --subnet 10.1.0.0/24 lan >/dev/null
netctl network create -d macvlan -o parent=veth2 -o macvlan_mode=passthru --subnet 10.2.0.0/24 pt >/dev/null
lid=$(netctl network inspect lan | jq -r '.[0].Id')
netctl sandbox create --name a >/dev/null
netctl network connect lan a
netctl sandbox create --name b >/dev/null

state() {
  ip -o link show | sed -E 's/^[0-9]+: //' | awk '{print $1, $2}' | sort
  ip -o addr show | awk '{print $2, $4}' | sort
  ip route; ip -6 route
  netctl sandbox exec a -- ip -o addr show; netctl sandbox exec b -- ip -o link show
  # (the IPAM cursor may move: round robin never hands a just-tried address straight back)
  sqlite3 "$ND_ROOT/netd.db" "select kind, id, json_remove(data, '\$.Cursors') from objects order by kind, id;
    select * from addresses order by 1, 2"
}
before=$(state)
bad() { # bad STATUS TEXT JSON
  local body; body=$(curl -s -w '\n%{http_code}' --unix-socket "$ND_SOCK" -XPOST -d "$3" http://x/networks/create)
  [ "$(echo "$body" | tail -1)" = "$1" ] || fail "expected $1 for $3, got: $body"
  echo "$body" | head -1 | grep -qi -- "$2" || fail "unclear error for $3 (want \"$2\"): $body"
}
mv() { # mv NAME OPTIONS-JSON SUBNET [EXTRA]: a create body
  printf '{"Name":"%s","Driver":"macvlan","Options":%s,"IPAM":{"Config":[{"Subnet":"%s"}]}%s}' "$1" "$2" "$3" "${4:-}"
}
bad 400 "needs -o parent" "$(mv x '{}' 10.9.0.0/24)"
bad 400 "does not exist" "$(mv x '{"parent":"nosuch0"}' 10.9.0.0/24)"
bad 400 "valid interface name" "$(mv x '{"parent":"a b"}' 10.9.0.0/24)"
bad 400 "out of range" "$(mv x '{"parent":"veth0.5000"}' 10.9.0.0/24)"
bad 400 "not an Ethernet" "$(mv x '{"parent":"lo"}' 10.9.0.0/24)"
bad 409 "interface of network bridge" "$(mv x '{"parent":"netd0"}' 10.9.0.0/24)"
bad 409 "netd made for macvlan network lan" "$(mv x "{\"parent\":\"mvh${lid:0:12}\"}" 10.9.0.0/24)"
bad 409 "port of brx" "$(mv x '{"parent":"vb0"}' 10.9.0.0/24)"
bad 409 "passthru" "$(mv x '{"parent":"veth2"}' 10.9.0.0/24)"
bad 409 "passthru" "$(mv x '{"parent":"veth0","macvlan_mode":"passthru"}' 10.9.0.0/24)"
bad 409 "overlaps" "$(mv x '{"parent":"veth0"}' 10.1.0.0/25)"
bad 409 "not VLAN 9 of veth0" "$(mv x '{"parent":"veth0.9"}' 10.9.0.0/24)"
bad 400 "unknown mode" "$(mv x '{"parent":"veth0","macvlan_mode":"fast"}' 10.9.0.0/24)"
bad 400 'unknown option \\"foo\\"' "$(mv x '{"parent":"veth0","foo":"bar"}' 10.9.0.0/24)"
bad 400 "MTU is the parent" "$(mv x '{"parent":"veth0","com.docker.network.driver.mtu":"1400"}' 10.9.0.0/24)"
bad 400 "bridge or vepa" "$(mv x '{"parent":"veth0","macvlan_mode":"private","netd.macvlan.host_access":"true"}' 10.9.0.0/24)"
bad 400 "invalid boolean" "$(mv x '{"parent":"veth0","netd.macvlan.host_access":"yes"}' 10.9.0.0/24)"
bad 400 "not in subnet" "$(mv x '{"parent":"veth0","netd.macvlan.host_access":"true","netd.macvlan.host_address":"10.8.0.5"}' 10.9.0.0/24)"
bad 400 "gateway" "$(mv x '{"parent":"veth0","netd.macvlan.host_access":"true","netd.macvlan.host_address":"10.9.0.1"}' 10.9.0.0/24)"
bad 400 "need netd.macvlan.host_access" "$(mv x '{"parent":"veth0","netd.macvlan.host_address":"10.9.0.5"}' 10.9.0.0/24)"
bad 400 "ipv6" "$(mv x '{"parent":"veth0"}' 10.9.0.0/24 ',"EnableIPv6":true')"
# VLAN links: where the kernel has no 802.1Q the create fails in the kernel and is rolled back
ip link add mvvprobe type veth peer name mvvprobe1
if ! ip link add link mvvprobe name mvvprobe.42 type vlan id 42 2>/dev/null; then
  bad 400 "no 802.1Q" "$(mv x '{"parent":"veth0.42"}' 10.9.0.0/24)"
fi
ip link del mvvprobe
assert_eq "$(state)" "$before" "state after refused network creates"

# connect: refused, nothing changes
badc() { # badc STATUS TEXT NETWORK JSON
  local body; body=$(curl -s -w '\n%{http_code}' --unix-socket "$ND_SOCK" -XPOST -d "$4" "http://x/networks/$3/connect")
  [ "$(echo "$body" | tail -1)" = "$1" ] || fail "expected $1 for connect $4, got: $body"
  echo "$body" | head -1 | grep -qi -- "$2" || fail "unclear error for connect $4 (want \"$2\"): $body"
}
pmac=$(ip -j link show veth0 | jq -r '.[0].address')
amac=$(ep_of a lan MacAddress)
badc 409 "already in use" lan "{\"Container\":\"b\",\"EndpointConfig\":{\"MacAddress\":\"$pmac\"}}"
badc 409 "already in use" lan "{\"Container\":\"b\",\"EndpointConfig\":{\"MacAddress\":\"$amac\"}}"
badc 400 "invalid MAC" lan '{"Container":"b","EndpointConfig":{"MacAddress":"01:00:5e:00:00:01"}}'
badc 400 "not in any subnet" lan '{"Container":"b","EndpointConfig":{"IPAMConfig":{"IPv4Address":"10.7.0.5"}}}'
badc 409 "" lan '{"Container":"b","EndpointConfig":{"IPAMConfig":{"IPv4Address":"10.1.0.254"}}}'
badc 400 "passthru" pt '{"Container":"b","EndpointConfig":{"MacAddress":"02:00:00:00:00:09"}}'
badc 409 "already connected" lan '{"Container":"a"}'
after=$(state); [ "$after" == "$before" ] || { diff <(echo "$before") <(echo "$after") >&2; fail "state after refused connects"; }
echo ok
