#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A published port, reached from another host and from the host itself.
#
#   sudo examples/ports.sh [BUILD_DIR]         # default: ./build
#
# `-p 8080:80` is one element in an nftables map: traffic from another host
# (a namespace playing one, 192.0.2.2) is DNATed to the container, which sees
# the client's own address. Traffic that starts on the host (127.0.0.1:8080)
# never reaches the nat hooks: netd's eBPF programs rewrite the destination
# at connect() time, so there is no proxy process and no conntrack entry.
# (Without a cgroup2 mount, netd falls back to its userland proxy and the
# demo says so.) Runs in namespaces of its own; removes everything.
set -euo pipefail
. "$(dirname "$0")/lib/narrate.sh"
demo_init ports "$@"
demo_need bpftool
demo_netd
demo_image
demo_outside

section "a web server that tells who called"
# the page answers "<hostname> <the client's address, as the container sees it>"
cgi='#!/bin/sh
a=${REMOTE_ADDR#"["}; a=${a%"]"}
printf "Content-Type: text/plain\n\n%s %s\n" "$(hostname)" "${a#::ffff:}"'
srv='mkdir -p /www/cgi-bin && printf "%s\n" "$CGI" >/www/cgi-bin/ip && chmod +x /www/cgi-bin/ip && exec httpd -f -p 80 -h /www'
step netctl network create --subnet 10.30.0.0/24 -o com.docker.network.bridge.name=br-web web
show "netctl run -d --name site --hostname site --net web -p 8080:80 busybox httpd ...   # a CGI answers 'hostname client-address'" -- \
  netctl run -d --name site --hostname site --net web -p 8080:80 -e CGI="$cgi" busybox sh -c "$srv"
step netctl port site
site=$(ip_of site web)

section "publishing is one map element"
say "netd's prerouting chain DNATs any local address's port through the map ports4; 8080 is one element in it"
step nft list map inet netd ports4
show "nft list chain inet netd prerouting" -- nft list chain inet netd prerouting

section "from another host"
say "the 'outside host' is a namespace at 192.0.2.2, wired to us (192.0.2.1) by a veth; it has no route to 10.30.0.0/24"
step ip netns exec outside ip route
poll 10 ip netns exec outside curl -sf --max-time 1 http://192.0.2.1:8080/cgi-bin/ip
step ip netns exec outside curl -s http://192.0.2.1:8080/cgi-bin/ip
got=$(ip netns exec outside curl -s --max-time 3 http://192.0.2.1:8080/cgi-bin/ip)
[ "$got" = "site 192.0.2.2" ] || { echo "unexpected answer from outside: '$got'" >&2; exit 1; }
result "outside reached site through 192.0.2.1:8080, and site saw the client's own address 192.0.2.2"
say "the path of that packet, hop by hop (the DNAT map element it hits):"
demo_explain 192.0.2.2 host:8080
say "the connection went through the nat table: conntrack remembers the translation"
if command -v conntrack >/dev/null; then
  step conntrack -L -p tcp --dport 8080
else
  show "cat /proc/net/nf_conntrack | grep 'dport=8080'" -- bash -c "grep 'dport=8080' /proc/net/nf_conntrack 2>/dev/null || echo '(conntrack-tools not installed and /proc/net/nf_conntrack absent)'"
fi
say "but the container's own address stays out of reach from the outside host: only published ports come in"
step ip netns exec outside ip route add 10.30.0.0/24 via 192.0.2.1
step_fails "netd drops direct inbound traffic to a bridge" ip netns exec outside curl -s --max-time 2 "http://$site/cgi-bin/ip"

section "from the host itself"
mode=$(netctl info --format json | jq -r .PortProxyMode)
show "netctl info --format json | jq .PortProxyMode" -- bash -c "netctl info --format json | jq .PortProxyMode"
if [ "$mode" = ebpf ]; then
  say "eBPF mode: programs on the cgroup hooks connect4/sendmsg4 (and v6) rewrite 127.0.0.1:8080 to $site:80 inside connect()"
  step bpftool cgroup show "$CG"
  say "here those programs sit on a cgroup of this demo (on a real host: the root cgroup, i.e. every process); the client runs in it"
  show "curl -s http://127.0.0.1:8080/cgi-bin/ip" -- demo_incg curl -s --max-time 3 http://127.0.0.1:8080/cgi-bin/ip
  got=$(demo_incg curl -s --max-time 3 http://127.0.0.1:8080/cgi-bin/ip)
  [[ "$got" == site* ]] || { echo "unexpected answer from localhost: '$got'" >&2; exit 1; }
  result "127.0.0.1:8080 reached site (it saw ${got#site }, the host's address on br-web)"
  say "the path from the host, hop by hop (the eBPF map entry that redirects it):"
  demo_explain host 127.0.0.1:8080
  say "the socket was connected to $site:80 from the start: conntrack's entry for it has no 127.0.0.1 and no 8080 (no NAT took place)"
  show "grep 'src=10.30.0.1 ' /proc/net/nf_conntrack" -- bash -c "grep 'src=10.30.0.1 ' /proc/net/nf_conntrack 2>/dev/null | grep 'dport=80 ' || echo '(no /proc/net/nf_conntrack here)'"
else
  note "the userland proxy is in use (eBPF needs a cgroup2 mount, and NETD_DEMO_USERLAND=1 turns it off): netd itself listens on 8080 and relays"
  step ss -ltnp 'sport = :8080'
  step curl -s --max-time 3 http://127.0.0.1:8080/cgi-bin/ip
  result "127.0.0.1:8080 reached site through the userland proxy"
fi
say "and one port cannot be published twice"
step_fails "8080 is already published" netctl run -d --name site2 --net web -p 8080:80 busybox sleep 60
netctl rm -f site2 >/dev/null 2>&1 || true

demo_topology
