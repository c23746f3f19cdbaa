#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The Docker SDK for Python (Debian's python3-docker) against netd: the
core flows a user's script runs. Each step asserts its real effect; the
first failure exits 1 with the step's name. Usage: docker_sdk_flows.py SOCKET"""
import io
import sys
import threading
import time

import docker


def check(cond, what):
    if not cond:
        print("FAIL: " + what, file=sys.stderr)
        sys.exit(1)
    print("# ok: " + what, file=sys.stderr)


def main():
    sock = sys.argv[1]
    c = docker.DockerClient(base_url="unix://" + sock, version="auto", timeout=60)
    check(c.ping() is True, "ping")
    v = c.version()
    check(float(v["ApiVersion"]) >= 1.44, "version: ApiVersion %s" % v["ApiVersion"])
    info = c.info()
    check(info["Swarm"]["LocalNodeState"] == "inactive" and info["Driver"], "info")

    # events in the background, from before the first container
    seen, ready = [], threading.Event()
    stream = c.events(decode=True, filters={"type": ["container", "network"]})

    def pump():
        for ev in stream:
            seen.append((ev["Type"], ev["Action"].split(":")[0], ev["Actor"]["Attributes"].get("name", "")))
    t = threading.Thread(target=pump, daemon=True)
    t.start()
    t0 = time.time()

    # images: list, save, load back under a new tag, remove it
    imgs = c.images.list()
    check(any("bb:latest" in i.tags for i in imgs), "images.list has bb:latest")
    bb = c.images.get("bb")
    data = b"".join(bb.save(named=True))
    check(len(data) > 100000, "image.save: %d bytes" % len(data))
    c.images.remove("bb")
    check(not any("bb:latest" in i.tags for i in c.images.list()), "images.remove")
    loaded = c.images.load(data)
    check(any("bb:latest" in i.tags for i in loaded), "images.load: %s" % [i.tags for i in loaded])
    bb = c.images.get("bb")
    bb.tag("bb", "sdk")
    check("bb:sdk" in c.images.get("bb:sdk").tags, "image.tag")
    c.images.remove("bb:sdk")

    # containers: run attached (output, exit code), detached, logs, exec, stop, remove
    out = c.containers.run("bb", ["sh", "-c", "echo out-$((6*7))"], remove=True, name="sdk1")
    check(out == b"out-42\n", "containers.run attached: %r" % out)
    try:
        c.containers.run("bb", ["sh", "-c", "exit 3"], remove=True)
        check(False, "run of exit 3 raised nothing")
    except docker.errors.ContainerError as e:
        check(e.exit_status == 3, "ContainerError exit_status 3")
    ctr = c.containers.run("bb", ["sh", "-c", "echo started; exec sleep 300"], detach=True, name="sdk2",
                           labels={"sdk": "yes"})
    deadline = time.time() + 20
    while time.time() < deadline and b"started" not in ctr.logs():
        time.sleep(0.05)
    check(ctr.logs() == b"started\n", "container.logs")
    ctr.reload()
    check(ctr.status == "running" and ctr.labels.get("sdk") == "yes", "container status/labels")
    check([x.name for x in c.containers.list(filters={"label": "sdk=yes"})] == ["sdk2"], "containers.list label filter")
    r = ctr.exec_run(["sh", "-c", "echo ex-$((2+3)); exit 4"])
    check(r.exit_code == 4 and r.output == b"ex-5\n", "exec_run: %r" % (r,))
    r = ctr.exec_run("cat /etc/hostname")
    check(r.exit_code == 0 and r.output.strip() == ctr.attrs["Config"]["Hostname"].encode(), "exec_run hostname")

    # networks: create, connect a running container, traffic, disconnect, remove
    net = c.networks.create("sdknet", driver="bridge",
                            ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet="10.88.0.0/24")]))
    net.connect(ctr, ipv4_address="10.88.0.50")
    ctr.reload()
    check(ctr.attrs["NetworkSettings"]["Networks"]["sdknet"]["IPAddress"] == "10.88.0.50", "network.connect address")
    peer = c.containers.run("bb", ["ping", "-c1", "-W2", "10.88.0.50"], network="sdknet", remove=True)
    check(b"1 packets received" in peer, "a peer on sdknet reaches the connected container")
    net.reload()
    check([x.name for x in net.containers] == ["sdk2"], "network.containers")
    net.disconnect(ctr)
    ctr.reload()
    check("sdknet" not in ctr.attrs["NetworkSettings"]["Networks"], "network.disconnect")
    net.remove()
    check(not c.networks.list(names=["sdknet"]), "network.remove")

    ctr.stop(timeout=1)
    ctr.reload()
    check(ctr.status == "exited", "container.stop")
    ctr.remove()
    check(not c.containers.list(all=True, filters={"name": "sdk2"}), "container.remove")

    # the events the stream saw, and the same replayed with since/until
    want = [("container", a, "sdk2") for a in ("create", "start", "die", "destroy")] + \
           [("network", a, "sdknet") for a in ("create", "connect", "disconnect", "destroy")]
    deadline = time.time() + 10
    while time.time() < deadline and not all(w in seen for w in want):
        time.sleep(0.05)
    check(all(w in seen for w in want), "events stream: missing %s" % [w for w in want if w not in seen])
    stream.close()
    replay = [(e["Type"], e["Action"]) for e in
              c.events(decode=True, since=int(t0), until=int(time.time()) + 1, filters={"container": "sdk2"})]
    check(("container", "exec_start") in [(a, b.split(":")[0]) for a, b in replay] and
          ("container", "destroy") in replay, "events since/until with a container filter: %s" % replay)

    df = c.df()
    check(df["LayersSize"] > 0 and len(df["Images"]) == 1, "df")
    pr = c.containers.prune()
    check("ContainersDeleted" in pr, "containers.prune")
    c.close()
    print("# sdk flows ok", file=sys.stderr)


if __name__ == "__main__":
    main()
