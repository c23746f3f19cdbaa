#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Latency of netd's API over the unix socket and over TCP with mutual TLS
(new connection per request, and keep-alive), as ratios; then N requests
from C concurrent TLS clients with netd's RSS before and after.
usage: tls.py SOCKET HOST:PORT CERTDIR NETD_PID [--n 300] [--load 10000] [--clients 16]"""
import argparse, http.client, socket, ssl, statistics, threading, time

from ndapi import UnixHTTPConnection, rss_kib

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket"); ap.add_argument("hostport"); ap.add_argument("certdir")
    ap.add_argument("pid", type=int)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--load", type=int, default=10000)
    ap.add_argument("--clients", type=int, default=16)
    a = ap.parse_args()
    host, port = a.hostport.rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=f"{a.certdir}/ca.pem")
    ctx.load_cert_chain(f"{a.certdir}/cert.pem", f"{a.certdir}/key.pem")
    unix = lambda: UnixHTTPConnection(a.socket)
    tls = lambda: http.client.HTTPSConnection(host, int(port), context=ctx)

    def run(make, path, n, keep):
        lat = []
        c = make() if keep else None
        for _ in range(n):
            t0 = time.perf_counter()
            if not keep:
                c = make()
            c.request("GET", path)
            r = c.getresponse()
            body = r.read()
            if r.status != 200:
                raise SystemExit(f"{path}: HTTP {r.status}: {body[:200]!r}")
            if not keep:
                c.close()
            lat.append((time.perf_counter() - t0) * 1e6)
        if keep:
            c.close()
        lat.sort()
        return statistics.median(lat), lat[int(len(lat) * 0.9) - 1]

    print(f"{'request':<22} {'transport':<28} {'median us':>10} {'p90 us':>10} {'x unix':>8}")
    for path in ("/_ping", "/containers/json?all=1"):
        for keep in (True, False):
            run(unix, path, 20, keep); run(tls, path, 20, keep)       # warm up
            um, up = run(unix, path, a.n, keep)
            tm, tp = run(tls, path, a.n, keep)
            mode = "keep-alive" if keep else "new conn/request"
            print(f"{path:<22} {'unix ' + mode:<28} {um:>10.0f} {up:>10.0f} {1.0:>8.2f}")
            print(f"{path:<22} {'tcp+mTLS ' + mode:<28} {tm:>10.0f} {tp:>10.0f} {tm / um:>8.2f}")

    # load: C clients, each a TLS connection per request half of the time
    def load(total, label):
        per = total // a.clients
        errors = [0]
        lock = threading.Lock()
        def worker(i):
            keep = i % 2 == 0
            c = tls() if keep else None
            for _ in range(per):
                try:
                    if not keep:
                        c = tls()
                    c.request("GET", "/_ping")
                    r = c.getresponse(); r.read()
                    if r.status != 200:
                        raise RuntimeError(r.status)
                    if not keep:
                        c.close()
                except Exception:
                    with lock:
                        errors[0] += 1
                    c = tls()
            if keep:
                c.close()
        t0 = time.perf_counter()
        ts = [threading.Thread(target=worker, args=(i,)) for i in range(a.clients)]
        for t in ts: t.start()
        for t in ts: t.join()
        dt = time.perf_counter() - t0
        print(f"{label}: {per * a.clients} requests, {a.clients} clients (half keep-alive, half a TLS handshake each), "
              f"{per * a.clients / dt:.0f} req/s, errors {errors[0]}, netd RSS {rss_kib(a.pid)} KiB")
    print(f"netd RSS before load: {rss_kib(a.pid)} KiB")
    load(a.load, "round 1")
    load(a.load, "round 2")

main()
