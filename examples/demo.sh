#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main demo: a tour of netd in a few minutes.
#
#   sudo examples/demo.sh [BUILD_DIR]          # default: ./build
#   sudo scripts/demo.sh                       # installs the dependencies and builds first
#
# Runs in network, mount and pid namespaces of its own: netd, its networks
# and everything it makes live and die there. The other scenarios, one
# command each: examples/README.md.
set -euo pipefail
. "$(dirname "$0")/lib/narrate.sh"
demo_init demo "$@"
demo_netd

say "netd is running in its own network namespace; netctl talks to it over $T/netd.sock"
step netctl version

say "an image made here from Debian's busybox-static (nothing is pulled from a registry)"
"$src/scripts/mk-busybox-image.sh" "$T/busybox.tar" >/dev/null 2>&1
show "netctl image import busybox.tar busybox:latest" -- netctl image import "$T/busybox.tar" busybox:latest
step netctl image ls

say "a network is a Linux bridge with a subnet from IPAM (Docker's default pools)"
step netctl network create web
step netctl network ls

say "two containers on it: each gets a sandbox (netns), a veth pair, an address, a route"
step netctl run -d --name web1 --net web busybox httpd -f -p 80 -h /etc
step netctl run -d --name web2 --net web busybox sleep 300
step netctl ps

ip1=$(netctl inspect web1 | jq -r '.[0].NetworkSettings.Networks.web.IPAddress')
say "web2 reaches web1 at $ip1: ping, then HTTP"
step netctl exec web2 ip -o -4 addr
step netctl exec web2 ping -c2 "$ip1"
step netctl exec web2 wget -qO- "http://$ip1/hostname"

say "a second network is isolated from the first"
step netctl network create db
step_fails "networks are isolated" netctl run --rm --net db busybox ping -c1 -W1 "$ip1"

say "publish a port: -p 8080:80 is one element in an nftables map, no proxy process per port"
# the page answers "<hostname> <the client's address as the container sees it>"
cgi='#!/bin/sh
a=${REMOTE_ADDR#"["}; a=${a%"]"}
printf "Content-Type: text/plain\n\n%s %s\n" "$(hostname)" "${a#::ffff:}"'
show "netctl run -d --name site --hostname site --net web -p 8080:80 busybox httpd ..." -- \
  netctl run -d --name site --hostname site --net web -p 8080:80 -e CGI="$cgi" busybox \
  sh -c 'mkdir -p /www/cgi-bin && printf "%s\n" "$CGI" >/www/cgi-bin/ip && chmod +x /www/cgi-bin/ip && exec httpd -f -p 80 -h /www'
step netctl port site
step nft list map inet netd ports4
# an "outside host": one more namespace, over a veth, that routes to us
demo_outside
say "from another host (192.0.2.2) to ours (192.0.2.1): DNAT through the map; the container sees the client's own address"
for _ in $(seq 50); do ip netns exec outside curl -sf --max-time 1 http://192.0.2.1:8080/cgi-bin/ip >/dev/null 2>&1 && break; sleep 0.1; done
step ip netns exec outside curl -s http://192.0.2.1:8080/cgi-bin/ip
say "from the host itself, 127.0.0.1:8080: $(netctl info --format json | jq -r .PortProxyMode) mode$( [ -n "$CG" ] && echo ' (eBPF rewrites the destination inside connect(): no NAT, no proxy process)'); the container sees the host's address on its bridge"
show "curl -s http://127.0.0.1:8080/cgi-bin/ip" -- demo_incg curl -s --max-time 3 http://127.0.0.1:8080/cgi-bin/ip
step netctl ps

say "exit codes come back exactly"
show "netctl run --rm busybox sh -c 'exit 42'; echo \$?" -- bash -c "netctl run --rm busybox sh -c 'exit 42'; echo \$?"

say "the kernel objects are ordinary: the bridge, the host ends of the veths, netd's own nftables table"
step ip -br link show type bridge
step ip -br link show type veth
step nft list table inet netd

step netctl network inspect web

demo_topology
