#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# images: hostile layer archives (.. traversal, absolute paths, symlink-then-
# write, hard links out, device nodes, overlay xattrs) write nothing outside
# the store; bad input (truncated, corrupt, digest mismatch, unknown media
# type, missing blob, missing tag) is a clear error and leaves the store
# unchanged; leftovers of a crash mid-import are cleaned at the next open.
. "$(dirname "$0")/lib.sh"

NDI=$NETD_BUILD/tests/tools/nd-images-test
[ -x "$NDI" ] || skip "nd-images-test not built"
for t in python3 umoci; do command -v $t >/dev/null || skip "$t missing"; done
S=$T/store
ndi() { "$NDI" --root "$S" "$@"; }
snap() { (cd "$1" && find . -printf '%p %y %m %s %l\n' | LC_ALL=C sort; find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum); }

C=$T/canary
mkdir -p "$C"; echo original > "$C/target"; chmod 0644 "$C/target"
snap "$C" > "$T/canary.before"
check_canary() {
  snap "$C" > "$T/canary.after"
  diff -u "$T/canary.before" "$T/canary.after" || fail "$1: canary dir changed"
  for p in /pwned /tmp/pwned "$T/pwned" "$S/pwned" "$S/tmp/pwned"; do
    [ ! -e "$p" ] || fail "$1: $p written outside the layer"
  done
}

"$NETD_SRC/scripts/mk-busybox-image.sh" "$T/bb.tar" 2>/dev/null
ndi import "$T/bb.tar" good:1 >/dev/null

python3 - "$T" "$C" <<'PY'
import io, sys, tarfile
T, C = sys.argv[1], sys.argv[2]
def add(tf, name, typ=tarfile.REGTYPE, data=b"", link="", dev=(0, 0), mode=0o644, pax=None):
    ti = tarfile.TarInfo(name); ti.type = typ; ti.linkname = link; ti.mode = mode
    ti.devmajor, ti.devminor = dev
    if pax: ti.pax_headers = pax
    if typ == tarfile.REGTYPE: ti.size = len(data); tf.addfile(ti, io.BytesIO(data))
    else: tf.addfile(ti)
def mk(name, entries):
    with tarfile.open(f"{T}/{name}.tar", "w", format=tarfile.PAX_FORMAT) as tf:
        for e in entries: add(tf, *e[:2], **(e[2] if len(e) > 2 else {}))
up = "../" * 30
mk("trav", [("ok", tarfile.REGTYPE, {"data": b"ok"}), (up + C.lstrip("/") + "/pwned", tarfile.REGTYPE, {"data": b"x"})])
mk("trav2", [("a/../../pwned", tarfile.REGTYPE, {"data": b"x"})])
mk("abs", [(C + "/pwned", tarfile.REGTYPE, {"data": b"x"}), ("/pwned", tarfile.REGTYPE, {"data": b"x"})])
cdirs = [(C.lstrip("/").split("/")[:i], None) for i in range(1, len(C.lstrip("/").split("/")) + 1)]
cdirs = [("/".join(c), tarfile.DIRTYPE, {"mode": 0o755}) for c, _ in cdirs]
mk("symwrite", cdirs + [("esc", tarfile.SYMTYPE, {"link": C}),
                ("esc/pwned", tarfile.REGTYPE, {"data": b"x"}),
                ("esc/target", tarfile.REGTYPE, {"data": b"overwritten"}),
                ("rel", tarfile.SYMTYPE, {"link": up + C.lstrip("/")}),
                ("rel/pwned", tarfile.REGTYPE, {"data": b"x"}),
                ("root", tarfile.SYMTYPE, {"link": "/"}),
                ("root" + C + "/pwned", tarfile.REGTYPE, {"data": b"x"}),
                ("dirlink", tarfile.SYMTYPE, {"link": up}),
                ("dirlink/tmp/pwned", tarfile.REGTYPE, {"data": b"x"})])
mk("dangling", [("esc", tarfile.SYMTYPE, {"link": C}), ("esc/pwned", tarfile.REGTYPE, {"data": b"x"})])
mk("symfile", [("tf", tarfile.SYMTYPE, {"link": C + "/target"}),
               ("tf", tarfile.REGTYPE, {"data": b"overwritten"})])
mk("hardabs", [("hl", tarfile.LNKTYPE, {"link": C + "/target"})])
mk("hardrel", [("hl", tarfile.LNKTYPE, {"link": up + C.lstrip("/") + "/target"})])
mk("hardsym", [("s", tarfile.SYMTYPE, {"link": C}), ("hl", tarfile.LNKTYPE, {"link": "s/target"})])
mk("devices", [("null", tarfile.CHRTYPE, {"dev": (1, 3), "mode": 0o666}),
               ("null", tarfile.REGTYPE, {"data": b"not written to /dev/null"}),
               ("fifo", tarfile.FIFOTYPE),
               ("fifo", tarfile.REGTYPE, {"data": b"not written to a fifo"}),
               ("blk", tarfile.BLKTYPE, {"dev": (7, 0), "mode": 0o600}),
               ("keepdev", tarfile.CHRTYPE, {"dev": (1, 5), "mode": 0o666})])
mk("ovlxattr", [("d", tarfile.DIRTYPE, {"mode": 0o755, "pax": {"SCHILY.xattr.trusted.overlay.redirect": "/etc", "SCHILY.xattr.trusted.overlay.opaque": "y"}}),
                ("d/f", tarfile.REGTYPE, {"data": b"f"})])
PY

log "traversal with .. is refused with a clear error"
for t in trav trav2; do
  msg=$(ndi import "$T/$t.tar" 2>&1) && fail "$t imported"
  echo "$msg" | grep -i 'escapes the layer root' >/dev/null || fail "$t: unclear error: $msg"
  check_canary "$t"
done
ls "$S/tmp" | grep . >/dev/null && fail "temp dirs left behind"

log "absolute paths and symlinks resolve inside the layer"
for t in abs symwrite symfile; do
  ndi import "$T/$t.tar" "$t:1" >/dev/null || fail "$t: import failed"
  check_canary "$t"
done
for t in dangling hardsym; do  # a path through a symlink to a dir the layer lacks: refused, like Docker
  msg=$(ndi import "$T/$t.tar" 2>&1) && fail "$t imported"
  log "  $t refused: $msg"
  check_canary "$t"
done
M=$(ndi mount a1 abs:1)
[ -f "$M$C/pwned" ] && [ -f "$M/pwned" ] || fail "absolute names not placed inside the layer"
ndi umount a1
M=$(ndi mount s1 symwrite:1)
[ "$(readlink "$M/esc")" = "$C" ] || fail "symlink target not kept verbatim"
[ "$(cat "$M$C/target")" = overwritten ] || fail "write through an absolute symlink did not land in the layer"
[ -f "$M$C/pwned" ] && [ -f "$M/tmp/pwned" ] || fail "writes through symlinks not inside the layer"
ndi umount s1
M=$(ndi mount s2 symfile:1)
[ -f "$M/tf" ] && [ ! -L "$M/tf" ] || fail "a file entry must replace a symlink, not follow it"
ndi umount s2

log "hard links that point outside the layer are refused"
for t in hardabs hardrel; do
  msg=$(ndi import "$T/$t.tar" 2>&1) && fail "$t imported"
  echo "$msg" | grep -Ei 'not in this layer|escapes' >/dev/null || fail "$t: unclear error: $msg"
  check_canary "$t"
done
[ "$(stat -c %h "$C/target")" = 1 ] || fail "canary got a hard link"

log "device nodes are replaced, never written through"
timeout 30 "$NDI" --root "$S" import "$T/devices.tar" dev:1 >/dev/null || fail "devices import"
M=$(ndi mount d1 dev:1)
[ -f "$M/null" ] && [ "$(cat "$M/null")" = "not written to /dev/null" ] || fail "null not replaced"
[ -f "$M/fifo" ] || fail "fifo not replaced"
[ -b "$M/blk" ] && [ -c "$M/keepdev" ] || fail "device nodes not kept"
ndi umount d1

log "overlay xattrs from the archive are dropped"
ndi import "$T/ovlxattr.tar" ox:1 >/dev/null
ovl=$(ndi inspect ox:1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["GraphDriver"]["Data"]["UpperDir"])')
python3 - "$ovl/d" <<'PY' || fail "trusted.overlay.* xattr survived"
import os, sys
names = os.listxattr(sys.argv[1])
assert not any(n.startswith("trusted.overlay.") for n in names), names
PY
check_canary "all"

log "bad input: a clear error and the store unchanged"
L=$T/oci
umoci init --layout "$L" && umoci new --image "$L:t" && umoci raw add-layer --image "$L:t" "$T/bb.tar"
(cd "$L" && tar -cf "$T/good-oci.tar" .)
storesnap() { (cd "$S" && find . -printf '%p %y %s\n' | LC_ALL=C sort); }
mutate() { # mutate NAME PYTHON-SNIPPET: copy the layout, run snippet(L, idx, man, cfg, save), tar it
  rm -rf "$T/m"; cp -a "$L" "$T/m"
  python3 - "$T/m" "$2" <<'PY'
import hashlib, json, os, sys
L, code = sys.argv[1], sys.argv[2]
def blob(d): return f"{L}/blobs/sha256/" + d.split(":")[1]
def put(obj):
    b = json.dumps(obj).encode(); d = "sha256:" + hashlib.sha256(b).hexdigest()
    open(blob(d), "wb").write(b); return d, len(b)
idx = json.load(open(f"{L}/index.json"))
man = json.load(open(blob(idx["manifests"][0]["digest"])))
cfg = json.load(open(blob(man["config"]["digest"])))
def save():
    man["config"]["digest"], man["config"]["size"] = put(cfg)
    idx["manifests"][0]["digest"], idx["manifests"][0]["size"] = put(man)
    json.dump(idx, open(f"{L}/index.json", "w"))
exec(code)
PY
  (cd "$T/m" && tar -cf "$T/$1.tar" .)
}
mutate digest 'open(blob(man["layers"][0]["digest"]), "ab").write(b"tampered")'
mutate mediatype 'man["layers"][0]["mediaType"] = "application/x-unknown"; save()'
mutate manmt 'idx["manifests"][0]["mediaType"] = "application/x-unknown"; json.dump(idx, open(f"{L}/index.json", "w"))'
mutate missing 'os.unlink(blob(man["layers"][0]["digest"]))'
mutate missingcfg 'os.unlink(blob(man["config"]["digest"]))'
mutate diffid 'cfg["rootfs"]["diff_ids"][0] = "sha256:" + "0" * 64; save()'
mutate nolayers 'man["layers"] = []; save()'
head -c $(( $(stat -c %s "$T/good-oci.tar") / 2 )) "$T/good-oci.tar" > "$T/truncated.tar"
head -c $(( $(stat -c %s "$T/bb.tar") / 2 )) "$T/bb.tar" > "$T/truncated-rootfs.tar"
gzip -c "$T/bb.tar" > "$T/bb.tar.gz"
python3 - "$T/bb.tar.gz" "$T/corrupt.tar.gz" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
for i in range(len(b) // 2, len(b) // 2 + 64): b[i] ^= 0xff
open(sys.argv[2], "wb").write(b)
PY
head -c 100000 /dev/urandom > "$T/random.bin"
: > "$T/empty.tar"
before=$(storesnap)
expect_fail() { # expect_fail PATTERN CMD...
  local pat=$1; shift
  local msg
  msg=$("$@" 2>&1) && fail "succeeded: $*"
  echo "$msg" | grep -Ei "$pat" >/dev/null || fail "unclear error for $*: $msg"
  log "  ok: ${msg#error: }"
  assert_eq "$(storesnap)" "$before" "store changed by: $*"
}
expect_fail 'digest mismatch' ndi load "$T/digest.tar"
expect_fail 'unsupported media type' ndi load "$T/mediatype.tar"
expect_fail 'unsupported media type' ndi load "$T/manmt.tar"
expect_fail 'missing' ndi load "$T/missing.tar"
expect_fail 'missing' ndi load "$T/missingcfg.tar"
expect_fail 'diff_id mismatch|do not match' ndi load "$T/diffid.tar"
expect_fail 'corrupt|truncat|premature' ndi load "$T/truncated.tar"
expect_fail 'corrupt|truncat|premature' ndi import "$T/truncated-rootfs.tar"
expect_fail 'corrupt|truncat|premature|gzip|inflate|damaged|error' ndi import "$T/corrupt.tar.gz"
expect_fail 'not a tar|unrecognized|corrupt' ndi import "$T/random.bin"
expect_fail 'neither|unrecognized|corrupt|empty' ndi load "$T/random.bin"
expect_fail 'empty' ndi import "$T/empty.tar"
expect_fail 'no such image' ndi inspect nosuch:tag
expect_fail 'no such image' ndi tag nosuch:tag other:1
expect_fail 'no such tag' ndi untag nosuch:tag
expect_fail 'no such image' ndi mount c9 nosuch
expect_fail 'invalid reference' ndi tag good:1 'Bad/Name'
# the good archive still loads after all that
ndi load "$T/good-oci.tar" >/dev/null || fail "good archive does not load"

log "a crash mid-import is cleaned up at the next open"
mkdir -p "$S/tmp/layer-crashed/diff/usr" "$S/overlay2/$(printf 'a%.0s' {1..64})/diff"
echo half > "$S/tmp/layer-crashed/diff/usr/half"
echo '{"diff_id":"x","parent":"","size":1}' > "$S/overlay2/$(printf 'a%.0s' {1..64})/meta.json"
echo orphan > "$S/blobs/sha256/$(printf 'b%.0s' {1..64})"
ndi ls >/dev/null
[ -z "$(ls "$S/tmp")" ] || fail "tmp not cleaned: $(ls "$S/tmp")"
[ ! -e "$S/overlay2/$(printf 'a%.0s' {1..64})" ] || fail "orphan layer kept"
[ ! -e "$S/blobs/sha256/$(printf 'b%.0s' {1..64})" ] || fail "orphan blob kept"
M=$(ndi mount ok1 good:1)
[ -x "$M/bin/busybox" ] || fail "good image broken after cleanup"
ndi umount ok1
check_canary "end"
echo PASS
