# SPDX-License-Identifier: Apache-2.0
# Helpers for the macvlan tests (sourced after lib.sh).
#
# mv_upstream PARENT [UPNS]: "the LAN": a namespace UPNS (default "up") with a
# bridge br0, the segment's router at 10.1.0.1/24 and fd00:1::1/64, and a
# port u-PARENT that is the other end of PARENT, a veth in netd's namespace.
# mv_lan_host NAME ADDR [UPNS]: another host on that LAN, its own namespace
# with ADDR/24 on a port of br0; it accepts gratuitous ARP (arp_accept=1).
command -v jq >/dev/null || skip "jq missing"
command -v bridge >/dev/null || skip "bridge (iproute2) missing"
ip link add mvprobe0 type veth peer name mvprobe1 2>/dev/null || skip "no veth links"
ip link add link mvprobe0 name mvprobe2 type macvlan mode bridge 2>/dev/null || { ip link del mvprobe0; skip "no macvlan links in this kernel"; }
ip link del mvprobe0

mv_upstream() {
  local parent=$1 up=${2:-up}
  if ! ip netns list | grep -qw "$up"; then
    mk_netns "$up"
    ip -n "$up" link add br0 type bridge
    ip -n "$up" link set br0 up
    ip -n "$up" addr add 10.1.0.1/24 dev br0
    ip -n "$up" addr add fd00:1::1/64 dev br0 nodad
  fi
  ip link add "$parent" type veth peer name "u-$parent" netns "$up"
  ip link set "$parent" up
  ip -n "$up" link set "u-$parent" master br0 up
}

mv_lan_host() {
  local name=$1 addr=$2 up=${3:-up}
  mk_netns "$name"
  ip -n "$up" link add "h-$name" type veth peer name lan0 netns "$name"
  ip -n "$up" link set "h-$name" master br0 up
  in_ns "$name" sysctl -qw net.ipv4.conf.all.arp_accept=1 net.ipv4.conf.lan0.arp_accept=1
  ip -n "$name" addr add "$addr/24" dev lan0
  ip -n "$name" link set lan0 up
}

sbx() { local s=$1; shift; netctl sandbox exec "$s" -- "$@"; }
ep_of() { # ep_of SANDBOX NETWORK FIELD (IPv4Address, IPv6Address, MacAddress): without /len
  netctl network inspect "$2" | jq -r --arg s "$(netctl sandbox inspect "$1" | jq -r '.[0].Id')" \
    --arg f "$3" '.[0].Containers[$s][$f] | split("/")[0]'
}
# neighbour entry of ADDR in namespace NS with lladdr MAC (any state but FAILED/INCOMPLETE)
neigh_has() { local out; out=$(ip -n "$1" neigh show "$2"); [[ "$out" == *"lladdr $3"* ]]; }
links_snapshot() { ip -o link show | sed -E 's/^[0-9]+: //; s/@[^:]*:/:/' | awk -F': ' '{print $1}' | sort; }
# tcp_listen NS PORT FILE: one connection, writes the peer address to FILE
tcp_listen() {
  local ns=$1 port=$2 file=$3
  in_ns "$ns" python3 -c '
import socket,sys
fam = socket.AF_INET6
s=socket.socket(fam); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[1]))); s.listen(4); open(sys.argv[2] + ".ready","w").close()
c,a=s.accept(); h=a[0]
if h.startswith("::ffff:"): h=h[7:]
open(sys.argv[2],"w").write(h+"\n"); c.sendall(b"hello\n"); c.close()
' "$port" "$file" &
  on_exit "kill $! 2>/dev/null"
  poll 10 test -f "$file.ready" || fail "listener in $ns did not start"
}
# tcp_listen_sb SANDBOX PORT FILE: the same inside a sandbox
tcp_listen_sb() {
  local sb=$1 port=$2 file=$3
  netctl sandbox exec "$sb" -- python3 -c '
import socket,sys
s=socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[1]))); s.listen(4); open(sys.argv[2] + ".ready","w").close()
c,a=s.accept(); h=a[0]
if h.startswith("::ffff:"): h=h[7:]
open(sys.argv[2],"w").write(h+"\n"); c.sendall(b"hello\n"); c.close()
' "$port" "$file" &
  on_exit "kill $! 2>/dev/null"
  poll 10 test -f "$file.ready" || fail "listener in sandbox $sb did not start"
}
# tcp_hello [NS|-] ADDR PORT: connect from NS (or "-": here) and read the greeting
tcp_hello() {
  local ns=$1 addr=$2 port=$3
  local cmd=(python3 -c 'import socket,sys; c=socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3); print(c.recv(16).decode().strip())' "$addr" "$port")
  if [ "$ns" = - ]; then "${cmd[@]}"; else in_ns "$ns" "${cmd[@]}"; fi
}
