#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two containers on a user-defined bridge network.
#
#   sudo examples/bridge.sh [BUILD_DIR]        # default: ./build
#
# Shows what a bridge network is in the kernel: a Linux bridge with the
# gateway address, one veth pair per container (one end inside, one end a
# port of the bridge), the bridge's forwarding database learning the
# containers' MAC addresses, and the two containers reaching each other by
# address and by name. Runs in namespaces of its own; removes everything.
set -euo pipefail
. "$(dirname "$0")/lib/narrate.sh"
demo_init bridge "$@"
demo_netd
demo_image

section "a network is a Linux bridge"
say "a user-defined network; the bridge name is given here so that it is easy to spot (default: br-<id>)"
step netctl network create --subnet 10.10.0.0/24 -o com.docker.network.bridge.name=br-web web
step ip -br addr show dev br-web
say "the bridge holds the gateway address, 10.10.0.1; the host routes the whole subnet to it"
step ip route show dev br-web

section "two containers"
step netctl run -d --name alpha --hostname alpha --net web busybox httpd -f -p 80 -h /etc
step netctl run -d --name beta --hostname beta --net web busybox sleep 600
step netctl ps
a=$(ip_of alpha web)
say "inside alpha: one interface eth0 with an address from the network's subnet, a default route via the gateway"
step netctl exec alpha ip addr show dev eth0
step netctl exec alpha ip route
say "eth0 is one end of a veth pair; its peer is on the host, plugged into br-web (master br-web)"
step ip -br link show master br-web
peer=$(netctl exec alpha cat /sys/class/net/eth0/iflink | tr -d '\r')
say "alpha's eth0 says its peer is interface number $peer on the host:"
show "ip -o link | grep '^$peer:'" -- bash -c "ip -o link | grep '^$peer:' | cut -d'\\' -f1"

section "they talk"
say "beta reaches alpha at $a: the frame goes beta's eth0 -> veth -> br-web -> veth -> alpha's eth0"
step netctl exec beta ping -c2 -W2 "$a"
result "beta reached alpha by address ($a)"
step netctl exec beta wget -qO- "http://$a/hostname"
say "the bridge learned where each MAC lives (the forwarding database, per port):"
ma=$(netctl inspect alpha | jq -r '.[0].NetworkSettings.Networks.web.MacAddress')
mb=$(netctl inspect beta | jq -r '.[0].NetworkSettings.Networks.web.MacAddress')
show "bridge fdb show br br-web | grep -v permanent" -- bash -c "bridge fdb show br br-web | grep -v permanent || true"
fdb=$(bridge fdb show br br-web)
if grep -q "$ma" <<<"$fdb" && grep -q "$mb" <<<"$fdb"; then
  result "the bridge learned alpha ($ma) and beta ($mb)"
else
  note "the fdb entries may already have aged out"
fi
say "and the neighbour table inside beta maps alpha's address to alpha's MAC:"
step netctl exec beta ip neigh

say "by name: netd tells each container the names on its networks"
step netctl exec beta cat /etc/resolv.conf
if netctl exec beta grep -q 127.0.0.11 /etc/resolv.conf 2>/dev/null; then
  say "the resolver is netd's embedded one at 127.0.0.11 inside the container's own namespace"
else
  note "this build has no embedded resolver at 127.0.0.11 yet; the name comes from the container's /etc/hosts"
  step netctl exec beta cat /etc/hosts
fi
settle netctl exec beta ping -c1 -W2 alpha
step netctl exec beta ping -c1 -W2 alpha
result "beta reached alpha by name"

demo_topology
