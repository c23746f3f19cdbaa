#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# proxy/ port publishing against real traffic. Runs (via run-one.sh) in its
# own network namespace, the test's "host"; containers and the outside host
# are namespaces made here. The eBPF programs attach to a cgroup of this
# test only and pin under a bpffs of this test's mount namespace.
# PORTS_MODE=userland (t_ports_userland.sh) runs the same checks on the
# userland fallback.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ports_lib.sh"

# ---- topology -------------------------------------------------------------------------
# host: bridges nbA 10.10.1.1 (c1 .2, c2 .3) and nbB 10.10.2.1 (c3 .2), v6 fd10:N::1;
# outside: 192.0.2.2 / 2001:db8::2 over a veth to the host's 192.0.2.1 / 2001:db8::1,
# with no route to 10.10/16 (only the published ports reach the containers).
sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
mk_bridge() { ip link add "$1" type bridge; ip addr add "10.10.$2.1/24" dev "$1"
  ip addr add "fd10:$2::1/64" dev "$1" nodad; ip link set "$1" up; }
mk_ctr() { # NS BRIDGE N HOST
  mk_netns "$1"
  ip link add "v$1" type veth peer name eth0 netns "$1"
  ip link set "v$1" master "$2" up
  ip -n "$1" addr add "10.10.$3.$4/24" dev eth0; ip -n "$1" addr add "fd10:$3::$4/64" dev eth0 nodad
  ip -n "$1" link set eth0 up
  ip -n "$1" route add default via "10.10.$3.1"; ip -n "$1" -6 route add default via "fd10:$3::1"
}
mk_bridge nbA 1; mk_bridge nbB 2
mk_ctr c1 nbA 1 2; mk_ctr c2 nbA 1 3; mk_ctr c3 nbB 2 2
# hairpin to itself through br_netfilter bridges the DNATed frame back out of
# the port it came in: the bridge driver must set hairpin mode on endpoint ports
for p in vc1 vc2 vc3; do ip link set "$p" type bridge_slave hairpin on; done
mk_netns outside
ip link add vout type veth peer name eth0 netns outside
ip addr add 192.0.2.1/24 dev vout; ip addr add 2001:db8::1/64 dev vout nodad; ip link set vout up
ip -n outside addr add 192.0.2.2/24 dev eth0; ip -n outside addr add 2001:db8::2/64 dev eth0 nodad
ip -n outside link set eth0 up
ip -n outside route add 10.10.0.0/16 via 192.0.2.1 2>/dev/null || true  # direct path, for contrast
for c in c1 c2 c3; do
  in_ns $c python3 "$T/srv.py" $c 80,81,82,5000 >"$T/srv-$c.log" 2>&1 &
  on_exit "kill $!"
done
for c in c1 c2 c3; do poll 10 grep -q ready "$T/srv-$c.log" || fail "server in $c did not start"; done
sleep 0.2

NETS="nbA,10.10.1.0/24,fd10:1::/64 nbB,10.10.2.0/24,fd10:2::/64"
holder_start
ok fwsync $NETS
cmd mode; expect mode "$REPLY_" "ok $MODE"

# ---- publish ----------------------------------------------------------------------------
ok add 8080:80/tcp 10.10.1.2 8080:80/udp 10.10.1.2 8080:80/tcp fd10:1::2 8080:80/udp fd10:1::2
ok add 192.0.2.1:8081:81 10.10.1.3
ok add 8090-8092:80-82 10.10.2.2
ok add 8080:80/tcp 10.10.1.2        # the same again: idempotent
log "published:"; nft list map inet netd ports4 >&2

# from the outside host: the container sees the outside host's own address
expect "outside tcp v4" "$(ask_in outside tcp 192.0.2.1 8080)" "c1 192.0.2.2"
expect "outside udp v4" "$(ask_in outside udp 192.0.2.1 8080)" "c1 192.0.2.2"
# the first IPv6 exchange may wait on neighbour discovery along the path: retry it (bounded)
for _ in 1 2 3 4 5; do [ "$(ask_in outside tcp 2001:db8::1 8080)" = "c1 2001:db8::2" ] && break; done
expect "outside tcp v6" "$(ask_in outside tcp 2001:db8::1 8080)" "c1 2001:db8::2"
expect "outside udp v6" "$(ask_in outside udp 2001:db8::1 8080)" "c1 2001:db8::2"
expect "outside host-ip port" "$(ask_in outside tcp 192.0.2.1 8081)" "c2 192.0.2.2"
expect "outside range" "$(ask_in outside tcp 192.0.2.1 8092)" "c3 192.0.2.2"
# from the host: loopback and host addresses
expect "host 127.0.0.1 tcp" "$(ask tcp 127.0.0.1 8080 | cut -d' ' -f1)" c1
expect "host 127.0.0.1 udp" "$(ask udp 127.0.0.1 8080 | cut -d' ' -f1)" c1
expect "host ::1 tcp" "$(ask tcp ::1 8080 | cut -d' ' -f1)" c1
expect "host ::1 udp" "$(ask udp ::1 8080 | cut -d' ' -f1)" c1
expect "host 192.0.2.1 tcp" "$(ask tcp 192.0.2.1 8080 | cut -d' ' -f1)" c1
expect "host 10.10.2.1 tcp" "$(ask tcp 10.10.2.1 8091 | cut -d' ' -f1)" c3
expect "host 192.0.2.1:8081 (host-ip port)" "$(ask tcp 192.0.2.1 8081 | cut -d' ' -f1)" c2
expect "host 127.0.0.1:8081 is not published" "$(ask tcp 127.0.0.1 8081 | cut -c1-5)" error
# from containers, through host addresses (hairpin within a bridge, and across)
expect "c3 -> its gateway" "$(ask_in c3 tcp 10.10.2.1 8080)" "c1 10.10.2.2"
expect "c3 -> 192.0.2.1" "$(ask_in c3 tcp 192.0.2.1 8080)" "c1 10.10.2.2"
expect "c2 -> hairpin to c1" "$(ask_in c2 tcp 10.10.1.1 8080 | cut -d' ' -f1)" c1
expect "c1 -> hairpin to itself" "$(ask_in c1 tcp 10.10.1.1 8080)" "c1 10.10.1.1"
expect "c1 -> hairpin udp" "$(ask_in c1 udp 10.10.1.1 8080 | cut -d' ' -f1)" c1
expect "c3 v6 -> gateway" "$(ask_in c3 tcp fd10:2::1 8080)" "c1 fd10:2::2"
# unpublished ports are not redirected, and non-local destinations never are
expect "unpublished" "$(ask_in outside tcp 192.0.2.1 8099 | cut -c1-5)" error

# ---- streams: many at once, both directions, half-close, back-pressure ---------------------
# c1:7000 answers per connection, by the first line the client sends:
#   "echo": reads to EOF (the client's half-close), then sends it all back, then closes
#   "push N": sends N bytes at once and closes (FIN right behind the data)
# the client runs 96 at once from the host (userland: the relay; ebpf: redirected)
# and from outside (DNAT), sizes 0..4 MiB, some with a tiny receive buffer,
# and checks every byte and every EOF.
cat > "$T/streams_srv.py" <<'PY'
import socket, threading
def pattern(seed, n):
    b = bytes((seed * 131 + i * 7) & 0xff for i in range(256))
    return (b * (n // 256 + 1))[:n]
def handle(c):
    with c:
        f = c.makefile('rb')
        hdr = f.readline().split()
        if hdr[0] == b'echo':
            data = f.read()   # to EOF: the client shut its writing side
            c.sendall(data)
        else:
            c.sendall(pattern(int(hdr[2]), int(hdr[1])))
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('', 7000)); s.listen(4096)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
PY
cat > "$T/streams_cli.py" <<'PY'
import socket, sys, threading
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sizes = [0, 1, 100, 16383, 16384, 16385, 65536, 200000, 1 << 20, 4 << 20]
def pattern(seed, n):
    b = bytes((seed * 131 + i * 7) & 0xff for i in range(256))
    return (b * (n // 256 + 1))[:n]
errors = []
def one(i):
    size = sizes[i % len(sizes)] if i < 2 * len(sizes) else sizes[i % 7]
    try:
        c = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)
        if i % 5 == 0:   # a slow reader of a long stream: the relay must hold back
            size = 1 << 20
            c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.settimeout(30); c.connect((host, port))
        with c:
            if i % 2:
                want = pattern(i, size)
                c.sendall(b'echo\n' + want)
                c.shutdown(socket.SHUT_WR)
            else:
                want = pattern(i, size)
                c.sendall(b'push %d %d\n' % (size, i))
            got = bytearray()
            while True:
                b = c.recv(65536)
                if not b: break
                got += b
            if bytes(got) != want:
                errors.append(f"conn {i} ({'echo' if i % 2 else 'push'} {size}): got {len(got)} bytes, want {size}")
    except OSError as e:
        errors.append(f"conn {i}: {e}")
ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for t in ts: t.start()
for t in ts: t.join()
print("\n".join(errors[:5]) if errors else f"ok {n}")
PY
in_ns c1 python3 "$T/streams_srv.py" >"$T/streams_srv.log" 2>&1 &
on_exit "kill $!"
poll 10 grep -q ready "$T/streams_srv.log" || fail "streams server in c1 did not start"
ok add 8070:7000/tcp 10.10.1.2 8071:7999/tcp 10.10.1.2
[ "$MODE" = userland ] && fds_before=$(ls /proc/"$HOLDER"/fd | wc -l)
expect "96 streams from the host" "$(timeout 120 python3 "$T/streams_cli.py" 127.0.0.1 8070 96 2>&1)" "ok 96"
expect "96 streams from outside" "$(in_ns outside timeout 120 python3 "$T/streams_cli.py" 192.0.2.1 8070 96 2>&1)" "ok 96"
# a container port nobody listens on: the client is told at once, nothing hangs
got=$(timeout 10 python3 -c 'import socket
try:
    c = socket.create_connection(("127.0.0.1", 8071), timeout=5); c.settimeout(5)
    print("eof" if c.recv(1) == b"" else "data")
except (ConnectionRefusedError, ConnectionResetError): print("eof")
except OSError as e: print(e)' 2>&1)
expect "refused container port" "$got" eof
if [ "$MODE" = userland ]; then
  # every relayed connection closed both sockets and any pipe
  fds_now() { [ "$(ls /proc/"$HOLDER"/fd | wc -l)" = "$fds_before" ]; }
  poll 10 fds_now || fail "relay leaks fds: $(ls /proc/"$HOLDER"/fd | wc -l) open, $fds_before before the streams"
fi
ok del 8070:7000/tcp 10.10.1.2 8071:7999/tcp 10.10.1.2

# ---- conflicts -----------------------------------------------------------------------------
err add 8080:81/tcp 10.10.1.3
[[ "$REPLY_" == *"already published"* ]] || fail "conflict message: $REPLY_"
err add 192.0.2.1:8080:81/tcp 10.10.1.3    # overlaps the all-addresses port
python3 -c 'import socket,time; s=socket.socket(); s.bind(("0.0.0.0",9090)); s.listen(); time.sleep(60)' &
busy=$!; on_exit "kill $busy"
poll 5 bash -c '[ -n "$(ss -Htln sport = :9090)" ]'
err add 9100:80/tcp 10.10.1.2 9090:80/tcp 10.10.1.2
[[ "$REPLY_" == *"already in use by a host process"* ]] || fail "busy message: $REPLY_"
has 9100 nft list map inet netd ports4 && fail "all or nothing: 9100 published although 9090 failed"
expect "9100 not published" "$(ask_in outside tcp 192.0.2.1 9100 | cut -c1-5)" error
# a published port is reserved: host processes cannot take it
python3 -c 'import socket; s=socket.socket(); s.bind(("0.0.0.0",8080))' 2>/dev/null && fail "host process bound published 8080/tcp"
python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",8080))' 2>/dev/null && fail "host process bound [::1]:8080/tcp"
python3 -c 'import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",8080))' 2>/dev/null && fail "host process bound 8080/udp"
# bad input
err add 8080:80/tcp 10.10.1.999
err add 192.0.2.1:8085:80 fd10:1::2

# ---- a free port ---------------------------------------------------------------------------
ok add 80/tcp 10.10.1.3
picked=$(echo "$REPLY_" | sed -E 's/^ok ([0-9]+)->.*/\1/')
[[ "$picked" =~ ^[0-9]+$ ]] || fail "picked port: $REPLY_"
expect "picked port from outside" "$(ask_in outside tcp 192.0.2.1 "$picked")" "c2 192.0.2.2"

# ---- unpublish ------------------------------------------------------------------------------
ok del 8080:80/udp 10.10.1.2
ok del 8080:80/udp 10.10.1.2    # absent: success
expect "deleted udp from outside" "$(ask_in outside udp 192.0.2.1 8080)" ""
expect "deleted udp from host" "$(ask udp 127.0.0.1 8080)" ""
expect "tcp still there" "$(ask_in outside tcp 192.0.2.1 8080)" "c1 192.0.2.2"
python3 -c 'import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("0.0.0.0",8080))' || fail "8080/udp still reserved after del"
ok del "$picked:80/tcp" 10.10.1.3

ALL="8080:80/tcp 10.10.1.2 8080:80/tcp fd10:1::2 8080:80/udp fd10:1::2 192.0.2.1:8081:81 10.10.1.3 8090-8092:80-82 10.10.2.2"
check_all() { # LABEL
  expect "outside tcp ($1)" "$(ask_in outside tcp 192.0.2.1 8080)" "c1 192.0.2.2"
  expect "outside v6 udp ($1)" "$(ask_in outside udp 2001:db8::1 8080)" "c1 2001:db8::2"
  expect "outside range ($1)" "$(ask_in outside tcp 192.0.2.1 8090)" "c3 192.0.2.2"
  expect "host 127.0.0.1 ($1)" "$(ask tcp 127.0.0.1 8080 | cut -d' ' -f1)" c1
  expect "host ::1 ($1)" "$(ask tcp ::1 8080 | cut -d' ' -f1)" c1
  expect "c3 via gateway ($1)" "$(ask_in c3 tcp 10.10.2.1 8080)" "c1 10.10.2.2"
}
ok sync $ALL
check_all "after sync"

# ---- nft flush ruleset, then netd's reconcile ----------------------------------------------
nft flush ruleset
got=$(ask_in outside tcp 192.0.2.1 8080)
# without DNAT the outside reaches nothing (ebpf), or the userland proxy (which hides its address)
[ "$got" != "c1 192.0.2.2" ] || fail "DNAT still there after nft flush ruleset"
ok fwsync $NETS
check_all "after flush + fwsync"
nft flush ruleset
ok sync $ALL
ok fwsync $NETS
check_all "after flush + sync + fwsync"

if [ "$MODE" = ebpf ]; then
  # ---- a deleted pinned map is re-pinned by sync ---------------------------------------------
  rm -f "$PIN/nd_ports"
  ok sync $ALL
  [ -e "$PIN/nd_ports" ] || fail "nd_ports not re-pinned by sync"
  # ---- restart: a netd killed keeps localhost working; the next one takes over --------------
  holder_kill
  expect "host 127.0.0.1 with the holder dead" "$(ask tcp 127.0.0.1 8080 | cut -d' ' -f1)" c1
  expect "outside with the holder dead" "$(ask_in outside tcp 192.0.2.1 8080)" "c1 192.0.2.2"
  holder_start
  ok sync $ALL
  check_all "after restart"
  python3 -c 'import socket; s=socket.socket(); s.bind(("0.0.0.0",8080))' 2>/dev/null && fail "8080 not reserved again after restart"
  # programs were swapped in place: still one of each on our cgroup
  n=$(bpftool cgroup show "$CG" | grep -c nd_connect4)
  expect "one connect4 program after restart" "$n" 1
  # nothing outside the test's cgroup is touched
  has nd_connect bpftool cgroup show "$CGROOT" 2>/dev/null && fail "programs on the root cgroup"
fi

# ---- unpublish everything ------------------------------------------------------------------------
ok sync
expect "nothing published" "$(ask_in outside tcp 192.0.2.1 8080 | cut -c1-5)" error
expect "nothing published (host)" "$(ask tcp 127.0.0.1 8080 | cut -c1-5)" error
[ "$MODE" = ebpf ] && ok purge
ok quit
log "ok ($MODE)"
