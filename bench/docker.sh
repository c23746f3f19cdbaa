#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/docker.sh: what a Docker user feels, side by side.
#   1. `docker run --rm busybox true` (the real docker CLI, the default
#      network) through netd and through Docker's own dockerd, and
#      `netctl run --rm bb true` through netd: medians of N runs, as ratios;
#   2. `docker ps` latency with 100 running containers, on both daemons.
#
#   sudo NETD_BUILD=build bench/docker.sh [N]        (N: default 20)
#
# Docker's daemon is Debian's (docker.io 20.10 and containerd 1.6, fetched
# with `apt-get download` and unpacked into ${XDG_CACHE_HOME:-/var/cache}/
# netd-bench and netd-test, never installed: they would start services on a
# user's machine); runc is the system's. Everything runs in a network, mount
# and pid namespace of the bench's own: dockerd gets its own --data-root,
# --exec-root, --pidfile and socket, its docker0 bridge lives in that
# namespace, --iptables=false, and its containers' cgroups sit under a
# parent of the bench's that is removed at the end. The host's network,
# firewall and /run are never touched. Without dockerd (no download), the
# netd figures are printed alone.
set -euo pipefail
N=${1:-20}
NPS=${NPS:-100}
SRC=$(cd "$(dirname "$0")/.." && pwd)
: "${NETD_BUILD:=$SRC/build}"
NETD_BUILD=$(cd "$NETD_BUILD" && pwd)
[ "$(id -u)" = 0 ] || { echo "bench/docker.sh: needs root" >&2; exit 77; }
for b in netd/netd cli/netctl runtime/netd-shim tests/tools/nd-images-test; do
  [ -x "$NETD_BUILD/$b" ] || { echo "bench/docker.sh: $NETD_BUILD/$b not built" >&2; exit 77; }
done
cache=${XDG_CACHE_HOME:-/var/cache}/netd-bench
if [ -z "${BENCH_IN_NS:-}" ]; then
  # fetched before entering the namespace (it has no network)
  DOCKER=${DOCKER:-$("$SRC/scripts/fetch-docker-cli.sh")} || { echo "bench/docker.sh: no docker CLI" >&2; exit 77; }
  DOCKERD=${DOCKERD:-$(dirname "$(dirname "$DOCKER")")/sbin/dockerd}
  if [ ! -x "$cache/containerd/usr/bin/containerd" ]; then
    echo "# fetching containerd into $cache (apt-get download containerd; not installed)" >&2
    dl=$(mktemp -d /tmp/netd-bench-dl.XXXXXX)
    if (cd "$dl" && timeout 300 apt-get download -q containerd >"$dl/apt.log" 2>&1) &&
       dpkg-deb -x "$dl"/containerd_*.deb "$dl/x"; then
      mkdir -p "$cache" && rm -rf "$cache/containerd" && mv "$dl/x" "$cache/containerd"
      dpkg-deb -f "$dl"/containerd_*.deb Version >"$cache/containerd/VERSION"
    fi
    rm -rf "$dl"
  fi
  export BENCH_IN_NS=1 NETD_BUILD DOCKER DOCKERD
  exec unshare --net --mount --pid --fork --mount-proc --propagation private -- bash "$0" "$@"
fi
ip link set lo up
# our own /run: dockerd and containerd must not meet the host's
mount -t tmpfs -o mode=0755 bench-run /run

B=$(mktemp -d /tmp/netd-bench-docker.XXXXXX)
NETCTL=$NETD_BUILD/cli/netctl
CGP=netd-bench-docker-$$
NDPID= DKPID=
cleanup() {
  set +e
  if [ -n "$NDPID" ]; then
    DOCKER_HOST=unix://$B/netd.sock "$DOCKER" rm -f $(DOCKER_HOST=unix://$B/netd.sock "$DOCKER" ps -aq) >/dev/null 2>&1
    kill "$NDPID"; wait "$NDPID"
  fi
  if [ -n "$DKPID" ]; then
    DOCKER_HOST=unix://$B/docker.sock "$DOCKER" rm -f $(DOCKER_HOST=unix://$B/docker.sock "$DOCKER" ps -aq) >/dev/null 2>&1
    kill "$DKPID"; wait "$DKPID"
  fi
  grep -F " $B" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l
  find /sys/fs/cgroup -maxdepth 3 -type d -name "$CGP" 2>/dev/null |
    while read -r d; do find "$d" -mindepth 1 -depth -type d -exec rmdir {} \; ; rmdir "$d"; done
  rm -rf "$B"
}
trap cleanup EXIT

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# timed OUT N CMD...: N runs of CMD, milliseconds appended to OUT
timed() {
  local out=$1 n=$2 t0 t1; shift 2
  : >"$out"
  for _ in $(seq "$n"); do
    t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f\n", (b - a) / 1e6}' >>"$out"
  done
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

"$SRC/scripts/mk-busybox-image.sh" "$B/bb.tar" 2>/dev/null

# ---- netd -------------------------------------------------------------------------------
"$NETD_BUILD/tests/tools/nd-images-test" --root "$B/root/images" import "$B/bb.tar" busybox >/dev/null
"$NETD_BUILD/tests/tools/nd-images-test" --root "$B/root/images" import "$B/bb.tar" bb >/dev/null
echo '{"userland-proxy": true}' >"$B/netd.json"
"$NETD_BUILD/netd/netd" --root "$B/root" --exec-root "$B/run" --socket "$B/netd.sock" --config "$B/netd.json" \
  --log-level warn >"$B/netd.log" 2>&1 &
NDPID=$!
for _ in $(seq 200); do NETD_HOST=unix://$B/netd.sock "$NETCTL" version >/dev/null 2>&1 && break; sleep 0.05; done
nd() { DOCKER_HOST=unix://$B/netd.sock DOCKER_CONFIG=$B/dc "$DOCKER" "$@"; }
nc() { NETD_HOST=unix://$B/netd.sock "$NETCTL" "$@"; }
mkdir -p "$B/dc"
nd run --rm busybox true; nc run --rm bb true                      # warm-up
timed "$B/nd-run.ms" "$N" nd run --rm busybox true
timed "$B/nc-run.ms" "$N" nc run --rm bb true
for i in $(seq "$NPS"); do nd run -d busybox sleep 3600 >/dev/null; done
nd ps >/dev/null
timed "$B/nd-ps.ms" "$N" nd ps
nd rm -f $(nd ps -aq) >/dev/null

# ---- dockerd ---------------------------------------------------------------------------------
dk_note=
if [ ! -x "$DOCKERD" ]; then
  dk_note="dockerd not found at $DOCKERD"
elif [ ! -x "$cache/containerd/usr/bin/containerd" ]; then
  dk_note="containerd not in $cache (download failed?)"
elif ! command -v runc >/dev/null; then
  dk_note="runc missing"
else
  PATH=$cache/containerd/usr/bin:$(dirname "$DOCKERD"):$PATH \
    "$DOCKERD" --data-root "$B/docker" --exec-root "$B/docker-exec" --pidfile "$B/dockerd.pid" \
      -H "unix://$B/docker.sock" --iptables=false --ip6tables=false --userland-proxy=false \
      --cgroup-parent "/$CGP" --containerd-namespace netd-bench --log-level warn >"$B/dockerd.log" 2>&1 &
  DKPID=$!
  dk() { DOCKER_HOST=unix://$B/docker.sock DOCKER_CONFIG=$B/dc "$DOCKER" "$@"; }
  for _ in $(seq 300); do dk version >/dev/null 2>&1 && break; sleep 0.1; done
  if ! dk version >/dev/null 2>&1; then
    dk_note="dockerd did not start: $(tail -3 "$B/dockerd.log" | tr '\n' ' ')"
    kill "$DKPID"; wait "$DKPID" || true; DKPID=
  else
    dk import "$B/bb.tar" busybox >/dev/null
    dk run --rm busybox true                                            # warm-up
    timed "$B/dk-run.ms" "$N" dk run --rm busybox true
    for i in $(seq "$NPS"); do dk run -d busybox sleep 3600 >/dev/null; done
    dk ps >/dev/null
    timed "$B/dk-ps.ms" "$N" dk ps
    dk rm -f $(dk ps -aq) >/dev/null
  fi
fi

# ---- figures -----------------------------------------------------------------------------------
ndr=$(median <"$B/nd-run.ms"); ncr=$(median <"$B/nc-run.ms"); ndp=$(median <"$B/nd-ps.ms")
cli_ver=$("$DOCKER" --version | awk '{print $3}' | tr -d ,)
echo "# bench/docker.sh: medians of $N runs; docker CLI $cli_ver; $(nproc) CPUs; $(uname -r)"
printf '%-52s %10s\n' "docker run --rm busybox true   via netd" "$ndr ms"
printf '%-52s %10s\n' "netctl run --rm bb true        via netd" "$ncr ms"
printf '%-52s %10s\n' "docker ps ($NPS running)        via netd" "$ndp ms"
if [ -n "$DKPID" ]; then
  dkr=$(median <"$B/dk-run.ms"); dkp=$(median <"$B/dk-ps.ms")
  dver=$(dk version --format '{{.Server.Version}}')
  printf '%-52s %10s\n' "docker run --rm busybox true   via dockerd $dver" "$dkr ms"
  printf '%-52s %10s\n' "docker ps ($NPS running)        via dockerd $dver" "$dkp ms"
  echo "# ratios (dockerd / netd: above 1 means netd is faster)"
  printf '%-52s %10s\n' "docker run --rm: dockerd / netd (docker CLI)" "$(ratio "$dkr" "$ndr")x"
  printf '%-52s %10s\n' "run --rm: dockerd (docker CLI) / netd (netctl)" "$(ratio "$dkr" "$ncr")x"
  printf '%-52s %10s\n' "docker ps with $NPS: dockerd / netd" "$(ratio "$dkp" "$ndp")x"
else
  echo "# dockerd skipped: $dk_note"
fi
printf '%-52s %10s\n' "docker CLI / netctl, both via netd" "$(ratio "$ndr" "$ncr")x"
