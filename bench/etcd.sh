#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/etcd.sh: netd's etcd client (cluster/, the JSON gateway over one
# kept-alive libcurl connection) against etcdctl, the tool a shell script
# or a daemon that execs would use, on one local etcd 3.4, in one run.
#
#   sudo NETD_BUILD=build bench/etcd.sh [N]
#
# N (default 1000): sequential puts, gets, CAS (get + compare-and-swap) and
# creates by the client (tests/tools/nd-etcd-test bench), and N/10 puts and
# gets by etcdctl (a process per operation, its gRPC connection made each
# time); microseconds per operation and etcdctl / netd as ratios (above 1:
# netd's client is faster). etcd's data is on a tmpfs (no disk in the
# figures); everything runs inside `unshare --net --mount` and dies with it.
set -euo pipefail
N=${1:-1000}
: "${NETD_BUILD:=$(cd "$(dirname "$0")/.." && pwd)/build}"
TOOL=$NETD_BUILD/tests/tools/nd-etcd-test
ETCD=${ETCD_BIN:-${XDG_CACHE_HOME:-/var/cache}/netd-test/etcd}
[ "$(id -u)" = 0 ] || { echo "bench/etcd.sh: needs root" >&2; exit 77; }
[ -x "$TOOL" ] || { echo "bench/etcd.sh: $TOOL not built (BUILD_TESTING, set NETD_BUILD)" >&2; exit 77; }
[ -x "$ETCD" ] || { echo "bench/etcd.sh: no etcd at $ETCD (scripts/fetch-etcd.sh)" >&2; exit 77; }
command -v etcdctl >/dev/null || { echo "bench/etcd.sh: etcdctl missing (etcd-client)" >&2; exit 77; }

if [ -z "${ND_BENCH_INNER:-}" ]; then
  exec env ND_BENCH_INNER=1 unshare --net --mount --propagation private -- "$0" "$@"
fi
D=$(mktemp -d /tmp/netd-bench-etcd.XXXXXX)
mount -t tmpfs bench-etcd "$D"
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; umount -l "$D"; rmdir "$D"' EXIT
ip link set lo up
ip addr add 10.97.0.1/32 dev lo
A=10.97.0.1
"$ETCD" --data-dir "$D/data" --listen-client-urls "http://$A:2379" --advertise-client-urls "http://$A:2379" \
  --listen-peer-urls "http://$A:2380" --initial-advertise-peer-urls "http://$A:2380" \
  --initial-cluster "default=http://$A:2380" >"$D/log" 2>&1 &
for _ in $(seq 200); do curl -sf "http://$A:2379/health" >/dev/null && break; sleep 0.05; done

out=$("$TOOL" -e "$A:2379" bench "$N")
get() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$out"; }
M=$(( N / 10 > 0 ? N / 10 : 1 ))
t0=$(date +%s%N)
for i in $(seq "$M"); do ETCDCTL_API=3 etcdctl --endpoints "$A:2379" put /bench/x "$i" >/dev/null; done
ctl_put=$(( ($(date +%s%N) - t0) / 1000 / M ))
t0=$(date +%s%N)
for i in $(seq "$M"); do ETCDCTL_API=3 etcdctl --endpoints "$A:2379" get /bench/x >/dev/null; done
ctl_get=$(( ($(date +%s%N) - t0) / 1000 / M ))
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }
printf '%-10s %14s %18s %10s\n' op "netd client us" "etcdctl us" ratio
printf '%-10s %14s %18s %10s\n' put "$(get put_us)" "$ctl_put" "$(ratio "$ctl_put" "$(get put_us)")"
printf '%-10s %14s %18s %10s\n' get "$(get get_us)" "$ctl_get" "$(ratio "$ctl_get" "$(get get_us)")"
printf '%-10s %14s %18s %10s\n' get+cas "$(get get+cas_us)" "-" "-"
printf '%-10s %14s %18s %10s\n' create "$(get create_us)" "-" "-"
echo "(N=$N client ops, $M etcdctl ops; load average $(cut -d' ' -f1 /proc/loadavg))"
