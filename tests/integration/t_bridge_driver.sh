#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The bridge driver against the real kernel, through its vtable (nd-drv-test):
# two sandboxes on one bridge ping each other over IPv4 and IPv6; names,
# addresses, routes and MACs inside the sandbox are Docker's; the peer is born
# in the sandbox (never moved); every step is idempotent; leave cuts the
# sandbox off at once also when the deletion runs in the background (netd's
# mode), and the interface name is free for the next join; an interrupted
# background delete is finished by reconcile or by the next join; delete
# leaves nothing; icc=false isolates endpoints from each other but not from
# the gateway; bad options and a non-bridge in the way are refused with a
# clear message.
. "$(dirname "$0")/lib.sh"

D=$NETD_BUILD/tests/tools/nd-drv-test
[ -x "$D" ] || skip "nd-drv-test not built ($D)"
command -v ping >/dev/null || skip "ping (iputils-ping) missing"
export ND_DRV_STATE=$T/state
mkdir -p "$ND_DRV_STATE"

FW=()
if [ "${ND_DRV_FW:-0}" = 1 ]; then FW=(--fw); fi
drv() { "$D" "${FW[@]}" "$@"; }
rid() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
no_owned_links() { ! ip -o link show | grep -Eq ': (br-[0-9a-f]{12}|veth[0-9a-f]{11}|vp[0-9a-f]{11}|vdel[0-9a-f]{1,8})[@:]'; }
tombs() { ip -o link show | grep -Eo ': vdel[0-9a-f]{1,8}[@:]' | tr -d ':@ ' || true; }

N=$(rid); E1=$(rid); E2=$(rid)
BR=br-${N:0:12}
mk_netns a; mk_netns b

log "options are validated before anything changes"
out=$(drv validate -o com.docker.network.bridge.bogus=1 2>&1) && fail "unknown option accepted"
grep -q 'com.docker.network.bridge.bogus' <<<"$out" || fail "error does not name the option: $out"
drv validate -o com.docker.network.driver.mtu=67 2>/dev/null && fail "MTU 67 accepted"
drv validate -o com.docker.network.bridge.name=abcdefghijklmnop 2>/dev/null && fail "16-char bridge name accepted"
drv validate -o com.docker.network.bridge.enable_icc=maybe 2>/dev/null && fail "bad boolean accepted"
drv validate -o com.docker.network.bridge.enable_icc=false -o com.docker.network.driver.mtu=1400 \
    -o com.docker.network.bridge.name=mybr0 -o com.docker.network.bridge.enable_ip_masquerade=true \
    -o com.docker.network.bridge.host_binding_ipv4=127.0.0.1 \
    -o com.docker.network.bridge.default_bridge=false || fail "valid options refused"
has mybr0 ip -o link show && fail "validate created something"

log "network: bridge $BR, gateways, up, forwarding"
drv net-create "$N" web 172.30.0.0/24 172.30.0.1 fd00:30::/64 fd00:30::1
has 'bridge ' ip -d link show "$BR" || fail "$BR is not a bridge"
has ',UP' ip link show "$BR" || fail "$BR not up"
has 'inet 172.30.0.1/24' ip -4 addr show dev "$BR" || fail "no IPv4 gateway on $BR"
has 'inet6 fd00:30::1/64' ip -6 addr show dev "$BR" || fail "no IPv6 gateway on $BR"
assert_eq "$(cat /proc/sys/net/ipv4/ip_forward)" 1 "ip_forward"
assert_eq "$(cat /proc/sys/net/ipv6/conf/all/forwarding)" 1 "ipv6 forwarding"
assert_eq "$(jq -r .data.bridge "$ND_DRV_STATE/net-$N.json")" "$BR" "bridge recorded in net data"
drv net-create "$N" web 172.30.0.0/24 172.30.0.1 fd00:30::/64 fd00:30::1 || fail "net-create not idempotent"
drv net-restore "$N" || fail "net-restore on a complete network"

log "endpoints: names and MAC; the pair waits for the sandbox"
drv ep-create "$N" "$E1" 172.30.0.2/24 fd00:30::2/64
drv ep-create "$N" "$E2" 172.30.0.3/24 fd00:30::3/64
H1=veth${E1:0:11}; P1=vp${E1:0:11}
assert_eq "$(jq -r .mac "$ND_DRV_STATE/ep-$E1.json")" 02:42:ac:1e:00:02 "endpoint MAC filled in"
assert_eq "$(jq -r .data.host_ifname "$ND_DRV_STATE/ep-$E1.json")" "$H1" "host ifname recorded"
ip link show "$H1" >/dev/null 2>&1 && fail "$H1 exists before join"
drv ep-create "$N" "$E1" 172.30.0.2/24 fd00:30::2/64 || fail "ep-create not idempotent"
drv ep-ok "$N" "$E1" >/dev/null && fail "ep-ok true before join"

log "join: peer born in the sandbox, named, addressed, routed"
drv join "$N" "$E1" /run/netns/a eth0
drv join "$N" "$E2" /run/netns/b eth0
has "master $BR" ip -d link show "$H1" || fail "$H1 not a port of $BR"
has ',UP' ip link show "$H1" || fail "$H1 not up"
ip link show "$P1" >/dev/null 2>&1 && fail "$P1 in the host namespace"
has 'veth' ip -n a -d link show eth0 || fail "eth0 in sandbox is not a veth"
has 'link/ether 02:42:ac:1e:00:02' ip -n a link show eth0 || fail "eth0 MAC in sandbox"
has ',UP' ip -n a link show eth0 || fail "eth0 not up in sandbox"
has ',UP' ip -n a link show lo || fail "lo not up in sandbox"
has 'inet 172.30.0.2/24' ip -n a -4 addr show dev eth0 || fail "IPv4 in sandbox"
has 'inet6 fd00:30::2/64 scope global nodad' ip -n a -6 addr show dev eth0 || fail "IPv6 (nodad) in sandbox"
has 'default via 172.30.0.1 dev eth0' ip -n a -4 route show default || fail "IPv4 default route"
has 'default via fd00:30::1 dev eth0' ip -n a -6 route show default || fail "IPv6 default route"
drv ep-ok "$N" "$E1" /run/netns/a eth0 >/dev/null || fail "ep-ok false after join"
drv ep-ok "$N" "$E1" >/dev/null || fail "ep-ok (host side) false after join"
drv ep-ok "$N" "$E1" /run/netns/b eth0 >/dev/null && fail "ep-ok true for another sandbox's eth0"

log "real packets: v4 and v6 between sandboxes and to the gateway"
in_ns a ping -c1 -W2 172.30.0.3 >/dev/null || fail "a -> b IPv4"
in_ns b ping -c1 -W2 172.30.0.2 >/dev/null || fail "b -> a IPv4"
in_ns a ping -c1 -W2 172.30.0.1 >/dev/null || fail "a -> gateway IPv4"
in_ns a ping -6 -c1 -W2 fd00:30::3 >/dev/null || fail "a -> b IPv6"
in_ns b ping -6 -c1 -W2 fd00:30::1 >/dev/null || fail "b -> gateway IPv6"

log "idempotent replays"
drv net-create "$N" web 172.30.0.0/24 172.30.0.1 fd00:30::/64 fd00:30::1 || fail "net-create replay"
drv ep-create "$N" "$E1" 172.30.0.2/24 fd00:30::2/64 || fail "ep-create replay after join"
drv join "$N" "$E1" /run/netns/a eth0 || fail "join replay"
assert_eq "$(ip -n a -o -4 addr show dev eth0 | wc -l)" 1 "one IPv4 address after replay"
in_ns a ping -c1 -W2 172.30.0.3 >/dev/null || fail "a -> b after replays"

log "repair: a pair whose peer is lost is replaced; a down peer is brought up"
ip -n a link set eth0 down
drv ep-ok "$N" "$E1" /run/netns/a eth0 >/dev/null && fail "ep-ok true with eth0 down"
drv join "$N" "$E1" /run/netns/a eth0 || fail "join (repair) of a down eth0"
has ',UP' ip -n a link show eth0 || fail "repair: eth0 not up"
ip -n a link set eth0 name stray0
drv join "$N" "$E1" /run/netns/a eth0 || fail "join (repair) with the peer renamed away"
ip -n a link show stray0 >/dev/null 2>&1 && fail "repair: the old pair survived"
has 'inet 172.30.0.2/24' ip -n a -4 addr show dev eth0 || fail "repair: address"
drv ep-ok "$N" "$E1" /run/netns/a eth0 >/dev/null || fail "ep-ok false after repair"
in_ns a ping -c1 -W2 172.30.0.3 >/dev/null || fail "a -> b after repair"

log "restore fills in what is missing"
ip addr del 172.30.0.1/24 dev "$BR"
ip link set "$BR" down
drv net-restore "$N"
has 'inet 172.30.0.1/24' ip -4 addr show dev "$BR" || fail "restore: gateway"
has ',UP' ip link show "$BR" || fail "restore: up"
in_ns a ping -c1 -W2 172.30.0.1 >/dev/null || fail "a -> gateway after restore"

log "leave and delete leave nothing behind"
drv leave "$N" "$E1" /run/netns/a eth0
ip -n a link show eth0 >/dev/null 2>&1 && fail "eth0 still in sandbox a after leave"
drv leave "$N" "$E1" /run/netns/a eth0 || fail "leave replay"
drv ep-ok "$N" "$E1" /run/netns/a eth0 >/dev/null && fail "ep-ok true after leave"
log "join after leave re-creates the pair"
drv join "$N" "$E1" /run/netns/a eth0
in_ns a ping -c1 -W2 172.30.0.3 >/dev/null || fail "a -> b after re-join"

log "leave as netd does it (deletion in the background): cut off at once, name free"
drv --no-wait-teardown leave "$N" "$E1" /run/netns/a eth0
ip -n a link show eth0 >/dev/null 2>&1 && fail "eth0 still named eth0 in a after background leave"
ip link show "$H1" >/dev/null 2>&1 && fail "$H1 still named so after background leave"
! in_ns a ping -c1 -W1 172.30.0.3 >/dev/null 2>&1 || fail "a still reaches b after leave"
! in_ns b ping -c1 -W1 172.30.0.2 >/dev/null 2>&1 || fail "b still reaches a after leave"
for t in $(ip -n a -o link show | grep -Eo ': vdel[0-9a-f]+[@:]' | tr -d ':@ '); do
  has ',UP' ip -n a link show "$t" && fail "retired $t still up in the sandbox"
done
drv join "$N" "$E1" /run/netns/a eth0 || fail "immediate re-join with the same id and name"
in_ns a ping -c1 -W2 172.30.0.3 >/dev/null || fail "a -> b after background leave + re-join"
# nd-drv-test exits right after the call: its background delete may have
# died with it; what is left is ours by name and reconcile finishes it
for t in $(tombs); do drv owns "$t" || fail "$t not owned"; drv orphan "$t"; done
[ -z "$(tombs)" ] || fail "retired interfaces left: $(tombs)"

log "endpoint_delete without leave (background): the next join into that name finishes it"
drv --no-wait-teardown ep-delete "$N" "$E2"
! in_ns a ping -c1 -W1 172.30.0.3 >/dev/null 2>&1 || fail "a still reaches b after ep-delete"
drv ep-create "$N" "$E2" 172.30.0.3/24 fd00:30::3/64
drv join "$N" "$E2" /run/netns/b eth0 || fail "join into a name held by a retired pair"
in_ns a ping -c1 -W2 172.30.0.3 >/dev/null || fail "a -> b after re-join of b"
for t in $(tombs); do drv orphan "$t"; done
log "two endpoint ids with the same first 11 digits: the second is refused, the first untouched"
C1=abcdef12345$(rid | cut -c12-); C2=abcdef12345$(rid | cut -c12-)
drv ep-create "$N" "$C1" 172.30.0.9/24
drv ep-create "$N" "$C2" 172.30.0.10/24
drv join "$N" "$C1" /run/netns/a eth5
out=$(drv join "$N" "$C2" /run/netns/b eth5 2>&1) && fail "join of a colliding endpoint id succeeded"
grep -q 'peer is not in sandbox' <<<"$out" || fail "unclear collision message: $out"
in_ns a ping -c1 -W2 172.30.0.1 >/dev/null || fail "first endpoint broken by the collision"
drv ep-delete "$N" "$C1"

drv leave "$N" "$E1" /run/netns/a eth0
drv ep-delete "$N" "$E1"
drv ep-delete "$N" "$E2"
drv ep-create "$N" "$E1" 172.30.0.2/24 && drv ep-delete "$N" "$E1"
ip -n b link show eth0 >/dev/null 2>&1 && fail "eth0 still in sandbox b after ep-delete"
drv net-delete "$N"
drv net-delete "$N" 2>/dev/null || true   # state file is gone: nothing to replay
no_owned_links || { ip -o link show >&2; fail "br-/veth/vp interfaces left behind"; }

log "icc=false: endpoints isolated from each other, gateway reachable"
N2=$(rid); F1=$(rid); F2=$(rid)
drv net-create "$N2" noicc 172.31.0.0/24 172.31.0.1 -o com.docker.network.bridge.enable_icc=false \
    -o com.docker.network.driver.mtu=1400
assert_eq "$(ip -o link show "br-${N2:0:12}" | grep -o "mtu [0-9]*")" "mtu 1400" "bridge MTU"
drv ep-create "$N2" "$F1" 172.31.0.2/24
drv ep-create "$N2" "$F2" 172.31.0.3/24
drv join "$N2" "$F1" /run/netns/a eth1
drv join "$N2" "$F2" /run/netns/b eth1
has 'isolated on' bridge -d link show dev "veth${F1:0:11}" || fail "port not isolated"
assert_eq "$(ip -n a -o link show eth1 | grep -o 'mtu [0-9]*')" "mtu 1400" "sandbox MTU = bridge MTU"
in_ns a ping -c1 -W2 172.31.0.1 >/dev/null || fail "icc=false: a -> gateway"
in_ns b ping -c1 -W2 172.31.0.1 >/dev/null || fail "icc=false: b -> gateway"
in_ns a ping -c2 -W1 172.31.0.3 >/dev/null 2>&1 && fail "icc=false: a reached b"
for e in "$F1" "$F2"; do drv ep-delete "$N2" "$e"; done
drv net-delete "$N2"
no_owned_links || fail "icc network left interfaces behind"

log "internal network: gateway on the bridge, no default route in the sandbox"
N4=$(rid); G1=$(rid)
drv net-create "$N4" inside 172.28.0.0/24 172.28.0.1 --internal
drv ep-create "$N4" "$G1" 172.28.0.2/24
drv join "$N4" "$G1" /run/netns/b eth2
has 'inet 172.28.0.2/24' ip -n b -4 addr show dev eth2 || fail "internal: address"
has eth2 ip -n b route show default && fail "internal network got a default route"
in_ns b ping -c1 -W2 172.28.0.1 >/dev/null || fail "internal: b -> bridge address"
drv ep-delete "$N4" "$G1"
drv net-delete "$N4"

log "a non-bridge in the way is refused, and never deleted"
N3=$(rid)
ip link add taken0 type veth peer name taken1
out=$(drv net-create "$N3" clash 172.29.0.0/24 172.29.0.1 -o com.docker.network.bridge.name=taken0 2>&1) \
    && fail "net-create over a veth succeeded"
grep -q 'taken0 already exists and is not a bridge' <<<"$out" || fail "unclear message: $out"
ip link show taken0 >/dev/null || fail "taken0 was touched"
ip link del taken0

log "ok"
