#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# proxy/ port publishing, two things that start on the host:
# - ::1 (and the host's IPv6 addresses) reach a container on an IPv4-only
#   network, as with Docker: the [::]:port side of an IPv4 "all addresses"
#   port (connect6 -> v4-mapped target in ebpf mode, a [::] listener in
#   userland mode). Dual-stack sockets asking for ::ffff:127.0.0.1 too.
# - a host address added after the ports were published is redirected
#   without another publish (the address watcher), and no more once deleted.
# PORTS_MODE=userland (t_ports_v6map_userland.sh) runs it on the fallback.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ports_lib.sh"

# ---- topology -------------------------------------------------------------------------
# nbA 10.10.1.1/24, IPv4 only, with c1 10.10.1.2; nbB 10.10.2.1 + fd10:2::1 with
# c2 10.10.2.2 + fd10:2::2 (dual stack); vt0/vt1, a veth pair of the host
# whose addresses the test adds and removes.
sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip link add nbA type bridge; ip addr add 10.10.1.1/24 dev nbA; ip link set nbA up
ip link add nbB type bridge; ip addr add 10.10.2.1/24 dev nbB; ip addr add fd10:2::1/64 dev nbB nodad; ip link set nbB up
mk_netns c1
ip link add vc1 type veth peer name eth0 netns c1; ip link set vc1 master nbA up
ip -n c1 addr add 10.10.1.2/24 dev eth0; ip -n c1 link set eth0 up; ip -n c1 route add default via 10.10.1.1
mk_netns c2
ip link add vc2 type veth peer name eth0 netns c2; ip link set vc2 master nbB up
ip -n c2 addr add 10.10.2.2/24 dev eth0; ip -n c2 addr add fd10:2::2/64 dev eth0 nodad; ip -n c2 link set eth0 up
ip -n c2 route add default via 10.10.2.1; ip -n c2 -6 route add default via fd10:2::1
ip link add vt0 type veth peer name vt1; ip link set vt0 up; ip link set vt1 up
for c in c1 c2; do
  in_ns $c python3 "$T/srv.py" $c 80 >"$T/srv-$c.log" 2>&1 &
  on_exit "kill $!"
done
for c in c1 c2; do poll 10 grep -q ready "$T/srv-$c.log" || fail "server in $c did not start"; done

holder_start
ok fwsync nbA,10.10.1.0/24 nbB,10.10.2.0/24,fd10:2::/64
ok add 8080:80/tcp 10.10.1.2 8080:80/udp 10.10.1.2 127.0.0.1:8081:80/tcp 10.10.1.2

# ---- ::1 to an IPv4-only container -------------------------------------------------------
# the container sees the host's bridge address either way (connect() of the
# host's socket in ebpf mode, the relay in userland mode)
C1="c1 10.10.1.1"
expect "127.0.0.1 tcp" "$(ask tcp 127.0.0.1 8080)" "$C1"
expect "::1 tcp" "$(ask tcp ::1 8080)" "$C1"
expect "::1 udp, connected" "$(ask udpc ::1 8080)" "$C1"
expect "::ffff:127.0.0.1 tcp (dual-stack socket)" "$(ask tcp ::ffff:127.0.0.1 8080)" "$C1"
expect "::ffff:127.0.0.1 udp (dual-stack socket)" "$(ask udp ::ffff:127.0.0.1 8080)" "$C1"
expect "::ffff:127.0.0.1 udp, connected" "$(ask udpc ::ffff:127.0.0.1 8080)" "$C1"
if [ "$MODE" = ebpf ]; then
  # the kernel cannot take an unconnected IPv6 datagram to IPv4 after the hook
  # (udpv6_sendmsg: ENOTSUPP): refused, not sent to [::1]
  expect "::1 udp, unconnected" "$(ask udp ::1 8080)" "error [Errno 1] Operation not permitted"
  # a V6ONLY socket cannot reach IPv4: it fails, and goes nowhere else
  expect "::1 tcp V6ONLY" "$(ask tcp ::1 8080 v6only)" "error [Errno 101] Network is unreachable"
  expect "::1 udp V6ONLY, connected" "$(ask udpc ::1 8080 v6only)" "error [Errno 101] Network is unreachable"
else
  expect "::1 udp, unconnected" "$(ask udp ::1 8080)" "$C1"
  expect "::1 tcp V6ONLY (relayed)" "$(ask tcp ::1 8080 v6only)" "$C1"
fi
# IPv6 that the programs do not see (another namespace: a container on a v6
# network, or another host) to the host's IPv6 address: relayed over IPv4 by
# the [::] side, as Docker's proxy does; the container sees the host
expect "c2 -> [fd10:2::1]:8080 tcp (relayed to the IPv4-only c1)" "$(ask_in c2 tcp fd10:2::1 8080)" "$C1"
# a port published on 127.0.0.1 only is not published on ::1 (Docker neither)
expect "127.0.0.1-only port" "$(ask tcp 127.0.0.1 8081)" "$C1"
expect "127.0.0.1-only port on ::1" "$(ask tcp ::1 8081 | cut -c1-5)" error
# the [::] side holds the port for us, and never enters the DNAT maps
# (binds with SO_REUSEADDR: TIME_WAIT of relayed connections never blocks
# them, a reservation always does)
bind6() { # tcp|udp ADDR PORT: can a host process bind it?
  python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET6, socket.SOCK_STREAM if sys.argv[1]=="tcp" else socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((sys.argv[2], int(sys.argv[3])))' "$@" 2>/dev/null; }
bind6 tcp ::1 8080 && fail "host process bound [::1]:8080/tcp"
bind6 udp :: 8080 && fail "host process bound [::]:8080/udp"
map6=$(nft list map inet netd ports6)
[[ "$map6" == *8080* ]] && fail "the IPv6 side of 8080 is in the nft map ports6"

# ---- a host process on [::1]:P keeps it: only IPv4 is published then ---------------------
python3 -c 'import socket,time; s=socket.socket(socket.AF_INET6); s.bind(("::1",8084)); s.listen()
while True: c,_=s.accept(); c.sendall(b"host\n"); c.close()' &
busy=$!; on_exit "kill $busy"
poll 5 bash -c '[ -n "$(ss -Htln sport = :8084)" ]' || fail "host listener on [::1]:8084 did not start"
ok add 8084:80/tcp 10.10.1.2
expect "8084 on 127.0.0.1" "$(ask tcp 127.0.0.1 8084)" "$C1"
expect "8084 on ::1 stays the host's" "$(ask tcp ::1 8084)" host
ok del 8084:80/tcp 10.10.1.2

# ---- an IPv6 mapping takes [::]:P over, and gives it back --------------------------------
ok add 8083:80/tcp 10.10.1.2
expect "8083 ::1 -> c1" "$(ask tcp ::1 8083)" "$C1"
ok add 8083:80/tcp fd10:2::2
expect "8083 ::1 -> c2 (its IPv6 mapping)" "$(ask tcp ::1 8083)" "c2 fd10:2::1"
expect "8083 127.0.0.1 -> c1" "$(ask tcp 127.0.0.1 8083)" "$C1"
ok del 8083:80/tcp fd10:2::2
expect "8083 ::1 -> c1 again" "$(ask tcp ::1 8083)" "$C1"
ok del 8083:80/tcp 10.10.1.2
expect "8083 unpublished" "$(ask tcp ::1 8083 | cut -c1-5)" error

# ---- host addresses added and removed after publishing ----------------------------------
NEW4=198.51.100.7 NEW6=2001:db8:77::7
expect "$NEW4 before it exists" "$(ask tcp $NEW4 8080 | cut -c1-5)" error
t0=$(date +%s%N)
ip addr add $NEW4/24 dev vt0
ip addr add $NEW6/64 dev vt0 nodad
# no add/sync/refresh is sent to the holder: only the watcher can make these work
poll 5 bash -c "[ \"\$(python3 '$T/cli.py' tcp $NEW4 8080 2>&1)\" = '$C1' ]" ||
  fail "new address $NEW4:8080 not redirected: $(ask tcp $NEW4 8080)"
log "new address redirected after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
expect "new $NEW4 udp" "$(ask udp $NEW4 8080)" "$C1"
poll 5 bash -c "[ \"\$(python3 '$T/cli.py' tcp $NEW6 8080 2>&1)\" = '$C1' ]" ||
  fail "new address [$NEW6]:8080 not redirected: $(ask tcp $NEW6 8080)"
ip addr del $NEW4/24 dev vt0
ip addr del $NEW6/64 dev vt0
# gone from the host: an eBPF map that still held it would still send it to c1
poll 5 bash -c "[ \"\$(python3 '$T/cli.py' tcp $NEW4 8080 2>&1 | cut -c1-5)\" = error ]" ||
  fail "deleted $NEW4:8080 still answers: $(ask tcp $NEW4 8080)"
expect "deleted $NEW4, again" "$(ask tcp $NEW4 8080 | cut -c1-5)" error
poll 5 bash -c "[ \"\$(python3 '$T/cli.py' tcp $NEW6 8080 2>&1 | cut -c1-5)\" = error ]" ||
  fail "deleted [$NEW6]:8080 still answers: $(ask tcp $NEW6 8080)"
# a route to the deleted address, so that a stale redirect would be the only
# way to an answer (not ENETUNREACH for lack of a route)
ip route add 198.51.100.0/24 dev vt0
expect "deleted $NEW4 with a route" "$(ask tcp $NEW4 8080 | cut -c1-5)" error
ip route del 198.51.100.0/24 dev vt0

if [ "$MODE" = ebpf ]; then
  # ---- restart: the [::] side outlives the holder, and the next one takes it over ---------
  holder_kill
  expect "::1 with the holder dead" "$(ask tcp ::1 8080)" "$C1"
  holder_start
  ok sync 8080:80/tcp 10.10.1.2 8080:80/udp 10.10.1.2
  expect "::1 after restart" "$(ask tcp ::1 8080)" "$C1"
  expect "::1 udp after restart" "$(ask udpc ::1 8080)" "$C1"
  bind6 tcp ::1 8080 && fail "[::1]:8080 not reserved again after restart"
fi

# ---- unpublish everything: the [::] side goes too --------------------------------------
ok sync
expect "::1 unpublished" "$(ask tcp ::1 8080 | cut -c1-5)" error
bind6 tcp ::1 8080 || fail "[::1]:8080/tcp still reserved"
bind6 udp ::1 8080 || fail "[::1]:8080/udp still reserved"
[ "$MODE" = ebpf ] && ok purge
ok quit
log "ok ($MODE)"
