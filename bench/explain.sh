#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/explain.sh: what `netctl explain` costs, next to what a student
# would otherwise do to find the same answer by hand: run the commands
# explain lists under its hops (ip route get, ip -d link show, bridge -d link
# show, bridge fdb show, nft -a list chain, ss -ltn), one after the other —
# which shows the objects but gives no verdict.
#
#   sudo NETD_BUILD=build bench/explain.sh [N]
#
# N (default 50) runs of each, per scenario: two sandboxes on one bridge
# (delivered / no listener), and sandboxes on two bridges (dropped by netd's
# isolation rule). Median and p95 in ms, and explain / commands as a ratio
# (below 1: explain is faster than the commands alone). Everything runs
# inside `unshare --net --mount --pid`: every link, namespace and mount dies
# with the run.
set -euo pipefail
N=${1:-50}
: "${NETD_BUILD:=$(cd "$(dirname "$0")/.." && pwd)/build}"
NETD=$NETD_BUILD/netd/netd
NETCTL=$NETD_BUILD/cli/netctl
[ "$(id -u)" = 0 ] || { echo "bench/explain.sh: needs root" >&2; exit 77; }
[ -x "$NETD" ] && [ -x "$NETCTL" ] || { echo "bench/explain.sh: netd/netctl not built (set NETD_BUILD)" >&2; exit 77; }
for c in python3 unshare ip nft bridge ss jq curl; do
  command -v $c >/dev/null || { echo "bench/explain.sh: $c missing" >&2; exit 77; }
done
. "$(dirname "$0")/lib.sh"
bench_unshare "$@"
bench_begin explain
ip link set lo up
echo '{"userland-proxy": true}' >"$B/netd.json"
bench_netd_start --log-level debug
export NETD_HOST=unix://$B/netd.sock
nc() { "$NETCTL" "$@" >/dev/null; }
nc network create --subnet 172.31.10.0/24 b1
nc network create --subnet 172.31.11.0/24 b2
for s in s1 s2; do nc sandbox create --name $s; nc network connect b1 $s; done
nc sandbox create --name s3; nc network connect b2 s3
ip3=$("$NETCTL" sandbox inspect s3 | jq -r '.[0].Networks.b2.IPv4Address | split("/")[0]')
ns2=$("$NETCTL" sandbox inspect s2 | jq -r '.[0].NetnsPath')
# something listening in s2 on 80 (python, in the sandbox's namespace)
nsenter --net="$ns2" python3 -c 'import socket,time;s=socket.socket();s.bind(("0.0.0.0",80));s.listen();time.sleep(3600)' &
LISTENER=$!
bench_cleanup_more() { kill "$LISTENER" 2>/dev/null; }
for _ in $(seq 200); do nsenter --net="$ns2" ss -ltn | grep -q ':80 ' && break; sleep 0.02; done

now() { date +%s%N; }
stats() { # label file: median and p95 in ms
  sort -n "$2" | awk -v l="$1" '{a[NR]=$1} END {m=a[int((NR+1)/2)]; p=a[int(NR*0.95+0.5)]; printf "%-44s median %7.2f ms  p95 %7.2f ms\n", l, m/1e6, p/1e6; print m > "/dev/stderr"}'
}
run() { # label SRC DST
  local label=$1 src=$2 dst=$3 t0 t1 i
  : >"$B/ex"; : >"$B/cmd"
  "$NETCTL" explain --format json "$src" "$dst" >"$B/last.json"
  local verdict; verdict=$(jq -r .verdict.result "$B/last.json")
  jq -r '.hops[].command' "$B/last.json" >"$B/cmds"
  local ncmd; ncmd=$(wc -l <"$B/cmds")
  for i in $(seq "$N"); do
    t0=$(now); "$NETCTL" explain --format json "$src" "$dst" >/dev/null; t1=$(now); echo $((t1 - t0)) >>"$B/ex"
    t0=$(now); while read -r c; do sh -c "$c" >/dev/null 2>&1 || true; done <"$B/cmds"; t1=$(now); echo $((t1 - t0)) >>"$B/cmd"
  done
  echo "== $label: verdict $verdict, $(jq '.hops | length' "$B/last.json") hops"

  stats "netctl explain (client wall time)" "$B/ex" 2>"$B/m1"
  stats "the $ncmd commands it lists, run by hand" "$B/cmd" 2>"$B/m2"
  awk -v a="$(cat "$B/m1")" -v b="$(cat "$B/m2")" 'BEGIN {printf "ratio explain / commands (median): %.2f\n", a/b}'
  # netd's side: the request's duration in its log (the walk in its job included)
  grep 'path=/explain ' "$B/netd.log" | tail -n "$N" | sed -n 's/.*duration_us=\([0-9]*\).*/\1/p' | awk '{print $1 * 1000}' >"$B/srv"
  stats "  of which netd (request log, server side)" "$B/srv" 2>/dev/null
}
echo "netctl explain, $N runs per scenario ($(nproc) CPUs, kernel $(uname -r))"
run "same bridge, TCP 80 (listening)" s1 s2:80
run "same bridge, TCP 81 (nothing listens)" s1 s2:81
run "another bridge (isolation)" s1 "$ip3:80"
