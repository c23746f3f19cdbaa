#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/run.sh: run-to-exit latency of `netctl run --rm --net n1 bb true`
# (netctl -> netd: create, sandbox + veth on a bridge, overlay rootfs, shim,
# container, exit, teardown, removal) against `crun run` of an equivalent OCI
# bundle (same busybox rootfs, its own network namespace with only lo, v1
# cgroups through cgroupfs), median of N runs each (default 30), as a ratio;
# then netd's RSS with 100 running containers.
#
#   sudo NETD_BUILD=build bench/run.sh [N]
#
# Runs in its own network, mount and pid namespace (nothing touches the host's
# interfaces). crun 1.8 refuses this host's hybrid cgroup layout, so its loop
# hides the cgroup2 tree in a private mount namespace (see bench/runtime.sh).
set -euo pipefail
N=${1:-30}
SRC=$(cd "$(dirname "$0")/.." && pwd)
: "${NETD_BUILD:=$SRC/build}"
NETD_BUILD=$(cd "$NETD_BUILD" && pwd)
[ "$(id -u)" = 0 ] || { echo "bench/run.sh: needs root" >&2; exit 77; }
for b in netd/netd cli/netctl runtime/netd-shim tests/tools/nd-images-test; do
  [ -x "$NETD_BUILD/$b" ] || { echo "bench/run.sh: $NETD_BUILD/$b not built" >&2; exit 77; }
done
command -v crun >/dev/null || { echo "bench/run.sh: crun missing" >&2; exit 77; }
command -v jq >/dev/null || { echo "bench/run.sh: jq missing" >&2; exit 77; }
if [ -z "${BENCH_IN_NS:-}" ]; then
  export BENCH_IN_NS=1 NETD_BUILD
  mkdir -p /run/netns
  exec unshare --net --mount --pid --fork --mount-proc --propagation private -- bash "$0" "$@"
fi
ip link set lo up

B=$(mktemp -d /tmp/netd-bench-run.XXXXXX)
NETCTL=$NETD_BUILD/cli/netctl
export NETD_HOST=unix://$B/netd.sock
NDPID=
cleanup() {
  set +e
  if [ -n "$NDPID" ]; then
    for c in $("$NETCTL" ps -aq 2>/dev/null); do "$NETCTL" rm -f "$c" >/dev/null 2>&1; done
    kill "$NDPID"; wait "$NDPID"
  fi
  crun --root "$B/crun-root" delete -f bench-run >/dev/null 2>&1
  grep -F " $B" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l
  find /sys/fs/cgroup -maxdepth 6 -type d -name "bench-run-crun-$$" 2>/dev/null |
    while read -r d; do find "$d" -mindepth 1 -depth -type d -exec rmdir {} \; ; rmdir "$d"; done
  rm -rf "$B"
}
trap cleanup EXIT

"$SRC/scripts/mk-busybox-image.sh" "$B/bb.tar" 2>/dev/null
"$NETD_BUILD/tests/tools/nd-images-test" --root "$B/root/images" import "$B/bb.tar" bb >/dev/null
# no published ports here: the userland proxy, so nothing attaches to the host's cgroups
echo '{"userland-proxy": true}' > "$B/netd.json"
"$NETD_BUILD/netd/netd" --root "$B/root" --exec-root "$B/run" --socket "$B/netd.sock" --config "$B/netd.json" --log-level warn \
  >"$B/netd.log" 2>&1 &
NDPID=$!
for _ in $(seq 200); do "$NETCTL" version >/dev/null 2>&1 && break; sleep 0.05; done
"$NETCTL" network create n1 >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f\n", (b - a) / 1e6}'; }

"$NETCTL" run --rm --net n1 bb true   # warm-up
: >"$B/netd.ms"
for _ in $(seq "$N"); do
  t0=$(date +%s%N)
  "$NETCTL" run --rm --net n1 bb true
  t1=$(date +%s%N)
  ms "$t0" "$t1" >>"$B/netd.ms"
done

mkdir -p "$B/bundle/rootfs"
tar -C "$B/bundle/rootfs" -xf "$B/bb.tar"
(cd "$B/bundle" && crun spec)
jq '.process.args = ["true"] | .process.terminal = false | .root.readonly = false
    | .linux.cgroupsPath = "/bench-run-crun-'$$'/bench-run"' \
  "$B/bundle/config.json" >"$B/config.json" && mv "$B/config.json" "$B/bundle/config.json"
unshare --mount --propagation private -- bash -c '
  set -e
  umount /sys/fs/cgroup/unified 2>/dev/null || true
  crun --root "$1/crun-root" --cgroup-manager=cgroupfs run --bundle "$1/bundle" bench-run   # warm-up
  : >"$1/crun.ms"
  for i in $(seq "$2"); do
    t0=$(date +%s%N)
    crun --root "$1/crun-root" --cgroup-manager=cgroupfs run --bundle "$1/bundle" bench-run
    t1=$(date +%s%N)
    awk -v a="$t0" -v b="$t1" "BEGIN {printf \"%.3f\n\", (b - a) / 1e6}" >>"$1/crun.ms"
  done' _ "$B" "$N"

nm=$(median <"$B/netd.ms"); cm=$(median <"$B/crun.ms")
echo "run-to-exit, median of $N:"
printf '  netctl run --rm --net n1 bb true   %8.2f ms\n' "$nm"
printf '  crun run (same rootfs, own netns)  %8.2f ms\n' "$cm"
awk -v a="$nm" -v b="$cm" 'BEGIN {printf "  ratio netd/crun                    %8.2f\n", a / b}'

rss() { awk '/VmRSS/ {print $2}' /proc/"$NDPID"/status; }
r0=$(rss)
t0=$(date +%s%N)
for i in $(seq 100); do "$NETCTL" run -d --net n1 --name s$i bb sleep 3600 >/dev/null; done
t1=$(date +%s%N)
r1=$(rss)
[ "$("$NETCTL" ps -q | wc -l)" = 100 ] || { echo "not 100 running" >&2; exit 1; }
echo "100 running containers (sleep, one endpoint each on n1):"
echo "  started in $(ms "$t0" "$t1") ms"
echo "  netd VmRSS: $r0 kB before, $r1 kB with 100 running ($(( (r1 - r0) / 100 )) kB each)"
t0=$(date +%s%N)
"$NETCTL" rm -f $(seq -f 's%g' 100) >/dev/null
t1=$(date +%s%N)
echo "  rm -f of all 100: $(ms "$t0" "$t1") ms"
