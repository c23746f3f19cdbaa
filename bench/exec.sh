#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/exec.sh: exec-to-exit latency of `true` in a running container,
#   netctl exec C true       (netctl -> netd's API: exec create, a hijacked
#                             101 stream, rt_exec_start in the pool, the
#                             container's seccomp/caps/cgroups/user/env)
#   docker exec C true       (Docker's CLI -> netd, the same path)
#   crun exec ID true        (the runtime a user would otherwise pick, on an
#                             equivalent bundle of the same rootfs)
# median and p90 of N runs each (default 50), as ratios to crun.
#
#   sudo NETD_BUILD=build bench/exec.sh [N]
#
# Runs in its own network, mount and pid namespace: nothing touches the
# host's interfaces. crun 1.8 refuses this host's hybrid cgroup layout, so
# its side hides the cgroup2 tree in a private mount namespace (bench/run.sh).
set -euo pipefail
N=${1:-50}
SRC=$(cd "$(dirname "$0")/.." && pwd)
: "${NETD_BUILD:=$SRC/build}"
NETD_BUILD=$(cd "$NETD_BUILD" && pwd)
[ "$(id -u)" = 0 ] || { echo "bench/exec.sh: needs root" >&2; exit 77; }
command -v crun >/dev/null || { echo "bench/exec.sh: crun missing" >&2; exit 77; }
if [ -z "${BENCH_IN_NS:-}" ]; then
  export BENCH_IN_NS=1 NETD_BUILD
  mkdir -p /run/netns
  exec unshare --net --mount --pid --fork --mount-proc --propagation private -- bash "$0" "$@"
fi
ip link set lo up

B=$(mktemp -d /tmp/netd-bench-exec.XXXXXX)
NETCTL=$NETD_BUILD/cli/netctl
export NETD_HOST=unix://$B/netd.sock DOCKER_HOST=unix://$B/netd.sock DOCKER_CONFIG=$B/dc
NDPID=
cleanup() {
  set +e
  if [ -n "$NDPID" ]; then
    "$NETCTL" rm -f ex >/dev/null 2>&1
    kill "$NDPID"; wait "$NDPID"
  fi
  crun --root "$B/crun-root" delete -f bench-exec >/dev/null 2>&1
  grep -F " $B" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l
  find /sys/fs/cgroup -maxdepth 6 -type d -name "bench-exec-crun-$$" 2>/dev/null |
    while read -r d; do find "$d" -mindepth 1 -depth -type d -exec rmdir {} \; ; rmdir "$d"; done
  rm -rf "$B"
}
trap cleanup EXIT
mkdir -p "$B/dc"

"$SRC/scripts/mk-busybox-image.sh" "$B/bb.tar" 2>/dev/null
"$NETD_BUILD/tests/tools/nd-images-test" --root "$B/root/images" import "$B/bb.tar" bb >/dev/null
echo '{"userland-proxy": true}' > "$B/netd.json"
"$NETD_BUILD/netd/netd" --root "$B/root" --exec-root "$B/run" --socket "$B/netd.sock" --config "$B/netd.json" \
  --log-level warn >"$B/netd.log" 2>&1 &
NDPID=$!
for _ in $(seq 200); do "$NETCTL" version >/dev/null 2>&1 && break; sleep 0.05; done
"$NETCTL" run -d --name ex bb sleep 3600 >/dev/null

ms() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f\n", (b - a) / 1e6}'; }
stats() { sort -n | awk '{a[NR]=$1} END {m=(NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; p=a[int(NR*0.9+0.5)]; printf "%.2f %.2f\n", m, p}'; }
loop() {   # OUT CMD...
  local out=$1; shift
  "$@" >/dev/null   # warm-up
  : >"$out"
  for _ in $(seq "$N"); do
    t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
    ms "$t0" "$t1" >>"$out"
  done
}
loop "$B/netctl.ms" "$NETCTL" exec ex true
DOCKER=$("$SRC/scripts/fetch-docker-cli.sh" 2>/dev/null || command -v docker || true)
[ -n "$DOCKER" ] && loop "$B/docker.ms" "$DOCKER" exec ex true

mkdir -p "$B/bundle/rootfs"
tar -C "$B/bundle/rootfs" -xf "$B/bb.tar"
(cd "$B/bundle" && crun spec)
jq '.process.args = ["sleep", "3600"] | .process.terminal = false | .root.readonly = false
    | .linux.cgroupsPath = "/bench-exec-crun-'$$'/bench-exec"' \
  "$B/bundle/config.json" >"$B/config.json" && mv "$B/config.json" "$B/bundle/config.json"
unshare --mount --propagation private -- bash -c '
  set -e
  umount /sys/fs/cgroup/unified 2>/dev/null || true
  crun --root "$1/crun-root" --cgroup-manager=cgroupfs run -d --bundle "$1/bundle" bench-exec
  crun --root "$1/crun-root" exec bench-exec true   # warm-up
  : >"$1/crun.ms"
  for i in $(seq "$2"); do
    t0=$(date +%s%N)
    crun --root "$1/crun-root" exec bench-exec true
    t1=$(date +%s%N)
    awk -v a="$t0" -v b="$t1" "BEGIN {printf \"%.3f\n\", (b - a) / 1e6}" >>"$1/crun.ms"
  done
  crun --root "$1/crun-root" kill bench-exec KILL || true' _ "$B" "$N"

read -r cm cp < <(stats <"$B/crun.ms")
row() { read -r m p < <(stats <"$2"); printf '  %-34s %8.2f ms  p90 %8.2f ms  ratio %5.2f\n' "$1" "$m" "$p" "$(awk -v a="$m" -v b="$cm" 'BEGIN {print a / b}')"; }
echo "exec-to-exit of true in a running busybox container, median of $N:"
row "netctl exec ex true" "$B/netctl.ms"
[ -s "$B/docker.ms" ] && row "docker exec ex true (via netd)" "$B/docker.ms"
row "crun exec (same rootfs)" "$B/crun.ms"
