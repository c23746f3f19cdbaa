#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# A small authoritative DNS server for the resolver tests (dnspython builds
# and reads every message). Serves UDP and TCP on ADDR:PORT:
#   ext.example, *.ext.example    A 198.51.100.7, TTL 300
#   ttl.example    A 198.51.100.8, TTL 2
#   big.example    TXT, about 1 KB: truncated over UDP without EDNS
#   huge.example   TXT, about 2.5 KB: truncated over UDP whatever the client's
#                  EDNS buffer (this server sends at most 1232 bytes over UDP)
#   count.example  TXT: how many other queries this server answered (TTL 0)
#   id.example     TXT: TAG (TTL 0)
#   anything else  NXDOMAIN with an SOA (minimum 5)
# Usage: dns_upstream.py ADDR PORT TAG READYFILE
import socket
import socketserver
import sys
import threading

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

ADDR, PORT, TAG, READY = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
count = 0
lock = threading.Lock()


def answer(wire, udp):
    global count
    q = dns.message.from_wire(wire)
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AA
    qn = q.question[0].name.to_text().lower()
    qt = q.question[0].rdtype
    if qn != "count.example.":
        with lock:
            count += 1
    if (qn == "ext.example." or qn.endswith(".ext.example.")) and qt == dns.rdatatype.A:
        r.answer.append(dns.rrset.from_text(qn, 300, "IN", "A", "198.51.100.7"))
    elif qn == "ttl.example." and qt == dns.rdatatype.A:
        r.answer.append(dns.rrset.from_text(qn, 2, "IN", "A", "198.51.100.8"))
    elif qn == "big.example." and qt == dns.rdatatype.TXT:
        r.answer.append(dns.rrset.from_text(qn, 60, "IN", "TXT", *['"%s"' % (("%02d" % i) * 15) for i in range(30)]))
    elif qn == "huge.example." and qt == dns.rdatatype.TXT:
        r.answer.append(dns.rrset.from_text(qn, 60, "IN", "TXT", *['"%s"' % (("%02d" % i) * 30) for i in range(40)]))
    elif qn == "count.example.":
        r.answer.append(dns.rrset.from_text(qn, 0, "IN", "TXT", '"%d"' % count))
    elif qn == "id.example.":
        r.answer.append(dns.rrset.from_text(qn, 0, "IN", "TXT", '"%s"' % TAG))
    elif qn.endswith("ext.example.") or qn in ("ext.example.", "ttl.example.", "big.example.", "huge.example."):
        pass  # NODATA
    else:
        r.set_rcode(dns.rcode.NXDOMAIN)
        r.authority.append(dns.rrset.from_text("example.", 5, "IN", "SOA", "ns.example. h.example. 1 60 60 60 5"))
    limit = 65535
    if udp:
        limit = min(q.payload, 1232) if q.edns >= 0 else 512
    try:
        return r.to_wire(max_size=limit)
    except dns.exception.TooBig:
        t = dns.message.make_response(q)
        t.flags |= dns.flags.TC
        return t.to_wire()


class UDP(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(answer(data, True), self.client_address)


class TCP(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            h = self.request.recv(2)
            if len(h) < 2:
                return
            n = int.from_bytes(h, "big")
            data = b""
            while len(data) < n:
                c = self.request.recv(n - len(data))
                if not c:
                    return
                data += c
            out = answer(data, False)
            self.request.sendall(len(out).to_bytes(2, "big") + out)


class U(socketserver.ThreadingUDPServer):
    allow_reuse_address = True


class T(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


u = U((ADDR, PORT), UDP)
t = T((ADDR, PORT), TCP)
threading.Thread(target=t.serve_forever, daemon=True).start()
open(READY, "w").write("ok\n")
u.serve_forever()
