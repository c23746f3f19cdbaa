# SPDX-License-Identifier: Apache-2.0
# bench/overlay.sh's prober: ICMP echo to ADDR every 2 ms (raw socket, in
# the namespace it runs in) until the first reply; prints the wall-clock
# time of that reply in ns (time.time_ns), or "timeout". Touches READY
# once it is probing.
import os, socket, struct, sys, time

addr, ready, limit = sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 5.0
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.setblocking(False)
ident = os.getpid() & 0xFFFF

def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xFFFF)
    t += t >> 16
    return ~t & 0xFFFF

def packet(seq):
    h = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    return struct.pack("!BBHHH", 8, 0, csum(h), ident, seq)

open(ready, "w").close()
end = time.monotonic() + limit
seq = 0
while time.monotonic() < end:
    seq = (seq + 1) & 0xFFFF
    try:
        s.sendto(packet(seq), (addr, 0))
    except OSError:
        pass   # no route/neighbour yet
    stop = time.monotonic() + 0.002
    while time.monotonic() < stop:
        try:
            data, src = s.recvfrom(2048)
        except BlockingIOError:
            time.sleep(0.0002)
            continue
        ihl = (data[0] & 0xF) * 4
        typ, _, _, rid, _ = struct.unpack("!BBHHH", data[ihl:ihl + 8])
        if src[0] == addr and typ == 0 and rid == ident:
            print(time.time_ns())
            sys.exit(0)
print("timeout")
sys.exit(1)
