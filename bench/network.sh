#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/network.sh: netd's network API against the CNI reference plugins.
#
#   sudo NETD_BUILD=build bench/network.sh [N] [MANY]
#
# N (default 200): connect/disconnect calls timed one by one (sandboxes made
# beforehand); MANY (default 1000): endpoints on one network, total time and
# netd's RSS. Network create/rm: median of 50 each.
#
# netd runs with private --root/--exec-root/--socket inside
# `unshare --net --mount --propagation private`, so every bridge, veth, netns
# and mount dies with the run. Each API call is timed client-side over one
# keep-alive connection on the unix socket (python http.client), which is
# what a client library sees. netd's disconnect returns once the sandbox is
# cut off (interface down and renamed); the kernel's deletion of the veth
# (~20 ms of rcu_barrier) finishes in the background: the table shows when
# the last one was gone.
#
# CNI side (Debian's containernetworking-plugins, if installed): the `bridge`
# plugin with `host-local` IPAM, isGateway=true, ipMasq=false (netd's
# masquerade is one nft set element per network, not per call), executed as a
# container runtime does: one process per ADD/DEL, config on stdin, into one
# pre-made netns per call. Ratios are netd / CNI (below 1: netd is faster).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
N=${1:-200}
MANY=${2:-1000}
NETCREATE_N=50
: "${NETD_BUILD:=$(cd "$(dirname "$0")/.." && pwd)/build}"
NETD=$NETD_BUILD/netd/netd
CNI_DIR=${CNI_DIR:-/usr/lib/cni}

[ "$(id -u)" = 0 ] || { echo "bench/network.sh: needs root" >&2; exit 77; }
[ -x "$NETD" ] || { echo "bench/network.sh: $NETD not built (set NETD_BUILD)" >&2; exit 77; }
for c in python3 unshare ip curl; do
  command -v $c >/dev/null || { echo "bench/network.sh: $c missing" >&2; exit 77; }
done

# Re-run inside a throwaway network + mount namespace (and pid namespace, so
# that no process outlives the run).
bench_unshare "$@"

bench_begin net

mkdir -p /run/netns && mount -t tmpfs -o mode=0755 netd-bench-netns /run/netns
ip link set lo up
# no published ports here: the userland proxy, so nothing attaches to the host's cgroups
echo '{"userland-proxy": true}' > "$B/netd.json"
bench_netd_start

CNI=0
if [ -x "$CNI_DIR/bridge" ] && [ -x "$CNI_DIR/host-local" ]; then CNI=1; fi

python3 - "$B" "$NETD_PID" "$N" "$MANY" "$NETCREATE_N" "$CNI" "$CNI_DIR" <<'PY'
import json, os, socket, subprocess, sys, time

B, PID, N, MANY, NCREATE, CNI, CNI_DIR = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4]), int(sys.argv[5]), sys.argv[6] == "1", sys.argv[7]
SOCK = f"{B}/netd.sock"

sys.path.insert(0, os.environ["ND_BENCH_DIR"])
from ndapi import Api, med, p99, rss_kib
api = Api(SOCK, "bench/network.sh")


def links(prefix):   # this network namespace's (not /sys/class/net: sysfs shows its mounter's)
    return sum(1 for _, n in socket.if_nameindex() if n.startswith(prefix))

def wait_gone(prefix, limit=120.0):
    t0 = time.perf_counter()
    while links(prefix) and time.perf_counter() - t0 < limit:
        time.sleep(0.002)
    return (time.perf_counter() - t0) * 1e3

def p90(v): return sorted(v)[int(len(v) * 0.9) - 1 if len(v) >= 10 else -1]

rows = []   # (operation, netd, cni, note)
def row(op, netd, cni=None, note=""):
    rows.append((op, netd, cni, note))

# warm-up: first network, sandbox, connect
_, w = api("POST", "/networks/create", {"Name": "warm"})
_, ws = api("POST", "/sandboxes", {"Name": "warm"})
api("POST", f"/networks/{w['Id']}/connect", {"Container": ws["Id"]})
api("POST", f"/networks/{w['Id']}/disconnect", {"Container": ws["Id"]})
api("DELETE", f"/sandboxes/{ws['Id']}")
api("DELETE", f"/networks/{w['Id']}")

# ---- network create / rm ------------------------------------------------
tc, tr = [], []
for i in range(NCREATE):
    dt, r = api("POST", "/networks/create", {"Name": f"bn{i}"}); tc.append(dt)
    dt, _ = api("DELETE", f"/networks/{r['Id']}"); tr.append(dt)
row(f"network create (median of {NCREATE})", med(tc))
row(f"network rm (median of {NCREATE})", med(tr))

# ---- connect / disconnect ---------------------------------------------
_, net = api("POST", "/networks/create", {"Name": "bench"})
NET = net["Id"]
ts, sbs = [], []
for i in range(N):
    dt, r = api("POST", "/sandboxes", {"Name": f"s{i}"}); ts.append(dt); sbs.append(r["Id"])
row(f"sandbox create (netns; median of {N})", med(ts))
tcon, tdis = [], []
for sb in sbs:
    dt, _ = api("POST", f"/networks/{NET}/connect", {"Container": sb}); tcon.append(dt)
for sb in sbs:
    dt, _ = api("POST", f"/networks/{NET}/disconnect", {"Container": sb}); tdis.append(dt)
drained = wait_gone("vdel")
# reconnect right after disconnect, same sandbox (eth0 reused at once)
tre = []
for sb in sbs[:min(N, 50)]:
    api("POST", f"/networks/{NET}/connect", {"Container": sb})
    api("POST", f"/networks/{NET}/disconnect", {"Container": sb})
    dt, _ = api("POST", f"/networks/{NET}/connect", {"Container": sb}); tre.append(dt)
    api("POST", f"/networks/{NET}/disconnect", {"Container": sb})
wait_gone("vdel")
ts_rm = []
for sb in sbs:
    dt, _ = api("DELETE", f"/sandboxes/{sb}"); ts_rm.append(dt)

# ---- many endpoints on one network ------------------------------------
rss0 = rss_kib(PID)
many = []
for i in range(MANY):
    _, r = api("POST", "/sandboxes", {"Name": f"m{i}"}); many.append(r["Id"])
t0 = time.perf_counter()
tmany = []
for sb in many:
    dt, _ = api("POST", f"/networks/{NET}/connect", {"Container": sb}); tmany.append(dt)
many_total = (time.perf_counter() - t0) * 1e3
rss1 = rss_kib(PID)
_, lst = api("GET", f"/networks/{NET}")
dt_inspect, _ = api("GET", f"/networks/{NET}")
t0 = time.perf_counter()
for sb in many:
    api("DELETE", f"/sandboxes/{sb}")
many_rm = (time.perf_counter() - t0) * 1e3
api("DELETE", f"/networks/{NET}")

# ---- CNI reference plugins --------------------------------------------
cni = {}
if CNI:
    conf = json.dumps({
        "cniVersion": "1.0.0", "name": "benchnet", "type": "bridge", "bridge": "cni-bench0",
        "isGateway": True, "ipMasq": False,
        "ipam": {"type": "host-local", "subnet": "10.88.0.0/16", "dataDir": f"{B}/cni-ipam"}}).encode()
    def cni_call(cmd, i):
        env = {"CNI_COMMAND": cmd, "CNI_CONTAINERID": f"bench{i}", "CNI_NETNS": f"/run/netns/cni{i}",
               "CNI_IFNAME": "eth0", "CNI_PATH": CNI_DIR, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        t0 = time.perf_counter()
        p = subprocess.run([f"{CNI_DIR}/bridge"], input=conf, env=env, capture_output=True)
        dt = (time.perf_counter() - t0) * 1e3
        if p.returncode != 0:
            sys.exit(f"bench/network.sh: CNI {cmd} #{i}: {p.stdout[:300]!r} {p.stderr[:300]!r}")
        return dt
    def mk_ns(i):
        subprocess.run(["ip", "netns", "add", f"cni{i}"], check=True)
    def rm_ns(i):
        subprocess.run(["ip", "netns", "del", f"cni{i}"], check=True)
    mk_ns("w"); cni_call("ADD", "w"); cni_call("DEL", "w"); rm_ns("w")
    tadd, tdel = [], []
    for i in range(N):
        mk_ns(i)
    for i in range(N):
        tadd.append(cni_call("ADD", i))
    for i in range(N):
        tdel.append(cni_call("DEL", i))
    for i in range(N):
        rm_ns(i)
    cni["con"], cni["dis"] = med(tadd), med(tdel)
    cni["con90"], cni["dis90"] = p90(tadd), p90(tdel)
    for i in range(MANY):
        mk_ns(f"m{i}")
    t0 = time.perf_counter()
    for i in range(MANY):
        cni_call("ADD", f"m{i}")
    cni["many"] = (time.perf_counter() - t0) * 1e3
    for i in range(MANY):
        rm_ns(f"m{i}")   # the veths die with the namespaces, as netd's sandbox rm does

row(f"connect (median of {N})", med(tcon), cni.get("con"), f"p90 {p90(tcon):.2f}" + (f" / {cni['con90']:.2f}" if cni else ""))
row(f"disconnect (median of {N})", med(tdis), cni.get("dis"), f"p90 {p90(tdis):.2f}" + (f" / {cni['dis90']:.2f}" if cni else ""))
row(f"  kernel done with the {N} veths after last disconnect", drained, None, "background deletion (netd)")
row(f"re-connect right after disconnect (median of {len(tre)})", med(tre))
row(f"sandbox rm (median of {N})", med(ts_rm))
row(f"{MANY} endpoints on one network: connect, total", many_total, cni.get("many"),
    f"last 100 median {med(tmany[-100:]):.2f} ms")
row(f"  network inspect with {MANY} endpoints", dt_inspect)
row(f"  {MANY} sandboxes rm, total", many_rm)

print()
print(f"netd network API, {os.cpu_count()} CPUs, kernel {os.uname().release}; times in ms")
print(f"{'operation':58} {'netd':>10} {'CNI':>10} {'netd/CNI':>9}  note")
print("-" * 110)
for op, nd, cn, note in rows:
    ratio = f"{nd / cn:9.2f}" if cn else f"{'':>9}"
    cns = f"{cn:10.2f}" if cn is not None else f"{'-':>10}"
    print(f"{op:58} {nd:10.2f} {cns} {ratio}  {note}")
print("-" * 110)
print(f"netd RSS: {rss0} KiB before the {MANY} endpoints, {rss1} KiB with them "
      f"({(rss1 - rss0) / MANY:.1f} KiB per endpoint incl. its sandbox record)")
if not CNI:
    print("CNI: containernetworking-plugins not installed (apt-get install containernetworking-plugins)")
else:
    print("CNI: /usr/lib/cni/bridge + host-local, one exec per call (as a runtime calls it)")
PY
