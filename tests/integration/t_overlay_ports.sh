#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Containers on an overlay network and the world outside it (two hosts):
#  - a container on h2 publishes a port: an "outside" namespace on the
#    underlay reaches it at h2's address, and the container sees the
#    client's own address;
#  - a container on h1 reaches the published container across the overlay
#    by its overlay address;
#  - a container on h1 reaches the outside namespace, masqueraded to h1's
#    underlay address (each host is its containers' way out);
#  - the VXLAN MTU follows a 1400-byte underlay (1350) and a 1,300-byte
#    unfragmented ping crosses.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/overlay_lab_lib.sh"
ov_lab 2 1400
"$NETD_SRC/scripts/mk-busybox-image.sh" "$T/bb.tar" 2>/dev/null
for i in 1 2; do ovctl $i image import "$T/bb.tar" bb >/dev/null || fail "image import on h$i"; done
# busybox httpd with a CGI that answers "<hostname> <the client's address>"
WEB_CGI='#!/bin/sh
echo Content-Type: text/plain
echo
a=${REMOTE_ADDR#"["}; a=${a%"]"}
echo "$(hostname) ${a#::ffff:}"'
WEB_SRV='mkdir -p /www/cgi-bin && printf "%s\n" "$CGI" >/www/cgi-bin/ip && chmod +x /www/cgi-bin/ip && exec httpd -f -p 80 -h /www'


# the outside world: a namespace on the underlay
mk_netns outside
ip link add uo netns lab-u type veth peer name eth0 netns outside
ip -n lab-u link set uo master br0 up
ip -n outside addr add 192.168.77.100/24 dev eth0
ip -n outside link set eth0 up

ovctl 1 network create -d overlay --subnet 10.230.0.0/16 ov >/dev/null || { ov_log 1; fail "create"; }
poll 5 ovctl 2 network inspect ov || fail "ov not on h2"
# no endpoint on h2 yet: nothing of the overlay in h2's kernel
[ -z "$(in_ns h2 ip -o link show | grep -E ': (ov|vx)-' || true)" ] || fail "h2 has overlay interfaces without endpoints"

log "a container on h2 publishes 8080 -> 80"
ovctl 2 run -d --name web --hostname web --net ov -p 8080:80 -e CGI="$WEB_CGI" bb sh -c "$WEB_SRV" >/dev/null ||
  { ov_log 2; fail "run web on h2"; }
webip=$(ovctl 2 inspect web | jq -r '.[0].NetworkSettings.Networks.ov.IPAddress')
assert_eq "$(ovctl 2 network inspect ov | jq -r '.[0].DriverState.MTU')" 1350 "overlay MTU over a 1400 underlay"
[ -n "$webip" ] && [ "$webip" != null ] || fail "web has no overlay address"
got() { in_ns outside curl -sS --max-time 3 "http://192.168.77.12:8080/cgi-bin/ip" 2>&1; }
poll 10 bash -c "[ \"\$(nsenter --net=/run/netns/outside -- curl -sS --max-time 3 http://192.168.77.12:8080/cgi-bin/ip)\" = 'web 192.168.77.100' ]" ||
  fail "outside -> h2:8080: $(got)"

log "a container on h1 reaches it across the overlay"
REQ='printf "GET /cgi-bin/ip HTTP/1.0\r\n\r\n" | nc -w 3 "$0" "$1" | tail -1'
out=$(ovctl 1 run --rm --net ov bb sh -c "$REQ" "$webip" 80 2>&1) || { ov_log 1; fail "run on h1: $out"; }
ipc=$(cut -d' ' -f2 <<<"$out")
assert_eq "$(cut -d' ' -f1 <<<"$out")" web "h1 container -> web over the overlay"
[[ $ipc == 10.230.* ]] || fail "web saw $ipc, not an overlay address"

log "h1's container reaches the outside, masqueraded to h1's address"
in_ns outside python3 -c 'import socket;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(("0.0.0.0",9000));s.listen()
for _ in range(1):
  c,a=s.accept();c.sendall(a[0].encode());c.close()' &
srv=$!
poll 5 bash -c "nsenter --net=/run/netns/outside -- ss -ltn | grep -q ':9000'"
out=$(ovctl 1 run --rm --net ov bb sh -c 'nc -w 3 192.168.77.100 9000 </dev/null' 2>&1) || fail "h1 container -> outside: $out"
wait $srv || true
assert_eq "$out" 192.168.77.11 "the outside sees h1's underlay address"

log "MTU: a 1,300-byte unfragmented ping crosses, 1,400 does not; the container's MTU is 1350"
ovctl 1 run -d --name c1 --net ov bb sleep 300 >/dev/null
ovctl 1 exec c1 ping -c2 -W2 -s 1300 "$webip" >/dev/null || fail "1,300-byte ping across the overlay"
ov_sb 1 sb; ovctl 1 network connect ov sb >/dev/null || fail "connect sb"
ov_x 1 sb ping -c3 -i0.2 -W2 -M do -s 1300 "$webip" >/dev/null || fail "1,300-byte DF ping lost"
ov_x 1 sb ping -c1 -W1 -M do -s 1400 "$webip" >/dev/null 2>&1 && fail "1,400-byte DF ping crossed a 1350 MTU"

grep -q "mtu 1350" <<<"$(ovctl 1 exec c1 ip link show eth0)" || fail "container MTU not 1350"

log "a running container connected to the overlay afterwards"
ovctl 1 run -d --name c2 bb sleep 300 >/dev/null
ovctl 1 network connect ov c2 || { ov_log 1; fail "connect a running container"; }
ovctl 1 exec c2 ping -c2 -W2 "$webip" >/dev/null || fail "c2 -> web after connect"
echo PASS
