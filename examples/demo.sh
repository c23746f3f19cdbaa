#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main demo. Runs inside a private network + mount namespace (see
# scripts/demo.sh): netd, its networks and everything it makes live and die
# there. Usage: examples/demo.sh BUILD_DIR
set -euo pipefail
build=$1
src=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/netd-demo.XXXXXX)
export NETD_HOST=unix://$T/netd.sock
mount -t tmpfs netd-demo /run/netns
ip link set lo up
cleanup() {
  set +e
  # containers outlive netd by design: remove them through netd first, so
  # their monitors take down their cgroups
  if [ -n "${pid-}" ]; then
    ids=$("$build/cli/netctl" ps -aq 2>/dev/null)
    [ -n "$ids" ] && "$build/cli/netctl" rm -f $ids >/dev/null 2>&1
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  fi
  ip netns del outside 2>/dev/null
  grep -F " $T" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
  [ -n "${CG-}" ] && rmdir "$CG" 2>/dev/null
  find /sys/fs/cgroup -maxdepth 6 -type d -name netd -exec rmdir {} + 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
say() { printf '\n\033[36m# %s\033[0m\n' "$*"; }
netctl() { "$build/cli/netctl" "$@"; }

# netd's eBPF port programs attach to a cgroup of the demo's own (never the
# host's root cgroup) and pin on a bpffs of its own
cgroot=/sys/fs/cgroup/unified
[ "$(stat -fc %T $cgroot 2>/dev/null)" = cgroup2fs ] || cgroot=/sys/fs/cgroup
CG=$cgroot/netd-demo-$$
if [ "$(stat -fc %T $cgroot 2>/dev/null)" = cgroup2fs ] && mkdir "$CG" 2>/dev/null; then
  mkdir -p "$T/bpf" && mount -t bpf bpf "$T/bpf"
  printf '{"bpf-cgroup": "%s", "bpf-pin-path": "%s"}\n' "$CG" "$T/bpf/netd" > "$T/netd.json"
else
  CG=
  echo '{"userland-proxy": true}' > "$T/netd.json"
fi
"$build/netd/netd" --root "$T/root" --exec-root "$T/run" --socket "$T/netd.sock" --config "$T/netd.json" \
  --log-level warn &
pid=$!
for _ in $(seq 250); do curl -sf --unix-socket "$T/netd.sock" http://x/_ping >/dev/null && break; sleep 0.02; done

say "netd is running in its own network namespace; netctl talks to it over $T/netd.sock"
step netctl version

say "an image made here from Debian's busybox-static (nothing is pulled from a registry)"
"$src/scripts/mk-busybox-image.sh" "$T/busybox.tar" >/dev/null
step netctl image import "$T/busybox.tar" busybox:latest
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
printf '\n\033[1m$ netctl run --rm --net db busybox ping -c1 -W1 %s\033[0m\n' "$ip1"
if netctl run --rm --net db busybox ping -c1 -W1 "$ip1"; then echo "unexpected: reached across networks"; exit 1
else echo "(no reply: networks are isolated)"; fi

say "publish a port: -p 8080:80 is one element in an nftables map, no proxy process per port"
# the page answers "<hostname> <the client's address as the container sees it>"
cgi='#!/bin/sh
a=${REMOTE_ADDR#"["}; a=${a%"]"}
printf "Content-Type: text/plain\n\n%s %s\n" "$(hostname)" "${a#::ffff:}"'
printf '\n\033[1m$ netctl run -d --name site --hostname site --net web -p 8080:80 busybox httpd ...\033[0m\n'
netctl run -d --name site --hostname site --net web -p 8080:80 -e CGI="$cgi" busybox \
  sh -c 'mkdir -p /www/cgi-bin && printf "%s\n" "$CGI" >/www/cgi-bin/ip && chmod +x /www/cgi-bin/ip && exec httpd -f -p 80 -h /www'
step netctl port site
step nft list map inet netd ports4
# an "outside host": one more namespace, over a veth, that routes to us
ip netns add outside
ip link add vout type veth peer name eth0 netns outside
ip addr add 192.0.2.1/24 dev vout; ip link set vout up
ip -n outside addr add 192.0.2.2/24 dev eth0; ip -n outside link set eth0 up
say "from another host (192.0.2.2) to ours (192.0.2.1): DNAT through the map; the container sees the client's own address"
for _ in $(seq 50); do ip netns exec outside curl -sf --max-time 1 http://192.0.2.1:8080/cgi-bin/ip >/dev/null 2>&1 && break; sleep 0.1; done
step ip netns exec outside curl -s http://192.0.2.1:8080/cgi-bin/ip
say "from the host itself, 127.0.0.1:8080: $(netctl info --format json | jq -r .PortProxyMode) mode$( [ -n "$CG" ] && echo ' (eBPF rewrites the destination at connect(): no NAT, no conntrack entry)'); the container sees the host's address on its bridge"
incg() { if [ -n "$CG" ]; then bash -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG" "$@"; else "$@"; fi; }
printf '\n\033[1m$ curl -s http://127.0.0.1:8080/cgi-bin/ip\033[0m\n'
incg curl -s http://127.0.0.1:8080/cgi-bin/ip
step netctl ps

say "exit codes come back exactly"
printf '\n\033[1m$ netctl run --rm busybox sh -c "exit 42"; echo $?\033[0m\n'
set +e; netctl run --rm busybox sh -c 'exit 42'; echo $?; set -e

say "the kernel objects are ordinary: the bridge, the host ends of the veths, netd's own nftables table"
step ip -br link show type bridge
step ip -br link show type veth
step nft list table inet netd

step netctl network inspect web
step netctl rm -f web1 web2 site
say "cleaning up: everything lived in a throwaway namespace"
