#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/cni.sh: the netd CNI plugin against the reference plugins, executed
# as a container runtime executes them: one process per ADD or DEL, the
# configuration on stdin, one pre-made network namespace per container.
#
#   sudo NETD_BUILD=build bench/cni.sh [N]
#
# N (default 200) ADDs, then N DELs, timed one by one (median and p99), for:
#   netd            netd-cni on a netd bridge network (netd masquerades its
#                   networks: one nft set element per network)
#   netd + ports    the same with a portMappings capability (one host port
#                   per container, nft DNAT element + eBPF for localhost)
#   netd (second run)  the first case again, after the others warmed nothing up
#   bridge          Debian's bridge + host-local, isGateway, ipMasq false
#   bridge ipMasq   the same with ipMasq true (iptables rules per container)
#   bridge+portmap  bridge (ipMasq true) then portmap with prevResult, as
#                   libcni runs a conflist: both execs timed together
# Ratios are netd / reference (below 1: netd is faster).
#
# Everything runs inside `unshare --net --mount --pid`: netd on private
# --root/--exec-root/--socket, the eBPF programs on a cgroup of this run,
# pins on a bpffs of this run; every bridge, veth, netns and rule dies with it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
N=${1:-200}
: "${NETD_BUILD:=$(cd "$(dirname "$0")/.." && pwd)/build}"
NETD_BUILD=$(cd "$NETD_BUILD" && pwd)
NETD=$NETD_BUILD/netd/netd
PLUGIN=$NETD_BUILD/cli/netd-cni
CNI_DIR=${CNI_DIR:-/usr/lib/cni}
[ "$(id -u)" = 0 ] || { echo "bench/cni.sh: needs root" >&2; exit 77; }
for b in "$NETD" "$PLUGIN" "$CNI_DIR/bridge" "$CNI_DIR/host-local" "$CNI_DIR/portmap"; do
  [ -x "$b" ] || { echo "bench/cni.sh: $b missing (build netd; apt-get install containernetworking-plugins)" >&2; exit 77; }
done
for c in python3 unshare ip curl iptables; do
  command -v $c >/dev/null || { echo "bench/cni.sh: $c missing" >&2; exit 77; }
done
bench_unshare "$@"

bench_begin cni
CG=
bench_cleanup_more() { [ -n "$CG" ] && rmdir "$CG" 2>/dev/null; }

mount -t tmpfs -o mode=0755 netd-bench-netns /run/netns
ip link set lo up
mkdir -p "$B/root" "$B/run" "$B/bpf"
CGROOT=/sys/fs/cgroup/unified
[ "$(stat -fc %T $CGROOT 2>/dev/null)" = cgroup2fs ] || CGROOT=/sys/fs/cgroup
if [ "$(stat -fc %T $CGROOT 2>/dev/null)" = cgroup2fs ] && mkdir "$CGROOT/netd-bench-cni-${B##*.}" 2>/dev/null &&
   mount -t bpf bpf "$B/bpf"; then
  CG=$CGROOT/netd-bench-cni-${B##*.}
  printf '{"bpf-cgroup": "%s", "bpf-pin-path": "%s/netd"}\n' "$CG" "$B/bpf" > "$B/netd.json"
else
  echo '{"userland-proxy": true}' > "$B/netd.json"
fi
bench_netd_start
curl -sf --unix-socket "$B/netd.sock" -H 'Content-Type: application/json' -d '{"Name":"benchnet","IPAM":{"Config":[{"Subnet":"10.87.0.0/16"}]}}' http://netd/networks/create >/dev/null
MODE=$(curl -sf --unix-socket "$B/netd.sock" http://netd/info | python3 -c 'import json,sys; print(json.load(sys.stdin)["PortProxyMode"])')

python3 - "$B" "$N" "$PLUGIN" "$CNI_DIR" "$MODE" <<'PY'
import json, os, statistics, subprocess, sys, time
B, N, PLUGIN, CNI_DIR, MODE = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ENV = {"CNI_PATH": CNI_DIR, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "CNI_IFNAME": "eth0"}

def run(binary, cmd, cid, ns, conf):
    env = dict(ENV, CNI_COMMAND=cmd, CNI_CONTAINERID=cid, CNI_NETNS=f"/run/netns/{ns}")
    p = subprocess.run([binary], input=json.dumps(conf).encode(), env=env, capture_output=True)
    if p.returncode != 0:
        sys.exit(f"bench/cni.sh: {os.path.basename(binary)} {cmd} {cid}: {p.stdout[:400]!r} {p.stderr[:300]!r}")
    return json.loads(p.stdout) if p.stdout.strip() else None

def netd_conf(i, ports):
    c = {"cniVersion": "1.1.0", "name": "benchnet", "type": "netd", "network": "benchnet", "socket": f"{B}/netd.sock"}
    if ports:
        c["runtimeConfig"] = {"portMappings": [{"hostPort": 20000 + i, "containerPort": 80, "protocol": "tcp"}]}
    return c

def bridge_conf(masq):
    return {"cniVersion": "1.0.0", "name": "refnet", "type": "bridge", "bridge": "cni-bench0", "isGateway": True,
            "ipMasq": masq, "ipam": {"type": "host-local", "subnet": "10.88.0.0/16", "dataDir": f"{B}/cni-ipam"}}

def portmap_conf(i, prev):
    return {"cniVersion": "1.0.0", "name": "refnet", "type": "portmap", "capabilities": {"portMappings": True},
            "runtimeConfig": {"portMappings": [{"hostPort": 30000 + i, "containerPort": 80, "protocol": "tcp"}]},
            "prevResult": prev}

# each case: add(i) and dele(i) run one container's whole ADD / DEL
cases = []
def case(name, add, dele):
    cases.append((name, add, dele))
case("netd", lambda i: run(PLUGIN, "ADD", f"n{i}", f"ns{i}", netd_conf(i, False)),
     lambda i: run(PLUGIN, "DEL", f"n{i}", f"ns{i}", netd_conf(i, False)))
case("netd + ports", lambda i: run(PLUGIN, "ADD", f"p{i}", f"ns{i}", netd_conf(i, True)),
     lambda i: run(PLUGIN, "DEL", f"p{i}", f"ns{i}", netd_conf(i, True)))
case("netd (second run)", lambda i: run(PLUGIN, "ADD", f"a{i}", f"ns{i}", netd_conf(i, False)),
     lambda i: run(PLUGIN, "DEL", f"a{i}", f"ns{i}", netd_conf(i, False)))
case("bridge", lambda i: run(f"{CNI_DIR}/bridge", "ADD", f"b{i}", f"ns{i}", bridge_conf(False)),
     lambda i: run(f"{CNI_DIR}/bridge", "DEL", f"b{i}", f"ns{i}", bridge_conf(False)))
case("bridge ipMasq", lambda i: run(f"{CNI_DIR}/bridge", "ADD", f"m{i}", f"ns{i}", bridge_conf(True)),
     lambda i: run(f"{CNI_DIR}/bridge", "DEL", f"m{i}", f"ns{i}", bridge_conf(True)))
prev = {}
def pm_add(i):
    r = run(f"{CNI_DIR}/bridge", "ADD", f"q{i}", f"ns{i}", bridge_conf(True))
    prev[i] = run(f"{CNI_DIR}/portmap", "ADD", f"q{i}", f"ns{i}", portmap_conf(i, r))
def pm_del(i):
    run(f"{CNI_DIR}/portmap", "DEL", f"q{i}", f"ns{i}", portmap_conf(i, prev[i]))
    run(f"{CNI_DIR}/bridge", "DEL", f"q{i}", f"ns{i}", bridge_conf(True))
case("bridge ipMasq + portmap", pm_add, pm_del)

def pct(v, p):
    s = sorted(v)
    return s[min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1)]

res = {}
for name, add, dele in cases:
    for i in range(N):
        subprocess.run(["ip", "netns", "add", f"ns{i}"], check=True)
    ta, td = [], []
    for i in range(N):
        t0 = time.perf_counter(); add(i); ta.append((time.perf_counter() - t0) * 1e3)
    for i in range(N):
        t0 = time.perf_counter(); dele(i); td.append((time.perf_counter() - t0) * 1e3)
    for i in range(N):
        subprocess.run(["ip", "netns", "del", f"ns{i}"], check=True)
    res[name] = (statistics.median(ta), pct(ta, 99), statistics.median(td), pct(td, 99))
    print(f"# {name}: done", file=sys.stderr, flush=True)

print()
print(f"CNI ADD and DEL, {N} each, one exec per call; {os.cpu_count()} CPUs, kernel {os.uname().release}; "
      f"netd port proxy: {MODE}; times in ms")
print(f"{'plugin':28} {'ADD med':>8} {'ADD p99':>8} {'DEL med':>8} {'DEL p99':>8}")
print("-" * 66)
for name, (am, ap, dm, dp) in res.items():
    print(f"{name:28} {am:8.2f} {ap:8.2f} {dm:8.2f} {dp:8.2f}")
print("-" * 66)
def ratio(a, b):
    x, y = res[a], res[b]
    print(f"{a + ' / ' + b:44} ADD {x[0] / y[0]:5.2f} (p99 {x[1] / y[1]:5.2f})   DEL {x[2] / y[2]:5.2f} (p99 {x[3] / y[3]:5.2f})")
print("ratios (below 1: netd is faster)")
ratio("netd", "bridge")
ratio("netd", "bridge ipMasq")
ratio("netd + ports", "bridge ipMasq + portmap")
PY
