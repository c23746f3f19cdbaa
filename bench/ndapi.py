# SPDX-License-Identifier: Apache-2.0
"""bench/ndapi.py: what the Python parts of the benchmarks share: netd's
API on its unix socket over one keep-alive connection (python http.client),
timed client-side (what a client library sees), and the statistics the
tables print. Imported by the benches' inline Python (sys.path has bench/)."""
import http.client
import json
import math
import socket
import statistics
import sys
import time


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client on netd's unix socket"""

    def __init__(self, path, timeout=120):
        super().__init__("netd", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.unix_path)
        self.sock = s


def rss_kib(pid):
    """a process's resident memory in KiB (-1: unknown)"""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


class Api:
    """api(method, path, body) -> (milliseconds, decoded JSON or None); a
    status outside `ok` ends the bench, naming who asked (`who`)."""

    def __init__(self, sock_path, who):
        self.c = UnixHTTPConnection(sock_path)
        self.who = who

    def __call__(self, method, path, body=None, ok=(200, 201, 204)):
        data = json.dumps(body).encode() if body is not None else None
        hdr = {"Content-Type": "application/json"} if data else {}
        t0 = time.perf_counter()
        self.c.request(method, path, body=data, headers=hdr)
        r = self.c.getresponse()
        raw = r.read()
        dt = (time.perf_counter() - t0) * 1e3
        if r.status not in ok:
            sys.exit(f"{self.who}: {method} {path}: HTTP {r.status}: {raw[:300]!r}")
        return dt, (json.loads(raw) if raw else None)


def med(v):
    return statistics.median(v)


def p99(v):
    """nearest rank"""
    s = sorted(v)
    return s[max(0, math.ceil(0.99 * len(s)) - 1)]
