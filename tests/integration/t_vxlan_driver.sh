#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The vxlan (overlay) driver against the real kernel, through its vtable
# (nd-drv-test), without netd or etcd: two "hosts" (namespaces on one
# underlay bridge, MTU 1400), one overlay network on both, one sandbox on
# each. Peers make them reach each other (ping both ways, a 1,300-byte
# unfragmented ping: the overlay MTU is the underlay's - 50 = 1350); ARP is
# answered locally (permanent neighbour entries, proxy on the device); the
# bridge learns nothing from the overlay; peers_sync removes a planted stale
# FDB entry and restores a deleted one; peer removal takes the FDB,
# neighbour and flood entries away; delete leaves nothing.
. "$(dirname "$0")/lib.sh"

D=$NETD_BUILD/tests/tools/nd-drv-test
[ -x "$D" ] || skip "nd-drv-test not built ($D)"
command -v ping >/dev/null || skip "ping (iputils-ping) missing"
command -v bridge >/dev/null || skip "bridge (iproute2) missing"
rid() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
N=$(rid); E1=$(rid); E2=$(rid)
VX=vx-${N:0:12}; BR=ov-${N:0:12}

# the underlay: a bridge here, two hosts on it
ip link add ul0 type bridge; ip link set ul0 up
for h in 1 2; do
  mk_netns h$h; mk_netns c$h
  ip link add u$h mtu 1400 type veth peer name eth0 mtu 1400 netns h$h
  ip link set u$h master ul0 up
  ip -n h$h addr add 192.168.77.1$h/24 dev eth0
  ip -n h$h link set eth0 up
  mkdir -p "$T/s$h"
done
drv() { local h=$1; shift; in_ns h$h "$D" -s "$T/s$h" -d vxlan --advertise 192.168.77.1$h "$@"; }
mac_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mac"])' "$T/s$1/ep-$2.json"; }

log "options: unknown refused, VNI and MTU ranges checked"
out=$(drv 1 validate -o bogus=1 2>&1) && fail "unknown option accepted"
grep -q bogus <<<"$out" || fail "error does not name the option: $out"
drv 1 validate -o vni=0 2>/dev/null && fail "VNI 0 accepted"
drv 1 validate -o vni=16777216 2>/dev/null && fail "VNI 2^24 accepted"
drv 1 validate -o vni=4242 -o mtu=1400 || fail "good options refused"
out=$(in_ns h1 "$D" -s "$T/s1" -d vxlan net-create "$N" ov 10.200.0.0/16 10.200.0.1 -o vni=4242 2>&1) &&
  fail "an overlay without an advertise address was created"
grep -q cluster-advertise <<<"$out" || fail "no clear message without advertise: $out"

log "network on both hosts, one endpoint each"
drv 1 net-create "$N" ov 10.200.0.0/16 10.200.0.1 -o vni=4242
drv 2 net-create "$N" ov 10.200.0.0/16 10.200.0.1 -o vni=4242
drv 1 net-restore "$N"   # idempotent
drv 1 ep-create "$N" "$E1" 10.200.0.2/16; drv 1 join "$N" "$E1" /run/netns/c1 eth0
drv 2 ep-create "$N" "$E2" 10.200.1.2/16; drv 2 join "$N" "$E2" /run/netns/c2 eth0
M1=$(mac_of 1 "$E1"); M2=$(mac_of 2 "$E2")
d=$(in_ns h1 ip -d link show "$VX")
grep -q "vxlan id 4242" <<<"$d" || fail "VNI not 4242: $d"
grep -q "local 192.168.77.11" <<<"$d" || fail "local not the advertise address: $d"
grep -q "dstport 4789" <<<"$d" || fail "port not 4789: $d"
grep -q "nolearning" <<<"$d" || fail "learning on: $d"
grep -q "proxy" <<<"$d" || fail "proxy off: $d"
grep -q "mtu 1350" <<<"$d" || fail "MTU not underlay-50: $d"
grep -q "master $BR" <<<"$(in_ns h1 ip -d link show "$VX")" || fail "$VX not a port of $BR"
grep -q "learning off" <<<"$(in_ns h1 bridge -d link show dev "$VX")" || fail "bridge learns on $VX"
grep -q "mtu 1350" <<<"$(in_ns c1 ip link show eth0)" || fail "sandbox MTU not 1350"
grep -q "10.200.0.1/16" <<<"$(in_ns h1 ip addr show "$BR")" || fail "no gateway on $BR"
g1=$(in_ns h1 ip -br link show "$BR" | awk "{print \$3}"); g2=$(in_ns h2 ip -br link show "$BR" | awk "{print \$3}")
assert_eq "$g1" "$g2" "the gateway MAC is the same on both hosts (anycast gateway)"
in_ns c1 ping -c1 -W1 10.200.1.2 >/dev/null 2>&1 && fail "reached the other host without peers"

log "peers: both ways, ARP answered locally, 1,300-byte unfragmented ping"
drv 1 peer-add "$N" "$M2" 10.200.1.2 192.168.77.12
drv 2 peer-add "$N" "$M1" 10.200.0.2 192.168.77.11
drv 1 peer-add "$N" "$M2" 10.200.1.2 192.168.77.12   # idempotent
in_ns c1 ping -c2 -W2 10.200.1.2 >/dev/null || fail "c1 -> c2 across the overlay"
in_ns c2 ping -c2 -W2 10.200.0.2 >/dev/null || fail "c2 -> c1 across the overlay"
in_ns c1 ping -c3 -i0.2 -W2 -M do -s 1300 10.200.1.2 >/dev/null || fail "1,300-byte DF ping lost"
in_ns c1 ping -c1 -W1 -M do -s 1400 10.200.1.2 >/dev/null 2>&1 && fail "1,400-byte DF ping crossed a 1350 MTU"
grep -q "10.200.1.2 lladdr $M2 PERMANENT" <<<"$(in_ns h1 ip neigh show dev "$VX")" || fail "no permanent neighbour"
grep -q "$M2 dst 192.168.77.12 self permanent" <<<"$(in_ns h1 bridge fdb show dev "$VX")" || fail "no FDB entry"
grep -q "00:00:00:00:00:00 dst 192.168.77.12 self permanent" <<<"$(in_ns h1 bridge fdb show dev "$VX")" || fail "no flood entry: $(in_ns h1 bridge fdb show dev "$VX")"
grep -q "$M2 master $BR static" <<<"$(in_ns h1 bridge fdb show dev "$VX")" || fail "no static bridge entry"
n=$(in_ns h1 bridge fdb show dev "$VX" | grep -vc " self permanent\| static\|permanent$" || true)
assert_eq "$n" 0 "entries the bridge learned from the overlay"

log "peers_sync: a planted stale entry goes, a deleted one comes back"
in_ns h1 bridge fdb add 02:42:0a:c8:09:09 dev "$VX" dst 192.168.77.99 self permanent
in_ns h1 bridge fdb append 00:00:00:00:00:00 dev "$VX" dst 192.168.77.99 self permanent
in_ns h1 ip neigh add 10.200.9.9 lladdr 02:42:0a:c8:09:09 dev "$VX" nud permanent
in_ns h1 bridge fdb del "$M2" dev "$VX" self
in_ns h1 ip neigh del 10.200.1.2 dev "$VX"
drv 1 peers-sync "$N" "$M2" 10.200.1.2 192.168.77.12
f=$(in_ns h1 bridge fdb show dev "$VX")
grep -q 192.168.77.99 <<<"$f" && fail "stale FDB entries survived peers_sync: $f"
grep -q "$M2 dst 192.168.77.12" <<<"$f" || fail "deleted FDB entry not restored: $f"
grep -q 10.200.9.9 <<<"$(in_ns h1 ip neigh show dev "$VX")" && fail "stale neighbour survived"
grep -q "10.200.1.2 lladdr $M2 PERMANENT" <<<"$(in_ns h1 ip neigh show dev "$VX")" || fail "neighbour not restored"
in_ns c1 ping -c1 -W2 10.200.1.2 >/dev/null || fail "c1 -> c2 after peers_sync"

log "peer removal: FDB, neighbour and flood entries go"
drv 1 peer-del "$N" "$M2" 10.200.1.2 192.168.77.12
f=$(in_ns h1 bridge fdb show dev "$VX")
grep -q "192.168.77.12" <<<"$f" && fail "entries to the removed peer's VTEP remain: $f"
grep -q "$M2" <<<"$f" && fail "the removed peer's MAC remains: $f"
grep -q 10.200.1.2 <<<"$(in_ns h1 ip neigh show dev "$VX")" && fail "the removed peer's neighbour remains"
in_ns c1 ping -c1 -W1 10.200.1.2 >/dev/null 2>&1 && fail "reached a removed peer"
drv 1 peers-sync "$N"   # empty: nothing to do, nothing left

log "delete leaves nothing"
for h in 1 2; do
  e=$E1; [ $h = 2 ] && e=$E2
  drv $h leave "$N" "$e" /run/netns/c$h eth0; drv $h ep-delete "$N" "$e"; drv $h net-delete "$N"
  drv $h net-delete "$N" 2>/dev/null || true
  left=$(in_ns h$h ip -o link show | grep -E ": (ov|vx)-[0-9a-f]{12}|: veth" || true)
  [ -z "$left" ] || fail "left on h$h: $left"
done
echo PASS
