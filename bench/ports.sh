#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/ports.sh [BUILD_DIR] — throughput and connections/s through a published
# port vs the same client talking to the container address directly, as ratios,
# from an outside namespace and from localhost, for each of netd's host-side
# backends (eBPF socket redirection, userland proxy) and for Docker's userland
# proxy (`docker-proxy`, the binary dockerd spawns per published port) side by
# side. Runs in namespaces of its own (unshare -nm, and its own pid namespace:
# nothing outlives it); eBPF attaches to a cgroup it makes and removes. Every
# client, server and proxy runs under `timeout`; the whole run is bounded
# (BENCH_TIMEOUT, default 600 s).
#
# The direct baselines are measured first, before the proxy's nftables table
# exists: netd's forward chain drops routed traffic to a bridge that is not
# DNAT (`oifname @bridges drop`), which is what made the outside->container
# baseline hang (no timeout on iperf3's connect) before the first figure.
# They run with connection tracking and the NAT hooks live (a table of the
# bench's own, `inet netd_bench_ct`, removed right after), as they are on
# any host where netd runs: the ratios compare the published path with a
# direct path on the same host, not with a host without conntrack.
#
# docker-proxy: dockerd cannot run here, but Debian's docker.io package ships
# the standalone proxy. Unless DOCKER_PROXY names one, the bench takes it from
# ${XDG_CACHE_HOME:-/var/cache}/netd-bench/, fetching it there first with
# `apt-get download docker.io` + `dpkg-deb -x` (never installed: the package
# would start a daemon and rewrite the host's firewall). No download, no
# column, and a line that says why. Docker sends outside traffic through DNAT
# as netd does, so docker-proxy has localhost figures only.
#
#   MODES="ebpf userland docker-proxy" (default; MODE or PORTS_MODE=one of them
#   picks one, as the tests do)  SECS=5  CONNS=3000  DOCKER_PROXY=path
#   BUILD_DIR defaults to $NETD_BUILD, else ./build
set -euo pipefail
BUILD=${1:-${NETD_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}}
if [ -z "${_PORTS_BENCH_INNER:-}" ]; then
  [ "$(id -u)" = 0 ] || { echo "bench/ports.sh: needs root (namespaces, nftables, eBPF)" >&2; exit 1; }
  [ -x "$BUILD/tests/tools/nd-ports-test" ] || { echo "bench/ports.sh: $BUILD/tests/tools/nd-ports-test not built" >&2; exit 1; }
  command -v iperf3 >/dev/null || { echo "bench/ports.sh: iperf3 missing (scripts/deps/proxy.txt)" >&2; exit 1; }
  MODES=${MODE:-${PORTS_MODE:-${MODES:-ebpf userland docker-proxy}}}
  DP_NOTE=
  if [[ " $MODES " == *" docker-proxy "* ]]; then
    # fetched out here: the bench's own namespaces have no network
    cache=${XDG_CACHE_HOME:-/var/cache}/netd-bench
    if [ -z "${DOCKER_PROXY:-}" ] && [ ! -x "$cache/docker-proxy" ]; then
      echo "# fetching docker-proxy into $cache (apt-get download docker.io; not installed)" >&2
      dl=$(mktemp -d /tmp/netd-bench-dl.XXXXXX)
      id _apt >/dev/null 2>&1 && chown _apt "$dl"   # apt downloads as _apt where it can
      if (cd "$dl" && timeout 300 apt-get download -q docker.io >"$dl/apt.log" 2>&1) &&
         dpkg-deb -x "$dl"/docker.io_*.deb "$dl/x" && [ -x "$dl/x/usr/sbin/docker-proxy" ]; then
        mkdir -p "$cache"
        cp "$dl/x/usr/sbin/docker-proxy" "$cache/docker-proxy.new" && mv "$cache/docker-proxy.new" "$cache/docker-proxy"
        dpkg-deb -f "$dl"/docker.io_*.deb Version > "$cache/docker-proxy.version"
      else
        DP_NOTE="docker-proxy skipped: not in $cache and the download failed ($(grep -E '^(E|W):' "$dl/apt.log" 2>/dev/null | head -1 || true); 'apt-get update' first?)"
      fi
      rm -rf "$dl"
    fi
    DOCKER_PROXY=${DOCKER_PROXY:-$cache/docker-proxy}
    [ -x "$DOCKER_PROXY" ] || { DP_NOTE=${DP_NOTE:-"docker-proxy skipped: $DOCKER_PROXY is not there"}; DOCKER_PROXY=; }
    DP_VERSION=$(cat "$(dirname "${DOCKER_PROXY:-/x}")/docker-proxy.version" 2>/dev/null || echo "?")
  fi
  mkdir -p /run/netns
  exec env _PORTS_BENCH_INNER=1 MODES="$MODES" DOCKER_PROXY="${DOCKER_PROXY:-}" DP_NOTE="$DP_NOTE" \
    DP_VERSION="${DP_VERSION:-}" timeout -k 5 "${BENCH_TIMEOUT:-600}" \
    unshare -nm --pid --fork --mount-proc --propagation private bash "$0" "$BUILD"
fi
SECS=${SECS:-5}; CONNS=${CONNS:-3000}
PT=$BUILD/tests/tools/nd-ports-test
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
BUDGET=${BENCH_TIMEOUT:-600}
inc1 timeout "$BUDGET" iperf3 -s -p 5201 >/dev/null 2>&1 &
inc1 timeout "$BUDGET" python3 "$T/acc.py" &
for _ in $(seq 50); do [ -n "$(inc1 ss -Htln 'sport = :7000')" ] && [ -n "$(inc1 ss -Htln 'sport = :5201')" ] && break; sleep 0.1; done
# at WHERE CMD...: out = the outside namespace, host = this one (in our cgroup)
at() { local w=$1; shift; if [ "$w" = out ]; then nsenter --net=/run/netns/out -- "$@"; else incg "$@"; fi; }
gbps() { sleep 1; at "$1" timeout "$TO" "${@:2}" --connect-timeout 3000 -J 2>/dev/null | python3 -c 'import json,sys
try: print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9,2))
except Exception: print("fail")'; }
conns() { at "$1" timeout "$((CONNS / 100 + 30))" "${@:2}" || echo fail; }
# cell VALUE DIRECT [UNIT]: "13.6G (0.91)", or what went wrong
cell() { python3 -c "import sys
v, d, u = sys.argv[1:4]
try: print(f'{v}{u} ({float(v)/float(d):.2f})')
except Exception: print(v or '-')" "$1" "$2" "${3:-}"; }
declare -A R   # R[mode,row] = figure
# the direct baselines, before the proxy's table exists, conntrack and NAT live (see the top)
nft -f - <<'NFT'
table inet netd_bench_ct {
  chain bench_fwd { type filter hook forward priority 0; ct state established,related accept; }
  chain bench_out { type filter hook output priority 0; ct state established,related accept; }
  chain bench_pre { type nat hook prerouting priority -100; }
  chain bench_post { type nat hook postrouting priority 100; }
}
NFT
R[direct,gout]=$(gbps out iperf3 -c 10.10.1.2 -p 5201 -t "$SECS"); R[direct,glo]=$(gbps host iperf3 -c 10.10.1.2 -p 5201 -t "$SECS")
R[direct,cout]=$(conns out python3 "$T/conn.py" 10.10.1.2 7000 "$CONNS"); R[direct,clo]=$(conns host python3 "$T/conn.py" 10.10.1.2 7000 "$CONNS")
nft delete table inet netd_bench_ct

NOTES=()
# netd MODE GPORT CPORT: a holder of nd-ports-test in that mode publishes
# GPORT->iperf3 and CPORT->acc.py, measured from outside (DNAT) and localhost
netd_mode() {
  local m=$1 gp=$2 cp=$3 l hp
  rm -f "$T/in" "$T/out"; mkfifo "$T/in" "$T/out"
  timeout "$BUDGET" "$PT" --cgroup "$CG" --pin "$T/bpf/netd" --mode "$m" serve <"$T/in" >"$T/out" 2>"$T/holder-$m.log" &
  hp=$!
  exec 3>"$T/in" 4<"$T/out"
  c() { echo "$*" >&3; read -r -t 60 l <&4 || l="no reply"; [[ $l == ok* ]] || { NOTES+=("$m: $*: $l"); return 1; }; }
  if ! read -r -t 30 l <&4 || [ "$l" != "ok ready mode=$m" ]; then
    NOTES+=("$m skipped: nd-ports-test did not start: ${l:-} $(tail -1 "$T/holder-$m.log")")
  elif c fwsync nbA,10.10.1.0/24 && c add "$gp:5201" 10.10.1.2 "$cp:7000" 10.10.1.2; then
    R[$m,gout]=$(gbps out iperf3 -c 192.0.2.1 -p "$gp" -t "$SECS"); R[$m,glo]=$(gbps host iperf3 -c 127.0.0.1 -p "$gp" -t "$SECS")
    R[$m,cout]=$(conns out python3 "$T/conn.py" 192.0.2.1 "$cp" "$CONNS"); R[$m,clo]=$(conns host python3 "$T/conn.py" 127.0.0.1 "$cp" "$CONNS")
    c sync || true
    [ "$m" = ebpf ] && { c purge || true; }
  fi
  echo quit >&3; read -r -t 10 l <&4 || true
  exec 3>&- 4<&-
  kill "$hp" 2>/dev/null || true; wait "$hp" 2>/dev/null || true
}
# docker-proxy on 127.0.0.1:GPORT and :CPORT, as dockerd spawns it per port;
# it says "0" on fd 3 once it listens
docker_mode() {
  local gp=$1 cp=$2 p ok=1 pids=()
  if [ -z "${DOCKER_PROXY:-}" ]; then NOTES+=("${DP_NOTE:-docker-proxy skipped}"); return; fi
  for p in "$gp:5201" "$cp:7000"; do
    timeout "$BUDGET" "$DOCKER_PROXY" -proto tcp -host-ip 127.0.0.1 -host-port "${p%:*}" \
      -container-ip 10.10.1.2 -container-port "${p#*:}" 3>"$T/dp-${p%:*}.ready" 2>"$T/dp-${p%:*}.log" &
    pids+=($!)
  done
  for p in "$gp" "$cp"; do
    for _ in $(seq 100); do [ -s "$T/dp-$p.ready" ] && break; sleep 0.05; done
    [ "$(head -c1 "$T/dp-$p.ready" 2>/dev/null)" = 0 ] ||
      { ok=; NOTES+=("docker-proxy :$p did not start: $(tr '\n' ' ' < "$T/dp-$p.ready" 2>/dev/null) $(tail -1 "$T/dp-$p.log")"); }
  done
  if [ -n "$ok" ]; then
    R[docker-proxy,glo]=$(gbps host iperf3 -c 127.0.0.1 -p "$gp" -t "$SECS")
    R[docker-proxy,clo]=$(conns host python3 "$T/conn.py" 127.0.0.1 "$cp" "$CONNS")
    R[docker-proxy,gout]="n/a(DNAT)"; R[docker-proxy,cout]="n/a(DNAT)"
  fi
  kill "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true
}
COLS=()
for m in $MODES; do
  case $m in
    ebpf) netd_mode ebpf 8201 8000 ;;
    userland) netd_mode userland 8202 8001 ;;
    docker-proxy) docker_mode 8203 8002 ;;
    *) echo "bench/ports.sh: unknown mode $m (ebpf, userland, docker-proxy)" >&2; exit 2 ;;
  esac
  COLS+=("$m")
done

echo "secs=$SECS conns=$CONNS (single stream iperf3; python connect/recv/close loop)${DOCKER_PROXY:+; docker-proxy from docker.io $DP_VERSION}"
echo "each cell: the published figure (ratio to direct)"
printf '%-22s %10s' path direct; for m in "${COLS[@]}"; do printf ' %16s' "$m"; done; echo
row() { # LABEL KEY UNIT
  printf '%-22s %10s' "$1" "${R[direct,$2]}$3"
  for m in "${COLS[@]}"; do printf ' %16s' "$(cell "${R[$m,$2]:-}" "${R[direct,$2]}" "$3")"; done; echo
}
row "outside tcp Gbit/s" gout G
row "localhost tcp Gbit/s" glo G
row "outside conn/s" cout ""
row "localhost conn/s" clo ""
for n in "${NOTES[@]}"; do echo "# $n"; done
