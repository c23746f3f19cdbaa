#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Isolation: between networks, and inside a network with ICC off.
#
#   sudo examples/isolation.sh [BUILD_DIR]     # default: ./build
#
# Two networks cannot talk to each other, although the host routes both; a
# network with inter-container communication off lets its containers reach
# the gateway (and the world) but not each other (isolated bridge ports, and
# elements in netd's own nftables table, shown here); `netctl explain` walks
# a blocked pair hop by hop. A container on both networks reaches both. Runs in
# namespaces of its own; removes everything.
set -euo pipefail
. "$(dirname "$0")/lib/narrate.sh"
demo_init isolation "$@"
demo_netd
demo_image

section "two networks"
step netctl network create --subnet 10.20.1.0/24 -o com.docker.network.bridge.name=br-red red
step netctl network create --subnet 10.20.2.0/24 -o com.docker.network.bridge.name=br-blue blue
step netctl run -d --name r1 --hostname r1 --net red busybox sleep 600
step netctl run -d --name b1 --hostname b1 --net blue busybox httpd -f -p 80 -h /etc
r1=$(ip_of r1 red); b1=$(ip_of b1 blue)
say "the host has a route to each network (both bridges are its interfaces) and forwards between them..."
step ip route
step sysctl net.ipv4.ip_forward
say "...yet r1 ($r1) cannot reach b1 ($b1): netd's forward chain drops traffic from one netd bridge to another"
step_fails "networks are isolated from each other" netctl exec r1 ping -c1 -W1 "$b1"
say "r1 still reaches its own gateway"
settle netctl exec r1 ping -c1 -W1 10.20.1.1
step netctl exec r1 ping -c1 -W1 10.20.1.1
result "r1 reaches its gateway 10.20.1.1"
say "why the ping stopped, hop by hop:"
demo_explain r1 b1

section "the rules that do it"
say "all of netd's rules live in one table of its own; a network is an element of its sets, not more rules"
step nft list table inet netd

section "ICC off: one network, no talking inside it"
step netctl network create --subnet 10.20.3.0/24 -o com.docker.network.bridge.name=br-quiet \
  -o com.docker.network.bridge.enable_icc=false quiet
step netctl run -d --name q1 --hostname q1 --net quiet busybox sleep 600
step netctl run -d --name q2 --hostname q2 --net quiet busybox httpd -f -p 80 -h /etc
q2=$(ip_of q2 quiet)
say "q1 and q2 share the bridge br-quiet, but netd made their bridge ports 'isolated': an isolated port never forwards to another isolated port, only to the bridge itself (the gateway)"
show "ip -d -o link show master br-quiet | grep -Eo '^[0-9]+: [^@]+|isolated (on|off)'" -- \
  bash -c "ip -d -o link show master br-quiet | grep -Eo '^[0-9]+: [^@]+|isolated (on|off)'"
step_fails "inter-container communication is off on quiet" netctl exec q1 ping -c1 -W1 "$q2"
settle netctl exec q1 ping -c1 -W1 10.20.3.1
step netctl exec q1 ping -c1 -W1 10.20.3.1
result "q1 still reaches its gateway"
demo_explain q1 q2
say "and where bridged frames pass the firewall too (br_netfilter), netd's set noicc_pairs drops them there as well:"
show "nft list table inet netd | grep -n -e br-quiet -e icc" -- bash -c "nft list table inet netd | grep -n -e br-quiet -e icc || true"

section "a container on both networks"
say "connect r1 to blue as well: a second endpoint (eth1) in r1's sandbox, and it reaches b1 directly"
step netctl network connect blue r1
step netctl exec r1 ip addr show dev eth1
step netctl exec r1 wget -qO- "http://$b1/hostname"
result "r1, now on blue too, reached b1"
say "b1 still cannot reach r1's address on red"
step_fails "red stays isolated from blue" netctl exec b1 ping -c1 -W1 "$r1"

demo_topology
