#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Hammer netd's API: N requests from C concurrent keep-alive clients over
the unix socket; print requests/s, latency percentiles, and netd's RSS before
and after (flat memory = no leak per request).
usage: api-load.py SOCKET NETD_PID [--requests 10000] [--clients 16] [--path /info]"""
import argparse, http.client, socket, statistics, threading, time

from ndapi import UnixHTTPConnection, rss_kib

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket"); ap.add_argument("pid", type=int)
    ap.add_argument("--requests", type=int, default=10000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--path", default="/info")
    a = ap.parse_args()
    per = a.requests // a.clients
    lat, errors, lock = [], [0], threading.Lock()
    def worker():
        c = UnixHTTPConnection(a.socket)
        mine = []
        for _ in range(per):
            t0 = time.perf_counter()
            try:
                c.request("GET", a.path)
                r = c.getresponse(); r.read()
                if r.status != 200: raise RuntimeError(r.status)
            except Exception:
                with lock: errors[0] += 1
                c.close(); c = UnixHTTPConnection(a.socket)
                continue
            mine.append(time.perf_counter() - t0)
        with lock: lat.extend(mine)
    # warm up, then measure twice so a leak shows as growth between rounds
    rss0 = rss_kib(a.pid)
    for rnd in (1, 2):
        threads = [threading.Thread(target=worker) for _ in range(a.clients)]
        t0 = time.perf_counter()
        for t in threads: t.start()
        for t in threads: t.join()
        dt = time.perf_counter() - t0
        n = per * a.clients
        lat.sort()
        print(f"round {rnd}: {n} requests GET {a.path}, {a.clients} clients: {n/dt:,.0f} req/s, "
              f"p50 {statistics.median(lat)*1e3:.2f} ms, p99 {lat[int(len(lat)*0.99)-1]*1e3:.2f} ms, "
              f"errors {errors[0]}, netd RSS {rss_kib(a.pid)} KiB (start {rss0} KiB)")
        lat.clear()
    return 1 if errors[0] else 0

if __name__ == "__main__":
    raise SystemExit(main())
