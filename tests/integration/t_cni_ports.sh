#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CNI portMappings through netd's port publisher: reachable from an
# "outside" namespace with the client's address kept (nft DNAT) and from
# the host's localhost (eBPF), recorded before they are published, so they
# survive a netd kill -9 and a flushed firewall, and gone after DEL.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni_lib.sh"
command -v jq >/dev/null || skip "jq missing"
command -v nft >/dev/null || skip "nft (the witness) is not installed"
command -v python3 >/dev/null || skip "python3 missing"

nd_start
[ -n "$ND_TEST_CG" ] || skip "no cgroup2 for the eBPF port programs"
incg() { bash -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$ND_TEST_CG" "$@"; }
netctl network create --subnet 10.81.0.0/24 portnet >/dev/null
conf=$(cni_conf 1.1.0 '{"network":"portnet","runtimeConfig":{"portMappings":[{"hostPort":18080,"containerPort":80,"protocol":"tcp"},{"hostPort":18053,"containerPort":53,"protocol":"udp"}]}}')

# the outside host, over a veth
sysctl -qw net.ipv4.ip_forward=1
mk_netns outside
ip link add vout type veth peer name eth0 netns outside
ip addr add 192.0.2.1/24 dev vout; ip link set vout up
ip -n outside addr add 192.0.2.2/24 dev eth0; ip -n outside link set eth0 up

# the CNI container: a server answering with the client's address
mk_netns box
cat > "$T/srv.py" <<'PY'
import socket, threading
def tcp():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', 80)); s.listen(64)
    while True:
        c, a = s.accept(); c.sendall(f"box {a[0]}\n".encode()); c.close()
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 53))
    while True:
        d, a = s.recvfrom(2048); s.sendto(f"box {a[0]}\n".encode(), a)
threading.Thread(target=udp, daemon=True).start()
tcp()
PY
in_ns box python3 "$T/srv.py" & srv=$!; on_exit "kill $srv"
get() { python3 -c 'import socket,sys; s=socket.create_connection((sys.argv[1], int(sys.argv[2])), 2); print(s.makefile().readline().strip())' "$@" 2>&1; }
uget() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2); s.sendto(b"x", (sys.argv[1], int(sys.argv[2]))); print(s.recv(100).decode().strip())' "$@" 2>&1; }

cni ADD box eth0 /run/netns/box "$conf" || fail "ADD with portMappings: $CNI_OUT"
addr=$(jq -r '.ips[0].address' <<<"$CNI_OUT"); addr=${addr%/*}
poll 10 in_ns outside python3 -c 'import socket; socket.create_connection(("192.0.2.1", 18080), 1)' || fail "18080 not reachable from outside"
assert_eq "$(in_ns outside bash -c "$(declare -f get); get 192.0.2.1 18080")" "box 192.0.2.2" "outside tcp, the client's address kept"
assert_eq "$(in_ns outside bash -c "$(declare -f uget); uget 192.0.2.1 18053")" "box 192.0.2.2" "outside udp, the client's address kept"
assert_eq "$(incg bash -c "$(declare -f get); get 127.0.0.1 18080" | cut -d' ' -f1)" box "localhost (eBPF)"
has "18080" nft list table inet netd || fail "no nft element for 18080"
assert_eq "$(api GET /endpoints | jq -c '.[0].PortMappings | map(.HostPort)')" '[18080,18053]' "recorded in the endpoint"

# a second attachment asking for the same host port: refused, nothing made
mk_netns box2
cni_expect_code 7 ADD box2 eth0 /run/netns/box2 "$conf"
assert_eq "$(nd_counts)" "eps=1 sbs=1" "after a refused port"

# kill -9 and restart: re-published from the records
nd_kill
assert_eq "$(in_ns outside bash -c "$(declare -f get); get 192.0.2.1 18080")" "box 192.0.2.2" "outside with netd dead"
nd_start
assert_eq "$(in_ns outside bash -c "$(declare -f get); get 192.0.2.1 18080")" "box 192.0.2.2" "outside after restart"
assert_eq "$(incg bash -c "$(declare -f get); get 127.0.0.1 18080" | cut -d' ' -f1)" box "localhost after restart"
# someone flushes our table: the reconcile brings the mappings back
nft delete table inet netd
poll 10 in_ns outside bash -c "$(declare -f get); [ \"\$(get 192.0.2.1 18080)\" = 'box 192.0.2.2' ]" || fail "18080 not restored after the table was deleted"

# DEL: nothing published any more
cni DEL box eth0 /run/netns/box "$conf" || fail "DEL: $CNI_OUT"
! has "18080" nft list table inet netd || fail "18080 still in nft after DEL"
has "^box" in_ns outside bash -c "$(declare -f get); get 192.0.2.1 18080" && fail "18080 still answers after DEL"
has "^box" incg bash -c "$(declare -f get); get 127.0.0.1 18080" && fail "localhost 18080 still answers after DEL"
assert_eq "$(api GET /info | jq -r .PortProxy.Published)" 0 "published count after DEL"
# the port is free again for the next one
cni ADD box2 eth0 /run/netns/box2 "$conf" || fail "ADD box2 after DEL: $CNI_OUT"
cni DEL box2 eth0 /run/netns/box2 "$conf" || fail "DEL box2"
assert_eq "$(nd_counts)" "eps=0 sbs=0" "at the end"
echo PASS
