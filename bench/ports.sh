#!/usr/bin/env bash
# bench/ports.sh [BUILD_DIR] — throughput and connections/s through a published
# port vs the same client talking to the container address directly, as ratios,
# from an outside namespace and from localhost. Runs in namespaces of its own
# (unshare -nm); eBPF attaches to a cgroup it makes and removes.
#   MODE=ebpf|userland  SECS=5  CONNS=3000
set -euo pipefail
BUILD=${1:-$(cd "$(dirname "$0")/.." && pwd)/build}
if [ -z "${_PORTS_BENCH_INNER:-}" ]; then
  exec env _PORTS_BENCH_INNER=1 unshare -nm --propagation private bash "$0" "$BUILD"
fi
MODE=${MODE:-ebpf}; SECS=${SECS:-5}; CONNS=${CONNS:-3000}
PT=$BUILD/proxy/nd-ports-test
T=$(mktemp -d /tmp/netd-bench.XXXXXX)
CG=/sys/fs/cgroup/unified/netd-bench-$(basename "$T")
mkdir -p /run/netns; mount -t tmpfs x /run/netns; mkdir "$T/bpf"; mount -t bpf bpf "$T/bpf"
mkdir "$CG"; orig=$(awk -F: '$1=="0"{print $3}' /proc/self/cgroup); echo $$ > "$CG/cgroup.procs"
cleanup() { set +e; kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; echo $$ > "/sys/fs/cgroup/unified$orig/cgroup.procs"; umount "$T/bpf" /run/netns; rmdir "$CG"; rm -rf "$T"; }
trap cleanup EXIT
ip link set lo up; sysctl -qw net.ipv4.ip_forward=1
ip link add nbA type bridge; ip addr add 10.10.1.1/24 dev nbA; ip link set nbA up
ip netns add c1; ip link add vc1 type veth peer name eth0 netns c1; ip link set vc1 master nbA up
ip -n c1 addr add 10.10.1.2/24 dev eth0; ip -n c1 link set eth0 up; ip -n c1 link set lo up; ip -n c1 route add default via 10.10.1.1
ip netns add out; ip link add vout type veth peer name eth0 netns out
ip addr add 192.0.2.1/24 dev vout; ip link set vout up
ip -n out addr add 192.0.2.2/24 dev eth0; ip -n out link set eth0 up; ip -n out link set lo up
ip -n out route add 10.10.1.0/24 via 192.0.2.1      # the direct path, for the baseline
inc1() { nsenter --net=/run/netns/c1 -- "$@"; }
inout() { nsenter --net=/run/netns/out -- "$@"; }
cat > "$T/conn.py" <<'PY'
import socket, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t = time.perf_counter()
for _ in range(n):
    with socket.create_connection((host, port)) as c: c.recv(64)
print(round(n / (time.perf_counter() - t)))
PY
cat > "$T/acc.py" <<'PY'
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('', 7000)); s.listen(4096)
while True:
    c, a = s.accept(); c.send(b'x'); c.close()
PY
inc1 iperf3 -s -p 5201 >/dev/null 2>&1 &
inc1 python3 "$T/acc.py" & sleep 1
mkfifo "$T/in" "$T/out"
"$PT" --cgroup "$CG" --pin "$T/bpf/netd" --mode "$MODE" serve <"$T/in" >"$T/out" 2>/dev/null &
exec 3>"$T/in" 4<"$T/out"; read -r l <&4; echo "# holder: $l"
c() { echo "$*" >&3; read -r l <&4; [[ $l == ok* ]] || { echo "$*: $l" >&2; exit 1; }; }
c fwsync nbA,10.10.1.0/24
c add 8201:5201 10.10.1.2 8000:7000 10.10.1.2
gbps() { "$@" -J 2>/dev/null | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9,2))'; }
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
echo "mode=$MODE secs=$SECS conns=$CONNS (single stream iperf3; python connect/recv/close loop)"
printf '%-28s %10s %10s %7s\n' path published direct ratio
d=$(gbps inout iperf3 -c 10.10.1.2 -p 5201 -t "$SECS"); p=$(gbps inout iperf3 -c 192.0.2.1 -p 8201 -t "$SECS")
printf '%-28s %8sG %8sG %7s\n' "outside tcp Gbit/s" "$p" "$d" "$(ratio "$p" "$d")"
d=$(gbps iperf3 -c 10.10.1.2 -p 5201 -t "$SECS"); p=$(gbps iperf3 -c 127.0.0.1 -p 8201 -t "$SECS")
printf '%-28s %8sG %8sG %7s\n' "localhost tcp Gbit/s" "$p" "$d" "$(ratio "$p" "$d")"
d=$(inout python3 "$T/conn.py" 10.10.1.2 7000 "$CONNS"); p=$(inout python3 "$T/conn.py" 192.0.2.1 8000 "$CONNS")
printf '%-28s %9s %9s %7s\n' "outside conn/s" "$p" "$d" "$(ratio "$p" "$d")"
d=$(python3 "$T/conn.py" 10.10.1.2 7000 "$CONNS"); p=$(python3 "$T/conn.py" 127.0.0.1 8000 "$CONNS")
printf '%-28s %9s %9s %7s\n' "localhost conn/s" "$p" "$d" "$(ratio "$p" "$d")"
echo "sync" >&3; read -r l <&4; [ "$MODE" = ebpf ] && { echo purge >&3; read -r l <&4; }
echo quit >&3; read -r l <&4 || true
