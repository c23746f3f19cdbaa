#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/dns.sh: netd's embedded resolver against aardvark-dns (Podman's,
# from Debian's podman), serving the same names on the same machine, driven
# by dnsperf (Debian package dnsperf).
#
#   sudo NETD_BUILD=build bench/dns.sh [NAMES] [SECONDS]
#
# NAMES (default 100) container names s1..sNAMES on one network. netd: bare
# sandboxes on a netd bridge network; dnsperf runs in one more sandbox's
# namespace and asks 127.0.0.11 (the resolver's DNAT'd listener). aardvark:
# its config file lists the same names; dnsperf runs in a namespace whose
# address the config lists as a container, over a veth to aardvark's
# listening address. Two workloads:
#   names     A queries for the container names
#   upstream  A queries for u1..u200.ext.example, answered by the same
#             dnspython upstream (tests/integration/dns_upstream.py) for
#             both; netd answers them from its cache after the first ask,
#             aardvark-dns 1.4 forwards each one (it has no cache), so its
#             figure is bounded by that upstream
# Each workload runs twice per server: throughput (dnsperf -q 100 for
# SECONDS, default 5: queries/s) and latency at a fixed 2000 queries/s
# (dnsperf -Q 2000 -v: p50 and p99 of the per-query times it prints).
# Ratios are netd / aardvark (qps: above 1 netd is faster; latency: below 1).
# The machine's other load moves the figures: compare within one run.
#
# Everything runs inside `unshare --net --mount --pid`; every namespace,
# process and file dies with it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
N=${1:-100}
SECS=${2:-5}
RATE=${DNS_BENCH_RATE:-2000}   # queries/s of the latency runs
: "${NETD_BUILD:=$(cd "$(dirname "$0")/.." && pwd)/build}"
NETD_BUILD=$(cd "$NETD_BUILD" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
NETD=$NETD_BUILD/netd/netd
NETCTL=$NETD_BUILD/cli/netctl
ARK=${ARK:-/usr/lib/podman/aardvark-dns}
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
[ "$(id -u)" = 0 ] || { echo "bench/dns.sh: needs root" >&2; exit 77; }
for b in "$NETD" "$NETCTL" "$ARK"; do
  [ -x "$b" ] || { echo "bench/dns.sh: $b missing (build netd; apt-get install aardvark-dns)" >&2; exit 77; }
done
command -v dnsperf >/dev/null || { echo "bench/dns.sh: dnsperf missing (apt-get install dnsperf)" >&2; exit 77; }
$PY -c 'import dns.message' 2>/dev/null || { echo "bench/dns.sh: python3-dnspython missing" >&2; exit 77; }
bench_unshare "$@"

bench_begin dns
mount -t tmpfs -o mode=0755 netd-bench-netns /run/netns
ip link set lo up
export NETD_HOST=unix://$B/netd.sock

# the query files
for i in $(seq "$N"); do echo "s$i A"; done >"$B/q.names"
for i in $(seq 200); do echo "u$i.ext.example A"; done >"$B/q.upstream"

# ---- netd ------------------------------------------------------------------------------
"$PY" "$SRC/tests/integration/dns_upstream.py" 127.0.0.53 53 up "$B/up.ready" >"$B/up.log" 2>&1 &
for _ in $(seq 100); do [ -f "$B/up.ready" ] && break; sleep 0.05; done
echo "nameserver 127.0.0.53" >"$B/resolv.netd"
echo '{"userland-proxy": true}' >"$B/netd.json"
bench_netd_start --dns-resolv-conf "$B/resolv.netd"
"$NETCTL" network create --subnet 10.88.0.0/16 bn >/dev/null
for i in $(seq "$N"); do
  "$NETCTL" sandbox create --name "s$i" >/dev/null
  "$NETCTL" network connect bn "s$i" >/dev/null
done
"$NETCTL" sandbox create --name asker >/dev/null
"$NETCTL" network connect bn asker >/dev/null
ASK=$("$NETCTL" sandbox inspect asker | jq -r '.[0].NetnsPath')
[ -e "$ASK" ] || { echo "asker's namespace not found" >&2; exit 1; }

# ---- aardvark-dns ----------------------------------------------------------------------
ip netns add ark; ip netns add arkc
ip link add va type veth peer name vb
ip link set va netns ark; ip link set vb netns arkc
ip -n ark addr add 10.89.0.1/16 dev va; ip -n ark link set va up; ip -n ark link set lo up
ip -n ark addr add 10.89.255.53/32 dev lo
ip -n arkc addr add 10.89.0.2/16 dev vb; ip -n arkc link set vb up; ip -n arkc link set lo up
mkdir -p "$B/ark"
{
  echo 10.89.0.1
  printf '%064d 10.89.0.2  asker\n' 0
  for i in $(seq "$N"); do printf '%064d 10.89.%d.%d  s%d\n' "$i" $((i / 250 + 1)) $((i % 250 + 1)) "$i"; done
} >"$B/ark/bench"
nsenter --net=/run/netns/ark "$PY" "$SRC/tests/integration/dns_upstream.py" 10.89.255.53 53 up "$B/up2.ready" \
  >"$B/up2.log" 2>&1 &
for _ in $(seq 100); do [ -f "$B/up2.ready" ] && break; sleep 0.05; done
echo "nameserver 10.89.255.53" >"$B/resolv.ark"
nsenter --net=/run/netns/ark unshare -m sh -c \
  "mount --bind '$B/resolv.ark' /etc/resolv.conf && exec '$ARK' --config '$B/ark' -p 53 run" >"$B/ark.log" 2>&1 &
for _ in $(seq 100); do
  nsenter --net=/run/netns/arkc dig +short +time=1 +tries=1 @10.89.0.1 s1 2>/dev/null | grep -q . && break; sleep 0.05
done

# ---- the runs ----------------------------------------------------------------------------
# check: both answer the same names the same way
a=$(nsenter --net="$ASK" dig +short +time=1 +tries=1 @127.0.0.11 s1); b=$(nsenter --net=/run/netns/arkc dig +short +time=1 +tries=1 @10.89.0.1 s1)
[ -n "$a" ] && [ -n "$b" ] || { echo "a server does not answer s1: netd '$a' aardvark '$b'" >&2; cat "$B/ark.log" >&2; exit 1; }

# perf NS SERVER FILE -> "qps p50_us p99_us lost"
perf() {
  local ns=$1 srv=$2 f=$3 out lat
  out=$(nsenter --net="$ns" dnsperf -s "$srv" -d "$f" -l "$SECS" -q 100 -c 4 2>&1)
  local qps lost
  qps=$(awk '/Queries per second/ {printf "%d", $4}' <<<"$out")
  lost=$(awk '/Queries lost/ {print $3}' <<<"$out")
  lat=$(nsenter --net="$ns" dnsperf -s "$srv" -d "$f" -l 3 -Q "$RATE" -v 2>/dev/null | awk '/^> / {print $NF * 1e6}' | sort -n)
  local n p50 p99
  n=$(wc -l <<<"$lat")
  p50=$(sed -n "$(( (n + 1) / 2 ))p" <<<"$lat"); p99=$(sed -n "$(( (n * 99 + 99) / 100 ))p" <<<"$lat")
  printf '%s %.0f %.0f %s\n' "${qps:-0}" "${p50:-0}" "${p99:-0}" "${lost:-?}"
}
# warm netd's cache (the upstream names) and aardvark's nothing
nsenter --net="$ASK" dnsperf -s 127.0.0.11 -d "$B/q.upstream" -n 1 >/dev/null 2>&1 || true

echo "bench/dns.sh: $N container names, $SECS s per throughput run, latency at $RATE q/s; $(nproc) CPUs, load average $(cut -d" " -f1 /proc/loadavg)"
printf '%-10s %-10s %10s %9s %9s %8s\n' workload server "queries/s" "p50 us" "p99 us" lost
declare -A R
for w in names upstream; do
  R[netd.$w]=$(perf "$ASK" 127.0.0.11 "$B/q.$w")
  R[ark.$w]=$(perf /run/netns/arkc 10.89.0.1 "$B/q.$w")
  for s in netd ark; do
    read -r q p5 p9 l <<<"${R[$s.$w]}"
    printf '%-10s %-10s %10s %9s %9s %8s\n' "$w" "$([ $s = ark ] && echo aardvark || echo netd)" "$q" "$p5" "$p9" "$l"
  done
done
echo
echo "ratios netd / aardvark-dns (qps: >1 netd faster; latency: <1 netd faster)"
for w in names upstream; do
  read -r q1 a1 b1 _ <<<"${R[netd.$w]}"; read -r q2 a2 b2 _ <<<"${R[ark.$w]}"
  awk -v w="$w" -v q1="$q1" -v q2="$q2" -v a1="$a1" -v a2="$a2" -v b1="$b1" -v b2="$b2" 'BEGIN {
    printf "%-10s qps %.2fx   p50 %.2fx   p99 %.2fx\n", w, (q2 ? q1 / q2 : 0), (a2 ? a1 / a2 : 0), (b2 ? b1 / b2 : 0) }'
done
echo "netd's own time per local answer (parse to reply sent, /info DNS.LocalLatency): $(curl -s --unix-socket "$B/netd.sock" http://netd/info | jq -c .DNS.LocalLatency)"
read -r _ _ p99 _ <<<"${R[netd.names]}"
echo "target: netd p99 for container names <= 1000 us: $p99 us ($([ "${p99:-99999}" -le 1000 ] && echo met || echo NOT met))"
