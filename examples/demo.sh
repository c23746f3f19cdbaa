#!/usr/bin/env bash
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
  if [ -n "${pid-}" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  grep -F " $T" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
say() { printf '\n\033[36m# %s\033[0m\n' "$*"; }
netctl() { "$build/cli/netctl" "$@"; }

"$build/netd/netd" --root "$T/root" --exec-root "$T/run" --socket "$T/netd.sock" --log-level warn &
pid=$!
for _ in $(seq 250); do curl -sf --unix-socket "$T/netd.sock" http://x/_ping >/dev/null && break; sleep 0.02; done

say "netd is running in its own network namespace; netctl talks to it over $T/netd.sock"
step netctl version

say "a network is a Linux bridge with a subnet from IPAM (Docker's default pools)"
step netctl network create web
step netctl network ls

say "sandboxes are network namespaces; connecting one creates a veth pair, addresses it, routes it"
step netctl sandbox create --name alice
step netctl sandbox create --name bob
step netctl network connect web alice
step netctl network connect web bob
step netctl sandbox ls

bob_ip=$(netctl sandbox inspect bob | jq -r '.[0].Networks.web.IPv4Address | split("/")[0]')
say "what alice sees, and alice reaching bob at $bob_ip"
step netctl sandbox exec alice ip -br addr
step netctl sandbox exec alice ip route
step netctl sandbox exec alice ping -c2 "$bob_ip"

say "a second network is isolated from the first"
step netctl network create db
step netctl sandbox create --name carol
step netctl network connect db carol
printf '\n\033[1m$ netctl sandbox exec carol ping -c1 -W1 %s\033[0m\n' "$bob_ip"
if netctl sandbox exec carol ping -c1 -W1 "$bob_ip"; then echo "unexpected: carol reached bob"; exit 1; else echo "(no reply: networks are isolated)"; fi

say "the kernel objects are ordinary: the bridge and the rules in netd's own nftables table"
step ip -br link show type bridge
step nft list table inet netd

step netctl network inspect web
say "cleaning up: everything lived in a throwaway namespace"
