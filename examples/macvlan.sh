#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lab: containers as hosts of a LAN with the macvlan driver.
#
#   sudo examples/macvlan.sh [BUILD_DIR]     # default: build
#
# Runs inside its own network, mount and pid namespaces (your host's network
# is never touched). "The LAN" is a namespace with a bridge and a router at
# 192.168.50.1; netd's parent interface eth-lan is a veth plugged into it.
# It shows: the router learning a container the moment it connects, ping and
# TCP between the LAN and the containers without NAT, the kernel's rule that
# the host cannot reach its own macvlan containers, and host access lifting it.
set -euo pipefail
. "$(dirname "$0")/lib/narrate.sh"
demo_init macvlan "$@"
driver_state() { netctl network inspect lan | jq '.[0].DriverState'; }

section "the LAN"
say "the LAN: a bridge with a router at 192.168.50.1; our parent eth-lan is plugged into it"
ip netns add lan
ip -n lan link set lo up
ip -n lan link add br0 type bridge && ip -n lan link set br0 up
ip -n lan addr add 192.168.50.1/24 dev br0
ip link add eth-lan type veth peer name port1 netns lan
ip -n lan link set port1 master br0 up
ip link set eth-lan up
demo_netd

section "a macvlan network on it"
step netctl network create -d macvlan -o parent=eth-lan --subnet 192.168.50.0/24 \
  --gateway 192.168.50.1 --ip-range 192.168.50.128/26 lan
step netctl sandbox create --name web
step netctl network connect lan web
say "the router knows the container already (gratuitous ARP, then an ARP request for the gateway):"
step ip -n lan neigh show dev br0
addr=$(netctl sandbox inspect web | jq -r '.[0].Networks.lan.IPv4Address | split("/")[0]')
say "the LAN reaches the container at its own address, and it reaches the router:"
settle nsenter --net=/run/netns/lan ping -c1 -W1 "$addr"
step nsenter --net=/run/netns/lan ping -c1 -W1 "$addr"
settle netctl sandbox exec web -- ping -c1 -W1 192.168.50.1
step netctl sandbox exec web -- ping -c1 -W1 192.168.50.1
result "the LAN and the container ($addr) reach each other, no NAT"

section "the host and its macvlan children"
say "the host cannot reach it: the kernel passes no frame between a parent and its children"
ip addr add 192.168.50.10/24 dev eth-lan
step_fails "the kernel passes no frame between a macvlan parent and its children" ping -c1 -W1 "$addr"
show "netctl network inspect lan | jq '.[0].DriverState'" -- driver_state
say "with host access, netd adds its own child on the host side and a route per container"
netctl network disconnect lan web && netctl network rm lan >/dev/null
step netctl network create -d macvlan -o parent=eth-lan -o netd.macvlan.host_access=true \
  --subnet 192.168.50.0/24 --gateway 192.168.50.1 --ip-range 192.168.50.128/26 lan
step netctl network connect lan web
addr=$(netctl sandbox inspect web | jq -r '.[0].Networks.lan.IPv4Address | split("/")[0]')
step ip route show "$addr"
settle ping -c1 -W1 "$addr"
step ping -c1 -W1 "$addr"
show "netctl network inspect lan | jq '.[0].DriverState'" -- driver_state
result "with host access the host reaches its macvlan container $addr"

demo_topology
