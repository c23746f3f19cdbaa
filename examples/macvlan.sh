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
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
[ "$(id -u)" = 0 ] || { echo "examples/macvlan.sh: run as root" >&2; exit 1; }
if [ -z "${ND_LAB_INNER:-}" ]; then
  mkdir -p /run/netns
  exec env ND_LAB_INNER=1 unshare --net --mount --pid --fork --mount-proc --propagation private -- \
    bash "$0" "$build"
fi
T=$(mktemp -d /tmp/netd-lab-macvlan.XXXXXX)
export NETD_HOST=unix://$T/netd.sock
mount -t tmpfs netd-lab /run/netns
ip link set lo up
cleanup() {
  set +e
  [ -n "${pid-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  ip netns del lan 2>/dev/null
  grep -F " $T" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
say() { printf '\n\033[36m# %s\033[0m\n' "$*"; }
netctl() { "$build/cli/netctl" "$@"; }
driver_state() { netctl network inspect lan | jq '.[0].DriverState'; }

say "the LAN: a bridge with a router at 192.168.50.1; our parent eth-lan is plugged into it"
ip netns add lan
ip -n lan link set lo up
ip -n lan link add br0 type bridge && ip -n lan link set br0 up
ip -n lan addr add 192.168.50.1/24 dev br0
ip link add eth-lan type veth peer name port1 netns lan
ip -n lan link set port1 master br0 up
ip link set eth-lan up
echo '{"userland-proxy": true}' > "$T/netd.json"
"$build/netd/netd" --root "$T/root" --exec-root "$T/run" --socket "$T/netd.sock" --config "$T/netd.json" \
  --log-level warn 2>"$T/netd.log" &
pid=$!
for _ in $(seq 100); do netctl version >/dev/null 2>&1 && break; sleep 0.05; done

step netctl network create -d macvlan -o parent=eth-lan --subnet 192.168.50.0/24 \
  --gateway 192.168.50.1 --ip-range 192.168.50.128/26 lan
step netctl sandbox create --name web
step netctl network connect lan web
say "the router knows the container already (gratuitous ARP, then an ARP request for the gateway):"
step ip -n lan neigh show dev br0
addr=$(netctl sandbox inspect web | jq -r '.[0].Networks.lan.IPv4Address | split("/")[0]')
say "the LAN reaches the container at its own address, and it reaches the router:"
step nsenter --net=/run/netns/lan ping -c1 -W1 "$addr"
step netctl sandbox exec web -- ping -c1 -W1 192.168.50.1
say "the host cannot reach it: the kernel passes no frame between a parent and its children"
ip addr add 192.168.50.10/24 dev eth-lan
step ping -c1 -W1 "$addr" || true
step driver_state
say "with host access, netd adds its own child on the host side and a route per container"
netctl network disconnect lan web && netctl network rm lan >/dev/null
step netctl network create -d macvlan -o parent=eth-lan -o netd.macvlan.host_access=true \
  --subnet 192.168.50.0/24 --gateway 192.168.50.1 --ip-range 192.168.50.128/26 lan
step netctl network connect lan web
addr=$(netctl sandbox inspect web | jq -r '.[0].Networks.lan.IPv4Address | split("/")[0]')
step ip route show "$addr"
step ping -c1 -W1 "$addr"
step driver_state
