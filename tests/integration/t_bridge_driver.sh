#!/usr/bin/env bash
# The bridge driver against the real kernel, through its vtable (nd-drv-test):
# two sandboxes on one bridge ping each other over IPv4 and IPv6; names,
# addresses, routes and MACs inside the sandbox are Docker's; every step is
# idempotent; delete leaves nothing; icc=false isolates endpoints from each
# other but not from the gateway; bad options and a non-bridge in the way are
# refused with a clear message.
. "$(dirname "$0")/lib.sh"

D=$NETD_BUILD/drivers/nd-drv-test
[ -x "$D" ] || skip "nd-drv-test not built ($D)"
command -v ping >/dev/null || skip "ping (iputils-ping) missing"
export ND_DRV_STATE=$T/state
mkdir -p "$ND_DRV_STATE"

FW=()
if [ "${ND_DRV_FW:-0}" = 1 ]; then FW=(--fw); fi
drv() { "$D" "${FW[@]}" "$@"; }
rid() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
no_owned_links() { ! ip -o link show | grep -Eq ': (br-[0-9a-f]{12}|veth[0-9a-f]{7}|vp[0-9a-f]{7})[@:]'; }

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
ip -o link show | grep -q mybr0 && fail "validate created something"

log "network: bridge $BR, gateways, up, forwarding"
drv net-create "$N" web 172.30.0.0/24 172.30.0.1 fd00:30::/64 fd00:30::1
ip -d link show "$BR" | grep -q 'bridge ' || fail "$BR is not a bridge"
ip link show "$BR" | grep -q ',UP' || fail "$BR not up"
ip -4 addr show dev "$BR" | grep -q 'inet 172.30.0.1/24' || fail "no IPv4 gateway on $BR"
ip -6 addr show dev "$BR" | grep -q 'inet6 fd00:30::1/64' || fail "no IPv6 gateway on $BR"
assert_eq "$(cat /proc/sys/net/ipv4/ip_forward)" 1 "ip_forward"
assert_eq "$(cat /proc/sys/net/ipv6/conf/all/forwarding)" 1 "ipv6 forwarding"
assert_eq "$(jq -r .data.bridge "$ND_DRV_STATE/net-$N.json")" "$BR" "bridge recorded in net data"
drv net-create "$N" web 172.30.0.0/24 172.30.0.1 fd00:30::/64 fd00:30::1 || fail "net-create not idempotent"
drv net-restore "$N" || fail "net-restore on a complete network"

log "endpoints: veth pairs on the bridge"
drv ep-create "$N" "$E1" 172.30.0.2/24 fd00:30::2/64
drv ep-create "$N" "$E2" 172.30.0.3/24 fd00:30::3/64
H1=veth${E1:0:7}; P1=vp${E1:0:7}
ip -d link show "$H1" | grep -q "master $BR" || fail "$H1 not a port of $BR"
ip link show "$H1" | grep -q ',UP' || fail "$H1 not up"
ip link show "$P1" | grep -q 'link/ether 02:42:ac:1e:00:02' || fail "peer MAC is not 02:42 + IPv4"
assert_eq "$(jq -r .mac "$ND_DRV_STATE/ep-$E1.json")" 02:42:ac:1e:00:02 "endpoint MAC filled in"
assert_eq "$(jq -r .data.host_ifname "$ND_DRV_STATE/ep-$E1.json")" "$H1" "host ifname recorded"
drv ep-create "$N" "$E1" 172.30.0.2/24 fd00:30::2/64 || fail "ep-create not idempotent"
drv ep-ok "$N" "$E1" >/dev/null || fail "ep-ok false after create"

log "join: interface moved, renamed, addressed, routed"
drv join "$N" "$E1" /run/netns/a eth0
drv join "$N" "$E2" /run/netns/b eth0
ip link show "$P1" >/dev/null 2>&1 && fail "$P1 still in the host namespace"
ip -n a link show eth0 | grep -q 'link/ether 02:42:ac:1e:00:02' || fail "eth0 MAC in sandbox"
ip -n a link show eth0 | grep -q ',UP' || fail "eth0 not up in sandbox"
ip -n a link show lo | grep -q ',UP' || fail "lo not up in sandbox"
ip -n a -4 addr show dev eth0 | grep -q 'inet 172.30.0.2/24' || fail "IPv4 in sandbox"
ip -n a -6 addr show dev eth0 | grep -q 'inet6 fd00:30::2/64 scope global nodad' || fail "IPv6 (nodad) in sandbox"
ip -n a -4 route show default | grep -q 'default via 172.30.0.1 dev eth0' || fail "IPv4 default route"
ip -n a -6 route show default | grep -q 'default via fd00:30::1 dev eth0' || fail "IPv6 default route"
drv ep-ok "$N" "$E1" /run/netns/a eth0 >/dev/null || fail "ep-ok false after join"

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

log "restore fills in what is missing"
ip addr del 172.30.0.1/24 dev "$BR"
ip link set "$BR" down
drv net-restore "$N"
ip -4 addr show dev "$BR" | grep -q 'inet 172.30.0.1/24' || fail "restore: gateway"
ip link show "$BR" | grep -q ',UP' || fail "restore: up"
in_ns a ping -c1 -W2 172.30.0.1 >/dev/null || fail "a -> gateway after restore"

log "leave and delete leave nothing behind"
drv leave "$N" "$E1" /run/netns/a eth0
ip -n a link show eth0 >/dev/null 2>&1 && fail "eth0 still in sandbox a after leave"
drv leave "$N" "$E1" /run/netns/a eth0 || fail "leave replay"
drv ep-ok "$N" "$E1" /run/netns/a eth0 >/dev/null && fail "ep-ok true after leave"
log "join after leave re-creates the pair"
drv join "$N" "$E1" /run/netns/a eth0
in_ns a ping -c1 -W2 172.30.0.3 >/dev/null || fail "a -> b after re-join"
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
bridge -d link show dev "veth${F1:0:7}" | grep -q 'isolated on' || fail "port not isolated"
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
ip -n b -4 addr show dev eth2 | grep -q 'inet 172.28.0.2/24' || fail "internal: address"
ip -n b route show default | grep -q eth2 && fail "internal network got a default route"
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
