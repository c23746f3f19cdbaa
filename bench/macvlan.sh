#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/macvlan.sh: netd's macvlan driver against the CNI reference plugins
# (macvlan + host-local), in one run.
#
#   sudo NETD_BUILD=build bench/macvlan.sh [N]
#
# N (default 200): connects and disconnects timed one by one, each into a
# sandbox (netd) or a network namespace (CNI) made beforehand; median and
# p99 of each, and netd / CNI as ratios (below 1: netd is faster).
#
# Everything runs inside `unshare --net --mount --pid`: each side gets a
# parent of its own, one end of a veth whose other end sits in an
# "upstream" namespace (so the parent has a carrier, as a NIC on a LAN
# does), and every link, namespace and mount dies with the run.
#
# netd: one keep-alive HTTP connection on its unix socket (python
# http.client), timed client-side: what a client library sees. A connect
# includes the gratuitous ARP and the unsolicited NA netd sends. netd's
# disconnect returns once the child is renamed out of the sandbox's way and
# its deletion is under way on a detached thread (off the segment within a
# fraction of a millisecond; the kernel's rcu_barrier per interface ends
# later): the table shows when the last one was gone. CNI's DEL waits for
# all of it.
# CNI: /usr/lib/cni/macvlan with host-local IPAM, bridge mode, one process
# per ADD/DEL with the config on stdin and the CNI_* environment, as a
# container runtime execs it (Debian's containernetworking-plugins).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
N=${1:-200}
: "${NETD_BUILD:=$(cd "$(dirname "$0")/.." && pwd)/build}"
NETD=$NETD_BUILD/netd/netd
CNI_DIR=${CNI_DIR:-/usr/lib/cni}

[ "$(id -u)" = 0 ] || { echo "bench/macvlan.sh: needs root" >&2; exit 77; }
[ -x "$NETD" ] || { echo "bench/macvlan.sh: $NETD not built (set NETD_BUILD)" >&2; exit 77; }
for c in python3 unshare ip curl; do
  command -v $c >/dev/null || { echo "bench/macvlan.sh: $c missing" >&2; exit 77; }
done

bench_unshare "$@"

bench_begin macvlan

mkdir -p /run/netns && mount -t tmpfs -o mode=0755 netd-bench-netns /run/netns
ip link set lo up
# the LAN: an upstream namespace with a bridge; one parent for netd, one for CNI
ip netns add upstream
ip -n upstream link add br0 type bridge
ip -n upstream link set br0 up
ip -n upstream addr add 10.88.0.1/16 dev br0
ip -n upstream addr add 10.89.0.1/16 dev br0
for p in mvnd mvcni; do
  ip link add $p type veth peer name u-$p netns upstream
  ip link set $p up
  ip -n upstream link set u-$p master br0 up
done

echo '{"userland-proxy": true}' > "$B/netd.json"
bench_netd_start

CNI=0
if [ -x "$CNI_DIR/macvlan" ] && [ -x "$CNI_DIR/host-local" ]; then CNI=1; fi

python3 - "$B" "$N" "$CNI" "$CNI_DIR" <<'PY'
import json, os, socket, subprocess, sys, time

B, N, CNI, CNI_DIR = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4]
SOCK = f"{B}/netd.sock"

sys.path.insert(0, os.environ["ND_BENCH_DIR"])
from ndapi import Api, med, p99
api = Api(SOCK, "bench/macvlan.sh")


def macvlans():  # children left in this (netd's) namespace: none expected; sandboxes are counted below
    return sum(1 for _, n in socket.if_nameindex() if n.startswith("mvdel"))

def tombs_in(paths):
    n = 0
    for p in paths:
        out = subprocess.run(["nsenter", f"--net={p}", "ip", "-o", "link", "show"], capture_output=True, text=True).stdout
        n += out.count("mvdel")
    return n

rows = []
def row(op, netd, cni=None, note=""):
    rows.append((op, netd, cni, note))

# ---- netd -------------------------------------------------------------
_, net = api("POST", "/networks/create", {"Name": "lan", "Driver": "macvlan", "Options": {"parent": "mvnd"},
    "IPAM": {"Config": [{"Subnet": "10.88.0.0/16", "Gateway": "10.88.0.1"}]}})
NET = net["Id"]
sbs, paths = [], []
for i in range(N + 1):
    _, r = api("POST", "/sandboxes", {"Name": f"s{i}"}); sbs.append(r["Id"]); paths.append(r["NetnsPath"])
warm = sbs.pop(); paths.pop()
api("POST", f"/networks/{NET}/connect", {"Container": warm}); api("POST", f"/networks/{NET}/disconnect", {"Container": warm})
tcon, tdis = [], []
for sb in sbs:
    dt, _ = api("POST", f"/networks/{NET}/connect", {"Container": sb}); tcon.append(dt)
for sb in sbs:
    dt, _ = api("POST", f"/networks/{NET}/disconnect", {"Container": sb}); tdis.append(dt)
t0 = time.perf_counter()
while tombs_in(paths[-5:]) and time.perf_counter() - t0 < 60:
    time.sleep(0.005)
drained = (time.perf_counter() - t0) * 1e3

# host access: the same connects, plus a route per container through netd's host child
_, net2 = api("POST", "/networks/create", {"Name": "lanh", "Driver": "macvlan",
    "Options": {"parent": "mvnd", "netd.macvlan.host_access": "true"},
    "IPAM": {"Config": [{"Subnet": "10.90.0.0/16", "Gateway": "10.90.0.1"}]}})
thost = []
for sb in sbs:
    dt, _ = api("POST", f"/networks/{net2['Id']}/connect", {"Container": sb}); thost.append(dt)
for sb in sbs:
    api("POST", f"/networks/{net2['Id']}/disconnect", {"Container": sb})

# ---- CNI reference plugins --------------------------------------------
cni = {}
if CNI:
    conf = json.dumps({
        "cniVersion": "1.0.0", "name": "mvbench", "type": "macvlan", "master": "mvcni", "mode": "bridge",
        "ipam": {"type": "host-local", "subnet": "10.89.0.0/16", "gateway": "10.89.0.1",
                 "dataDir": f"{B}/cni-ipam"}}).encode()
    def cni_call(cmd, i):
        env = {"CNI_COMMAND": cmd, "CNI_CONTAINERID": f"bench{i}", "CNI_NETNS": f"/run/netns/cni{i}",
               "CNI_IFNAME": "eth0", "CNI_PATH": CNI_DIR, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        t0 = time.perf_counter()
        p = subprocess.run([f"{CNI_DIR}/macvlan"], input=conf, env=env, capture_output=True)
        dt = (time.perf_counter() - t0) * 1e3
        if p.returncode != 0:
            sys.exit(f"bench/macvlan.sh: CNI {cmd} #{i}: {p.stdout[:300]!r} {p.stderr[:300]!r}")
        return dt
    for i in ["w"] + list(range(N)):
        subprocess.run(["ip", "netns", "add", f"cni{i}"], check=True)
    cni_call("ADD", "w"); cni_call("DEL", "w")
    tadd, tdel = [], []
    for i in range(N):
        tadd.append(cni_call("ADD", i))
    for i in range(N):
        tdel.append(cni_call("DEL", i))
    cni = {"con": med(tadd), "con99": p99(tadd), "dis": med(tdel), "dis99": p99(tdel)}

row(f"connect, median of {N}", med(tcon), cni.get("con"))
row(f"connect, p99 of {N}", p99(tcon), cni.get("con99"))
row(f"disconnect, median of {N}", med(tdis), cni.get("dis"), "netd: name free, deletion under way on a detached thread")
row(f"disconnect, p99 of {N}", p99(tdis), cni.get("dis99"))
row(f"  kernel done with the children after the last disconnect", drained, None, "netd's background deletion")
row(f"connect with host access, median of {N}", med(thost), None, f"p99 {p99(thost):.2f}; + a /32 route on the host")

print()
print(f"macvlan connect/disconnect, {os.cpu_count()} CPUs, kernel {os.uname().release}; times in ms")
print(f"{'operation':58} {'netd':>9} {'CNI':>9} {'netd/CNI':>9}  note")
print("-" * 112)
for op, nd, cn, note in rows:
    ratio = f"{nd / cn:9.3f}" if cn else f"{'':>9}"
    cns = f"{cn:9.2f}" if cn is not None else f"{'-':>9}"
    print(f"{op:58} {nd:9.2f} {cns} {ratio}  {note}")
print("-" * 112)
if not CNI:
    print("CNI: containernetworking-plugins not installed (apt-get install containernetworking-plugins)")
else:
    print(f"CNI: {CNI_DIR}/macvlan + host-local, one exec per call (as a runtime calls it)")
PY
