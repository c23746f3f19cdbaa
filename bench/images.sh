#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/images.sh [SIZE_MB] [RUNS]: import+unpack throughput of a multi-layer
# OCI image (~200 MB uncompressed, 4 gzip layers: many small files, a few big
# ones, half compressible) through netd's images library (nd-images-test load
# of the OCI archive: stream, verify digests, unpack into overlay2 dirs) vs
# `umoci unpack` of the same layout. Prints MB/s side by side and the ratio.
# Needs root (both create device-free trees with owners), umoci, python3.
set -euo pipefail
SIZE=${1:-200}
RUNS=${2:-3}
NETD_BUILD=${NETD_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}
NDI=$NETD_BUILD/tests/tools/nd-images-test
[ -x "$NDI" ] || { echo "build nd-images-test first (NETD_BUILD=$NETD_BUILD)" >&2; exit 1; }
command -v umoci >/dev/null || { echo "umoci missing" >&2; exit 1; }
W=$(mktemp -d /var/tmp/netd-bench-images.XXXXXX)
trap 'rm -rf "$W"' EXIT

python3 "$(dirname "$0")/mklayers.py" "$W" "$SIZE" 4
L=$W/oci
umoci init --layout "$L" >/dev/null
umoci new --image "$L:b" >/dev/null
for l in 0 1 2 3; do umoci raw add-layer --image "$L:b" "$W/l$l.tar" >/dev/null; done
(cd "$L" && tar -cf "$W/oci.tar" .)
raw_mb=$(du -cm "$W"/l?.tar | tail -1 | cut -f1)
comp_mb=$(du -sm "$L/blobs" | cut -f1)
rm -f "$W"/l?.tar
sync

best() { sort -n | head -1; }
t_nd=$(for i in $(seq "$RUNS"); do
  rm -rf "$W/store"; sync
  s=$(date +%s%N); "$NDI" --root "$W/store" load "$W/oci.tar" >/dev/null; e=$(date +%s%N)
  echo $(( (e - s) / 1000000 ))
done | best)
t_um=$(for i in $(seq "$RUNS"); do
  rm -rf "$W/bundle"; sync
  s=$(date +%s%N); umoci unpack --image "$L:b" "$W/bundle" >/dev/null 2>&1; e=$(date +%s%N)
  echo $(( (e - s) / 1000000 ))
done | best)
python3 - "$raw_mb" "$comp_mb" "$t_nd" "$t_um" "$RUNS" <<'PY'
import sys
raw, comp, tnd, tum, runs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
print(f"image: 4 layers, {raw} MB uncompressed, {comp} MB gzip blobs; best of {runs} runs")
print(f"{'':28}{'time':>10}{'MB/s':>10}")
print(f"{'netd images load+unpack':28}{tnd/1000:>9.2f}s{raw/(tnd/1000):>10.1f}")
print(f"{'umoci unpack':28}{tum/1000:>9.2f}s{raw/(tum/1000):>10.1f}")
print(f"ratio netd/umoci throughput: {tum/tnd:.2f}x")
PY
