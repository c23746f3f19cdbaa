#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/overlay.sh: the vxlan overlay on a 3-host lab (three network
# namespaces on one underlay bridge, one etcd, a netd per host; all inside
# a throwaway net+mount+pid namespace, as the integration tests run).
#
#   sudo NETD_BUILD=build bench/overlay.sh [N]      (N containers, default 50)
#
# Prints:
#  - convergence: a sandbox connected on host 1 (API call started) -> the
#    first ICMP echo answered from a sandbox on host 2 (a prober pinging the
#    address every 2 ms; its ARP retries every 10 ms, not 1 s), p50/p99 over N;
#  - connect latency with the cluster store's compare-and-swap (overlay)
#    against a connect to a local bridge network on the same netd (ratio);
#  - TCP throughput (iperf3, 3 alternating runs of 4 s, medians) sandbox ->
#    sandbox across hosts over the overlay against host -> host on the same
#    underlay (ratio; target >= 0.9).
set -euo pipefail
N=${1:-50}
src=$(cd "$(dirname "$0")/.." && pwd)
: "${NETD_BUILD:=$src/build}"
export NETD_BUILD
if [ -z "${OV_BENCH_INNER:-}" ]; then
  [ "$(id -u)" = 0 ] || { echo "bench/overlay.sh: needs root (namespaces)"; exit 1; }
  mkdir -p /run/netns
  exec env OV_BENCH_INNER=1 unshare --net --mount --pid --fork --mount-proc --propagation private -- bash -c '
    mount -t tmpfs -o mode=0755 netd-bench-netns /run/netns; ip link set lo up; exec bash "$0" "$@"' "$0" "$@"
fi
. "$src/tests/integration/lib.sh"
. "$src/tests/integration/overlay_lib.sh"
command -v iperf3 >/dev/null || skip "iperf3 missing"
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((NR*p+99)/100); if (i<1) i=1; printf "%.1f", a[i]}'; }

ov_lab 3
ovctl 1 network create -d vxlan --subnet 10.240.0.0/16 ov >/dev/null
ovctl 1 network create --subnet 10.241.0.0/16 lan >/dev/null
poll 5 ovctl 2 network inspect ov || fail "ov not on h2"
ov_sb 2 probe; ovctl 2 network connect --ip 10.240.200.1 ov probe >/dev/null
# The prober asks for an address before it exists; its ARP would retry once
# a second (retrans_time 1 s), which would measure the prober's back-off, not
# the overlay: in the prober's own namespace, retry every 10 ms.
ov_x 2 probe sysctl -qw net.ipv4.neigh.eth0.retrans_time_ms=10 net.ipv4.neigh.eth0.mcast_solicit=255 \
  net.ipv4.neigh.eth0.ucast_solicit=255

echo "# convergence and connect latency: $N sandboxes on h1, probed from h2" >&2
: >"$T/conv"; : >"$T/conn"; : >"$T/lanconn"
for k in $(seq 1 "$N"); do
  ov_sb 1 a$k; ov_sb 1 l$k
  ip=10.240.1.$k
  rm -f "$T/ready"
  ov_x 2 probe python3 "$src/bench/overlay_probe.py" "$ip" "$T/ready" 5 >"$T/first" &
  p=$!
  poll 5 test -e "$T/ready" || fail "prober did not start"
  t0=$(date +%s%N)
  ov_api 1 POST /networks/ov/connect "{\"Container\":\"a$k\",\"EndpointConfig\":{\"IPAMConfig\":{\"IPv4Address\":\"$ip\"}}}" >/dev/null
  t1=$(date +%s%N)
  wait $p || fail "no answer from $ip within 5 s"
  echo $(( ($(cat "$T/first") - t0) / 1000 )) | awk '{printf "%.3f\n", $1/1000}' >>"$T/conv"
  echo $(( (t1 - t0) / 1000 )) | awk '{printf "%.3f\n", $1/1000}' >>"$T/conn"
  t0=$(date +%s%N)
  ov_api 1 POST /networks/lan/connect "{\"Container\":\"l$k\"}" >/dev/null
  echo $(( ($(date +%s%N) - t0) / 1000 )) | awk '{printf "%.3f\n", $1/1000}' >>"$T/lanconn"
done

echo "# iperf3: overlay and underlay alternately, 3 runs of 4 s each (medians: the machine is shared)" >&2
bps() { jq -r '.end.sum_received.bits_per_second'; }
: >"$T/ov_bps"; : >"$T/host_bps"
for r in 1 2 3; do
  ov_x 2 probe iperf3 -s -1 -D -B 10.240.200.1 >/dev/null
  poll 5 bash -c "NETD_HOST=unix://$T/h2/netd.sock $NETCTL_BIN sandbox exec probe -- ss -ltn | grep -q ':5201'"
  ov_x 1 a1 iperf3 -c 10.240.200.1 -t 4 -J | bps >>"$T/ov_bps"
  in_ns h2 iperf3 -s -1 -D -B 192.168.77.12 >/dev/null
  poll 5 bash -c "nsenter --net=/run/netns/h2 -- ss -ltn | grep -q ':5201'"
  in_ns h1 iperf3 -c 192.168.77.12 -t 4 -J | bps >>"$T/host_bps"
  poll 5 bash -c "! nsenter --net=/run/netns/h2 -- ss -ltn | grep -q ':5201'"
done
ov_bps=$(pct 50 <"$T/ov_bps"); host_bps=$(pct 50 <"$T/host_bps")

c50=$(pct 50 <"$T/conv"); c99=$(pct 99 <"$T/conv")
o50=$(pct 50 <"$T/conn"); o99=$(pct 99 <"$T/conn")
l50=$(pct 50 <"$T/lanconn"); l99=$(pct 99 <"$T/lanconn")
printf '\n%-52s %12s %12s\n' "overlay (3 hosts, etcd, lease TTL ${OV_TTL}s, N=$N)" p50 p99
printf '%-52s %10s ms %9s ms\n' "convergence: connect on h1 -> first ping from h2" "$c50" "$c99"
printf '%-52s %10s ms %9s ms\n' "connect, overlay (CAS in etcd + veth)" "$o50" "$o99"
printf '%-52s %10s ms %9s ms\n' "connect, local bridge network (same netd)" "$l50" "$l99"
awk -v a="$o50" -v b="$l50" 'BEGIN {printf "%-52s %12.2f\n", "ratio overlay/bridge connect (p50)", a/b}'
awk -v a="$ov_bps" -v b="$host_bps" 'BEGIN {
  printf "%-52s %9.2f Gb/s\n", "iperf3 sandbox h1 -> sandbox h2 (overlay, median)", a/1e9
  printf "%-52s %9.2f Gb/s\n", "iperf3 host h1 -> host h2 (underlay, median)", b/1e9
  printf "%-52s %12.2f  (target >= 0.9)\n", "ratio overlay/underlay", a/b }'
awk -v p="$c99" 'BEGIN {printf "%-52s %12s\n", "p99 convergence <= 500 ms", (p <= 500 ? "yes" : "NO")}'
