#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes an OCI image layout with layers of pseudo-random content (fixed
seed: the same arguments give the same digests).

usage: mkimage.py DIR TAG [--compress gzip|none] [--text] SIZE[k|M]...
Each SIZE is one layer holding one file /layerN/data of that many bytes
(plus a small /layerN/hello text file). --text makes the data compressible
(words) instead of random."""
import gzip, hashlib, io, json, os, random, sys, tarfile, zlib

args = sys.argv[1:]
out, tag = args[0], args[1]
comp, text, sizes = "gzip", False, []
i = 2
while i < len(args):
    if args[i] == "--compress":
        comp = args[i + 1]; i += 2; continue
    if args[i] == "--text":
        text = True; i += 1; continue
    s = args[i]
    mult = {"k": 1024, "M": 1 << 20}.get(s[-1], 1)
    sizes.append(int(s.rstrip("kM")) * mult)
    i += 1

os.makedirs(out + "/blobs/sha256", exist_ok=True)


def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open("%s/blobs/sha256/%s" % (out, d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)


def content(n, seed):
    r = random.Random(seed)
    if not text:
        return r.randbytes(n)
    words = [bytes(r.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(2, 9))) for _ in range(4096)]
    buf = io.BytesIO()
    while buf.tell() < n:
        buf.write(b" ".join(r.choice(words) for _ in range(64)) + b"\n")
    return buf.getvalue()[:n]


layers, diffs = [], []
for n, size in enumerate(sizes):
    tb = io.BytesIO()
    with tarfile.open(fileobj=tb, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in (("layer%d/hello" % n, b"hello from layer %d\n" % n),
                           ("layer%d/data" % n, content(size, "%s-%d" % (tag, n)))):
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode, ti.mtime = len(data), 0o644, 1700000000
            t.addfile(ti, io.BytesIO(data))
    raw = tb.getvalue()
    diffs.append("sha256:" + hashlib.sha256(raw).hexdigest())
    if comp == "gzip":
        blob = gzip.compress(raw, compresslevel=1, mtime=0)
        mt = "application/vnd.oci.image.layer.v1.tar+gzip"
    else:
        blob, mt = raw, "application/vnd.oci.image.layer.v1.tar"
    d, l = put(blob)
    layers.append({"mediaType": mt, "digest": d, "size": l})

cfg = {"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
       "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/usr/bin:/bin"]},
       "rootfs": {"type": "layers", "diff_ids": diffs},
       "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "mkimage.py layer %d" % k} for k in range(len(diffs))]}
cd, cl = put(json.dumps(cfg, sort_keys=True).encode())
man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cl},
       "layers": layers}
md, ml = put(json.dumps(man, sort_keys=True).encode())
idx_path = out + "/index.json"
idx = json.load(open(idx_path)) if os.path.exists(idx_path) else {"schemaVersion": 2, "manifests": []}
idx["manifests"] = [m for m in idx["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
idx["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ml,
                         "annotations": {"org.opencontainers.image.ref.name": tag}})
json.dump(idx, open(idx_path, "w"))
json.dump({"imageLayoutVersion": "1.0.0"}, open(out + "/oci-layout", "w"))
print(md)
