#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/runtime.sh: run-to-exit latency of `true` in a busybox rootfs,
# netd's runtime (nd-rt-test run: rt_start -> netd-shim -> container -> exit.json
# -> rt_wait -> rt_delete) against `crun run` of an equivalent OCI bundle.
# Median of N runs each (default 30), printed with the ratio.
#
#   sudo NETD_BUILD=build-runtime bench/runtime.sh [N]
#
# Equivalence: both clone pid/mnt/ipc/uts/cgroup namespaces and stay in the
# host's network namespace, mount /proc, /dev (tmpfs), /dev/pts, /dev/shm,
# /dev/mqueue, /sys, mask Docker's paths, drop to Docker's capabilities and
# load a seccomp filter. crun 1.8 refuses this host's hybrid cgroup layout
# (see crun_loop), so it runs with --cgroup-manager=disabled (no cgroup at
# all) and the cgroup2 tree hidden, and once more with --cgroup-manager=cgroupfs
# (v1 cgroups in every hierarchy), which is what netd's runtime does (6
# hierarchies). On v1 the first cgroup.procs write of a start costs ~10 ms
# here (cgroup_threadgroup_rwsem -> RCU grace period): runc, crun and we all
# pay it.
set -euo pipefail
N=${1:-30}
: "${NETD_BUILD:=$(cd "$(dirname "$0")/.." && pwd)/build-runtime}"
RT=$NETD_BUILD/tests/tools/nd-rt-test
[ "$(id -u)" = 0 ] || { echo "bench/runtime.sh: needs root" >&2; exit 77; }
[ -x "$RT" ] || { echo "bench/runtime.sh: $RT not built" >&2; exit 77; }
[ -x /bin/busybox ] || { echo "bench/runtime.sh: busybox-static missing" >&2; exit 77; }
command -v crun >/dev/null || { echo "bench/runtime.sh: crun missing" >&2; exit 77; }
command -v jq >/dev/null || { echo "bench/runtime.sh: jq missing" >&2; exit 77; }

B=$(mktemp -d /tmp/netd-bench-rt.XXXXXX)
CGP=netd-bench-$$
cleanup() {
  set +e
  for d in "$B"/st-*; do [ -d "$d" ] && "$RT" delete "$d"; done
  crun --root "$B/crun-root" delete -f bench-rt >/dev/null 2>&1
  find /sys/fs/cgroup -maxdepth 6 -type d \( -name "$CGP" -o -name "$CGP-crun" \) 2>/dev/null |
    while read -r d; do find "$d" -mindepth 1 -depth -type d -exec rmdir {} \; ; rmdir "$d"; done
  rm -rf "$B"
}
trap cleanup EXIT

R=$B/bundle/rootfs
mkdir -p "$R"/{bin,etc,proc,sys,dev,tmp}
cp /bin/busybox "$R/bin/"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\n' >"$R/etc/group"
(cd "$B/bundle" && crun spec)
jq '.process.args = ["true"] | .process.terminal = false | .root.readonly = false
    | .linux.namespaces |= map(select(.type != "network"))
    | .linux.cgroupsPath = "/'"$CGP"'-crun/bench-rt"' \
  "$B/bundle/config.json" >"$B/config.json" && mv "$B/config.json" "$B/bundle/config.json"

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
now() { date +%s%N; }

# crun 1.8 refuses the hybrid layout ("cgroups in hybrid mode not supported,
# drop all controllers from cgroupv2") even with --cgroup-manager=disabled: its
# loop runs in a private mount namespace where the cgroup2 tree
# (/sys/fs/cgroup/unified) is unmounted, so that crun sees pure v1.
# MANAGER is "disabled" (no cgroup) or "cgroupfs" (v1 cgroups under
# /$CGP-crun, as netd's runtime makes them: the like-for-like figure).
crun_loop() { # crun_loop MANAGER N OUT
  unshare --mount --propagation private -- bash -c '
    set -e
    umount /sys/fs/cgroup/unified 2>/dev/null || true
    crun --root "$1/crun-root" --cgroup-manager="$2" run --bundle "$1/bundle" bench-rt   # warm-up
    : >"$4"
    for i in $(seq "$3"); do
      t0=$(date +%s%N)
      crun --root "$1/crun-root" --cgroup-manager="$2" run --bundle "$1/bundle" bench-rt
      t1=$(date +%s%N)
      awk -v a="$t0" -v b="$t1" "BEGIN {printf \"%.3f\n\", (b - a) / 1e6}" >>"$4"
    done' _ "$B" "$1" "$2" "$3"
}

"$RT" run --rootfs "$R" --cgroup-parent "$CGP" --state-dir "$B/st-warm" --quiet -- true   # warm-up
: >"$B/netd.ms"
for i in $(seq "$N"); do
  t0=$(now)
  "$RT" run --rootfs "$R" --cgroup-parent "$CGP" --state-dir "$B/st-$i" --quiet -- true
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", (b - a) / 1e6}' >>"$B/netd.ms"
done
crun_loop disabled "$N" "$B/crun.ms"
crun_loop cgroupfs "$N" "$B/crun-cg.ms"
mn=$(median <"$B/netd.ms")
mc=$(median <"$B/crun.ms")
mg=$(median <"$B/crun-cg.ms")
printf 'run-to-exit of `true`, median of %d runs (ms):\n' "$N"
printf '  netd runtime (v1 cgroups)       %8.2f\n' "$mn"
printf '  crun, cgroupfs (v1 cgroups)     %8.2f   ratio netd/crun %.2f\n' "$mg" "$(awk -v a="$mn" -v b="$mg" 'BEGIN {print a / b}')"
printf '  crun, --cgroup-manager=disabled %8.2f   ratio netd/crun %.2f\n' "$mc" "$(awk -v a="$mn" -v b="$mc" 'BEGIN {print a / b}')"
