#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# A DNS client for the resolver tests (dnspython), run in a container's
# namespace (nsenter --net=...).
#   dns_client.py until NAME ADDR DEADLINE_S
#       asks 127.0.0.11 for NAME every 20 ms (50 ms timeout) until the answer
#       is ADDR; prints the wall clock time of that answer (ms since the
#       epoch); exit 1 at the deadline.
#   dns_client.py loop STOPFILE NAME=ADDR... ALIAS~PREFIX...
#       asks each name in turn over UDP (1 s timeout) until STOPFILE exists.
#       NAME=ADDR: the answer must be exactly ADDR. ALIAS~PREFIX: NXDOMAIN, or
#       NOERROR with addresses that all start with PREFIX. Prints
#       "queries N timeouts N wrong N maxms N"; exit 1 on a timeout or a wrong answer.
import os
import sys
import time

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

SERVER = "127.0.0.11"


def ask(name, timeout):
    q = dns.message.make_query(name, dns.rdatatype.A)
    r = dns.query.udp(q, SERVER, timeout=timeout)
    addrs = sorted(rr.address for rrset in r.answer for rr in rrset if rr.rdtype == dns.rdatatype.A)
    return r.rcode(), addrs


def until(name, addr, deadline):
    t0 = time.monotonic()
    while time.monotonic() - t0 < deadline:
        try:
            rc, addrs = ask(name, 0.05)
            if rc == dns.rcode.NOERROR and addrs == [addr]:
                print(int(time.time() * 1000))
                return 0
        except (dns.exception.Timeout, OSError):
            pass
        time.sleep(0.02)
    return 1


def loop(stop, specs):
    n = timeouts = wrong = 0
    maxms = 0.0
    while not os.path.exists(stop):
        for s in specs:
            n += 1
            t = time.monotonic()
            try:
                if "=" in s:
                    name, want = s.split("=", 1)
                    rc, addrs = ask(name, 1.0)
                    ok = rc == dns.rcode.NOERROR and addrs == [want]
                else:
                    name, prefix = s.split("~", 1)
                    rc, addrs = ask(name, 1.0)
                    ok = rc == dns.rcode.NXDOMAIN or (rc == dns.rcode.NOERROR and all(a.startswith(prefix) for a in addrs))
                if not ok:
                    wrong += 1
                    print("wrong: %s -> %s %s" % (s, dns.rcode.to_text(rc), addrs), file=sys.stderr)
            except (dns.exception.Timeout, OSError) as e:
                timeouts += 1
                print("timeout: %s (%s)" % (s, e), file=sys.stderr)
            maxms = max(maxms, (time.monotonic() - t) * 1000)
    print("queries %d timeouts %d wrong %d maxms %d" % (n, timeouts, wrong, maxms))
    return 1 if timeouts or wrong else 0


if sys.argv[1] == "until":
    sys.exit(until(sys.argv[2], sys.argv[3], float(sys.argv[4])))
sys.exit(loop(sys.argv[2], sys.argv[3:]))
