#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# GET /topology (netd reads every sandbox's interfaces from inside its
# namespace on short-lived threads) against what a user would otherwise run
# for the same facts: `ip -j link` and `ip -j addr` in netd's namespace and,
# through nsenter, in each sandbox's. N bare sandboxes on one bridge network;
# each side is timed over R rounds. Also the SVG: netctl topology --format svg.
# Runs in throwaway network, mount and pid namespaces.
# usage: bench/topology.sh [SANDBOXES] [ROUNDS]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${NETD_BUILD:-$src/build}
NETD_BUILD=$build
n=${1:-50}; rounds=${2:-10}
. "$src/bench/lib.sh"
bench_unshare "$@"
bench_begin topology
T=$B NETD=$build/netd/netd
ip link set lo up
echo '{"userland-proxy": true}' > "$T/netd.json"
bench_netd_start
export NETD_HOST=unix://$T/netd.sock
nc() { "$build/cli/netctl" "$@"; }
nc network create --subnet 10.231.0.0/16 bn >/dev/null
for i in $(seq "$n"); do
  sb=$(nc sandbox create --name "s$i")
  nc network connect bn "$sb" >/dev/null
done
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
t0=$(date +%s%N)
for _ in $(seq "$rounds"); do curl -sf --unix-socket "$T/netd.sock" http://x/topology > "$T/t.json"; done
api=$(ms "$t0")
[ "$(jq '.Endpoints | map(select(.Interface != null)) | length' "$T/t.json")" = "$n" ] || { echo "topology incomplete" >&2; exit 1; }
paths=$(jq -r '.Sandboxes[].NetnsPath' "$T/t.json")
t0=$(date +%s%N)
for _ in $(seq "$rounds"); do
  { ip -j link; ip -j addr; for p in $paths; do nsenter --net="$p" ip -j link; nsenter --net="$p" ip -j addr; done; } > "$T/ip.out"
done
ipt=$(ms "$t0")
t0=$(date +%s%N)
for _ in $(seq "$rounds"); do nc topology --format svg > "$T/t.svg"; done
svg=$(ms "$t0")
awk -v n="$n" -v r="$rounds" -v api="$api" -v ipt="$ipt" -v svg="$svg" 'BEGIN {
  printf "%-58s %10s\n", "topology of " n " sandboxes, per read (" r " rounds)", "ms"
  printf "%-58s %10.1f\n", "netd GET /topology (curl)", api / r
  printf "%-58s %10.1f\n", "ip -j link + addr, nsenter into each sandbox", ipt / r
  printf "%-58s %10.1f\n", "netctl topology --format svg (fetch + libgvc layout)", svg / r
  printf "%-58s %9.1fx\n", "ip loop / GET /topology", ipt / (api > 0 ? api : 1)
}'
