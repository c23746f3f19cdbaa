#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/mklayers.py DIR SIZE_MB LAYERS: writes DIR/l0.tar .. l<LAYERS-1>.tar,
SIZE_MB in all, shaped like a real image's layers: directories of 100 files,
sizes from 512 bytes to 120 kB with a 4 MB file every 200, half random bytes
(incompressible) and half words (compressible). A fixed seed: the same
arguments give the same bytes. Used by images.sh and pull.sh."""
import io
import random
import sys
import tarfile

W, size, nl = sys.argv[1], int(sys.argv[2]) << 20, int(sys.argv[3])
rnd = random.Random(42)
words = [bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 9))) for _ in range(2000)]
block = b" ".join(rnd.choice(words) for _ in range(1 << 19))


def text(n):
    o = rnd.randrange(len(block) - n) if n < len(block) else 0
    return (block * (n // len(block) + 1))[o:o + n]


per = size // nl
for l in range(nl):
    with tarfile.open(f"{W}/l{l}.tar", "w") as tf:
        left, i = per, 0
        while left > 0:
            d = f"layer{l}/dir{i // 100}"
            if i % 100 == 0:
                ti = tarfile.TarInfo(d)
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                tf.addfile(ti)
            n = min(left, rnd.choice([512, 2048, 8192, 30000, 120000]) if i % 200 else 4 << 20)
            data = rnd.randbytes(n) if i % 2 else text(n)
            ti = tarfile.TarInfo(f"{d}/f{i}")
            ti.size, ti.mode, ti.mtime = n, 0o644, 1700000000
            tf.addfile(ti, io.BytesIO(data))
            left -= n
            i += 1
