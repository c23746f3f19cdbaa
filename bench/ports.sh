#!/usr/bin/env bash
# bench/ports.sh [BUILD_DIR] — throughput and connections/s through a published
# port vs the same client talking to the container address directly, as ratios,
# from an outside namespace and from localhost. Runs in namespaces of its own
# (unshare -nm, and its own pid namespace: nothing outlives it); eBPF attaches
# to a cgroup it makes and removes. Every client and server runs under
# `timeout`; the whole run is bounded (BENCH_TIMEOUT, default 300 s).
#
# The direct baselines are measured first, before the proxy's nftables table
# exists: netd's forward chain drops routed traffic to a bridge that is not
# DNAT (`oifname @bridges drop`), which is what made the outside->container
# baseline hang (no timeout on iperf3's connect) before the first figure.
#   MODE=ebpf|userland (or PORTS_MODE, as the tests)  SECS=5  CONNS=3000
#   BUILD_DIR defaults to $NETD_BUILD, else ./build
set -euo pipefail
BUILD=${1:-${NETD_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}}
if [ -z "${_PORTS_BENCH_INNER:-}" ]; then
  [ "$(id -u)" = 0 ] || { echo "bench/ports.sh: needs root (namespaces, nftables, eBPF)" >&2; exit 1; }
  [ -x "$BUILD/proxy/nd-ports-test" ] || { echo "bench/ports.sh: $BUILD/proxy/nd-ports-test not built" >&2; exit 1; }
  command -v iperf3 >/dev/null || { echo "bench/ports.sh: iperf3 missing (scripts/deps/proxy.txt)" >&2; exit 1; }
  mkdir -p /run/netns
  exec env _PORTS_BENCH_INNER=1 timeout -k 5 "${BENCH_TIMEOUT:-300}" \
    unshare -nm --pid --fork --mount-proc --propagation private bash "$0" "$BUILD"
fi
MODE=${MODE:-${PORTS_MODE:-ebpf}}; SECS=${SECS:-5}; CONNS=${CONNS:-3000}
PT=$BUILD/proxy/nd-ports-test
T=$(mktemp -d /tmp/netd-bench.XXXXXX)
CGROOT=/sys/fs/cgroup/unified
[ "$(stat -fc %T $CGROOT 2>/dev/null)" = cgroup2fs ] || CGROOT=/sys/fs/cgroup
CG=$CGROOT/netd-bench-$(basename "$T")
mount -t tmpfs x /run/netns; mkdir "$T/bpf"; mount -t bpf bpf "$T/bpf"
mkdir "$CG"
# only the host-side clients run in our cgroup (the eBPF programs act there);
# this shell stays where it is, so nothing is ever written to another cgroup
incg() { bash -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG" "$@"; }
cleanup() {
  set +e
  exec 3>&- 4<&-
  kill $(jobs -p) 2>/dev/null; wait 2>/dev/null
  for _ in $(seq 50); do p=$(cat "$CG/cgroup.procs" 2>/dev/null); [ -z "$p" ] && break; kill -KILL $p 2>/dev/null; sleep 0.1; done
  rmdir "$CG"; ip netns del c1; ip netns del out; umount "$T/bpf" /run/netns; rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
TO=$((SECS + 15))   # per client
ip link set lo up; sysctl -qw net.ipv4.ip_forward=1
ip link add nbA type bridge; ip addr add 10.10.1.1/24 dev nbA; ip link set nbA up
ip netns add c1; ip link add vc1 type veth peer name eth0 netns c1; ip link set vc1 master nbA up
ip -n c1 addr add 10.10.1.2/24 dev eth0; ip -n c1 link set eth0 up; ip -n c1 link set lo up; ip -n c1 route add default via 10.10.1.1
ip netns add out; ip link add vout type veth peer name eth0 netns out
ip addr add 192.0.2.1/24 dev vout; ip link set vout up
ip -n out addr add 192.0.2.2/24 dev eth0; ip -n out link set eth0 up; ip -n out link set lo up
ip -n out route add 10.10.1.0/24 via 192.0.2.1      # the direct path, for the baseline
inc1() { nsenter --net=/run/netns/c1 -- "$@"; }
cat > "$T/conn.py" <<'PY'
import socket, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t = time.perf_counter(); ok = 0
for _ in range(n):
    try:
        with socket.create_connection((host, port), timeout=2) as c:
            c.settimeout(2); ok += c.recv(64) == b'x'
    except OSError: pass
el = time.perf_counter() - t
print(round(ok / el) if ok == n else f"fail({n - ok}/{n})")
PY
cat > "$T/acc.py" <<'PY'
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('', 7000)); s.listen(4096)
while True:
    # the client closes first: TIME_WAIT stays on its side, never on the
    # container's (a reused 4-tuple would stall a SYN for a second)
    c, a = s.accept(); c.settimeout(2)
    try: c.send(b'x'); c.recv(1)
    except OSError: pass
    c.close()
PY
BUDGET=${BENCH_TIMEOUT:-300}
inc1 timeout "$BUDGET" iperf3 -s -p 5201 >/dev/null 2>&1 &
inc1 timeout "$BUDGET" python3 "$T/acc.py" &
for _ in $(seq 50); do [ -n "$(inc1 ss -Htln 'sport = :7000')" ] && [ -n "$(inc1 ss -Htln 'sport = :5201')" ] && break; sleep 0.1; done
# at WHERE CMD...: out = the outside namespace, host = this one (in our cgroup)
at() { local w=$1; shift; if [ "$w" = out ]; then nsenter --net=/run/netns/out -- "$@"; else incg "$@"; fi; }
gbps() { sleep 1; at "$1" timeout "$TO" "${@:2}" --connect-timeout 3000 -J 2>/dev/null | python3 -c 'import json,sys
try: print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9,2))
except Exception: print("fail")'; }
conns() { at "$1" timeout "$((CONNS / 100 + 30))" "${@:2}" || echo fail; }
ratio() { python3 -c "import sys
try: print(f'{float(sys.argv[1])/float(sys.argv[2]):.2f}')
except Exception: print('-')" "$1" "$2"; }
# the direct baselines, before the proxy's table exists (see the top)
d_out=$(gbps out iperf3 -c 10.10.1.2 -p 5201 -t "$SECS"); d_lo=$(gbps host iperf3 -c 10.10.1.2 -p 5201 -t "$SECS")
c_out=$(conns out python3 "$T/conn.py" 10.10.1.2 7000 "$CONNS"); c_lo=$(conns host python3 "$T/conn.py" 10.10.1.2 7000 "$CONNS")

mkfifo "$T/in" "$T/out"
timeout "$BUDGET" "$PT" --cgroup "$CG" --pin "$T/bpf/netd" --mode "$MODE" serve <"$T/in" >"$T/out" 2>"$T/holder.log" &
exec 3>"$T/in" 4<"$T/out"
read -r -t 30 l <&4 || { echo "nd-ports-test did not start: $(tail -3 "$T/holder.log")" >&2; exit 1; }
echo "# holder: $l"
c() { echo "$*" >&3; read -r -t 60 l <&4 || l="no reply"; [[ $l == ok* ]] || { echo "$*: $l" >&2; exit 1; }; }
c fwsync nbA,10.10.1.0/24
c add 8201:5201 10.10.1.2 8000:7000 10.10.1.2
p_out=$(gbps out iperf3 -c 192.0.2.1 -p 8201 -t "$SECS"); p_lo=$(gbps host iperf3 -c 127.0.0.1 -p 8201 -t "$SECS")
q_out=$(conns out python3 "$T/conn.py" 192.0.2.1 8000 "$CONNS"); q_lo=$(conns host python3 "$T/conn.py" 127.0.0.1 8000 "$CONNS")

echo "mode=$MODE secs=$SECS conns=$CONNS (single stream iperf3; python connect/recv/close loop)"
printf '%-28s %10s %10s %7s\n' path published direct ratio
printf '%-28s %9sG %9sG %7s\n' "outside tcp Gbit/s" "$p_out" "$d_out" "$(ratio "$p_out" "$d_out")"
printf '%-28s %9sG %9sG %7s\n' "localhost tcp Gbit/s" "$p_lo" "$d_lo" "$(ratio "$p_lo" "$d_lo")"
printf '%-28s %10s %10s %7s\n' "outside conn/s" "$q_out" "$c_out" "$(ratio "$q_out" "$c_out")"
printf '%-28s %10s %10s %7s\n' "localhost conn/s" "$q_lo" "$c_lo" "$(ratio "$q_lo" "$c_lo")"
c sync
[ "$MODE" = ebpf ] && c purge
echo quit >&3; read -r -t 10 l <&4 || true
