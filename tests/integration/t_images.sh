#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# images: OCI layouts built with umoci load and mount exactly as umoci unpacks
# them; save is read by skopeo; skopeo's docker-archive loads back with the
# same layers; shared bases are stored once; many layers still mount; vfs
# gives the same tree; commit turns overlay whiteouts back into .wh. form.
. "$(dirname "$0")/lib.sh"

NDI=$NETD_BUILD/tests/tools/nd-images-test
[ -x "$NDI" ] || skip "nd-images-test not built"
for t in umoci skopeo python3 busybox; do command -v $t >/dev/null || skip "$t missing"; done
S=$T/store
ndi() { "$NDI" --root "$S" "$@"; }

# a tree listing that compares two rootfs: path type mode owner size target + content hash
listing() {
  (cd "$1" && find . -mindepth 1 ! -path './proc/*' -printf '%p %y %m %U:%G %s %l\n' | LC_ALL=C sort)
  (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}

log "busybox rootfs and a four-layer OCI layout built with umoci"
"$NETD_SRC/scripts/mk-busybox-image.sh" "$T/bb.tar" 2>/dev/null
python3 - "$T" <<'PY'
import io, sys, tarfile, time
T = sys.argv[1]
def add(tf, name, typ=tarfile.REGTYPE, data=b"", mode=0o644, uid=0, gid=0, link="", dev=(0, 0), pax=None):
    ti = tarfile.TarInfo(name); ti.type = typ; ti.mode = mode; ti.uid = uid; ti.gid = gid
    ti.mtime = 1700000000; ti.linkname = link; ti.devmajor, ti.devminor = dev
    if pax: ti.pax_headers = pax
    if typ == tarfile.REGTYPE: ti.size = len(data); tf.addfile(ti, io.BytesIO(data))
    else: tf.addfile(ti)
with tarfile.open(f"{T}/l2.tar", "w", format=tarfile.PAX_FORMAT) as tf:
    add(tf, "data", tarfile.DIRTYPE, mode=0o755)
    add(tf, "data/keep", data=b"keep\n")
    add(tf, "data/del", data=b"delete me\n")
    add(tf, "data/owned", data=b"x" * 5000, mode=0o4750, uid=1000, gid=1000)
    add(tf, "data/hard", tarfile.LNKTYPE, link="data/keep")
    add(tf, "data/sym", tarfile.SYMTYPE, link="../etc/passwd")
    add(tf, "data/abs", tarfile.SYMTYPE, link="/etc/group")
    add(tf, "data/fifo", tarfile.FIFOTYPE, mode=0o600)
    add(tf, "data/null", tarfile.CHRTYPE, mode=0o666, dev=(1, 3))
    add(tf, "data/xattr", data=b"attr\n", pax={"SCHILY.xattr.user.netd": "yes"})
    add(tf, "opq", tarfile.DIRTYPE, mode=0o755)
    add(tf, "opq/a", data=b"a\n")
    add(tf, "opq/sub", tarfile.DIRTYPE, mode=0o700)
    add(tf, "opq/sub/b", data=b"b\n")
    add(tf, "gone", tarfile.DIRTYPE, mode=0o755)
    add(tf, "gone/f", data=b"f\n")
with tarfile.open(f"{T}/l3.tar", "w", format=tarfile.PAX_FORMAT) as tf:
    add(tf, "data", tarfile.DIRTYPE, mode=0o755)
    add(tf, "data/.wh.del")                      # delete a file of a lower layer
    add(tf, "data/new", data=b"new\n")
    add(tf, ".wh.gone")                          # delete a whole directory
with tarfile.open(f"{T}/l4.tar", "w", format=tarfile.PAX_FORMAT) as tf:
    add(tf, "opq", tarfile.DIRTYPE, mode=0o751)
    add(tf, "opq/.wh..wh..opq")                  # replace a directory opaquely
    add(tf, "opq/only", data=b"only\n")
    add(tf, "etc/motd", data=b"hello from layer 4\n")
with tarfile.open(f"{T}/l2b.tar", "w") as tf:
    add(tf, "other", data=b"second image\n")
PY
L=$T/oci
umoci init --layout "$L"
umoci new --image "$L:t"
for l in bb l2 l3 l4; do umoci raw add-layer --image "$L:t" "$T/$l.tar"; done
umoci config --image "$L:t" --config.cmd /bin/sh
umoci new --image "$L:t2"
for l in bb l2b; do umoci raw add-layer --image "$L:t2" "$T/$l.tar"; done
nl=$(umoci stat --image "$L:t" --json | python3 -c 'import json,sys; print(sum(1 for h in json.load(sys.stdin)["history"] if not h.get("empty_layer")))')
[ "$nl" -ge 4 ] || fail "expected 4 layers, umoci reports $nl"
umoci unpack --image "$L:t" "$T/bundle" >/dev/null

log "load the OCI layout archive (one tag at a time: umoci's bare ref names leave images untagged)"
(cd "$L" && tar -cf "$T/oci.tar" .)
out=$(ndi load "$T/oci.tar")
echo "$out" | grep >/dev/null "Loaded image: sha256:" || fail "load output: $out"
[ "$(ndi ls | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] || fail "expected 2 images"
cfg=$(python3 - "$L" <<'PY'
import json, sys
L = sys.argv[1]
idx = json.load(open(f"{L}/index.json"))
for m in idx["manifests"]:
    if m["annotations"]["org.opencontainers.image.ref.name"] == "t":
        man = json.load(open(f"{L}/blobs/sha256/" + m["digest"].split(":")[1]))
        print(man["config"]["digest"])
PY
)
ndi tag "$cfg" layered:v1
assert_eq "$(ndi resolve layered:v1)" "$cfg" "tag resolves to the config digest"
assert_eq "$(ndi resolve docker.io/library/layered:v1)" "$cfg" "full name resolves"
assert_eq "$(ndi resolve "${cfg:7:12}")" "$cfg" "ID prefix resolves"
ndi inspect layered:v1 > "$T/inspect.json"
python3 - "$T/inspect.json" "$cfg" <<'PY' || fail "inspect JSON"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["Id"] == sys.argv[2], j["Id"]
assert j["RepoTags"] == ["layered:v1"], j["RepoTags"]
assert len(j["RootFS"]["Layers"]) == 4
assert j["Os"] == "linux" and j["Architecture"]
assert j["Config"]["Cmd"] == ["/bin/sh"], j["Config"]
assert j["Size"] > 1000000
PY

log "the merged overlay equals umoci unpack"
M=$(ndi mount c1 layered:v1)
grep -q " $M overlay " /proc/self/mounts || fail "no overlay mount at $M"
listing "$T/bundle/rootfs" > "$T/want.txt"
listing "$M" > "$T/got.txt"
diff -u "$T/want.txt" "$T/got.txt" || fail "merged rootfs differs from umoci unpack"
diff -r --no-dereference -x fifo -x null "$T/bundle/rootfs" "$M" || fail "diff -r differs"
[ ! -e "$M/data/del" ] && [ ! -e "$M/gone" ] && [ ! -e "$M/opq/a" ] && [ -f "$M/opq/only" ] || fail "whiteouts"
[ "$(stat -c %i "$M/data/keep")" = "$(stat -c %i "$M/data/hard")" ] || fail "hard link not kept"
[ "$(getfattr --only-values -n user.netd "$M/data/xattr" 2>/dev/null || python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.netd").decode(), end="")' "$M/data/xattr")" = yes ] || fail "xattr not kept"
[ "$(stat -c %Y "$M/data/keep")" = 1700000000 ] || fail "mtime not kept"
chroot "$M" /bin/sh -c 'echo ok > /tmp/written; rm /data/keep; rm -r /opq/sub 2>/dev/null; mkdir -p /opq/x; true'
ndi umount c1
grep -q " $M " /proc/self/mounts && fail "still mounted after umount"
[ ! -e "$S/containers/c1" ] || fail "container dir left behind"

log "vfs driver: the same tree as plain copies"
V=$("$NDI" --root "$S" --driver vfs mount v1 layered:v1)
listing "$V" > "$T/vfs.txt"
diff -u "$T/want.txt" "$T/vfs.txt" || fail "vfs rootfs differs from umoci unpack"
"$NDI" --root "$S" --driver vfs umount v1

log "commit: overlay whiteouts become .wh. entries, the new image mounts as expected"
M=$(ndi mount c2 layered:v1)
rm "$M/data/keep"; rm -r "$M/etc"; mkdir "$M/etc"; echo fresh > "$M/etc/fresh"; echo c > "$M/committed"
up=$S/containers/c2/upper
[ "$(stat -c %t:%T "$up/data/keep")" = 0:0 ] || fail "no overlay whiteout in upper"
new=$(ndi commit-container c2 committed:1)
ndi umount c2
M=$(ndi mount c3 committed:1)
[ ! -e "$M/data/keep" ] && [ -f "$M/data/hard" ] && [ "$(ls "$M/etc")" = fresh ] && [ -f "$M/committed" ] \
  || fail "committed image content wrong: $(ls -la "$M/etc" "$M/data")"
ndi umount c3
blob=$(ndi inspect committed:1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["RootFS"]["Layers"][-1])')
tar -tvf "$S/blobs/sha256/${blob#sha256:}" > "$T/commit.lst"
grep -q 'data/.wh.keep' "$T/commit.lst" && grep -q 'etc/.wh..wh..opq' "$T/commit.lst" || { cat "$T/commit.lst"; fail "commit tar lacks .wh. entries"; }
ndi history committed:1 | grep >/dev/null '"netd commit"' || fail "history"

log "save: skopeo inspects it, skopeo copy to docker-archive loads back with the same layers"
ndi save "$T/save.tar" layered:v1
skopeo inspect oci-archive:"$T/save.tar" > "$T/sk.json" || fail "skopeo inspect oci-archive"
python3 - "$T/sk.json" "$T/inspect.json" <<'PY' || fail "skopeo view differs"
import json, sys
sk = json.load(open(sys.argv[1])); ins = json.load(open(sys.argv[2]))
assert len(sk["Layers"]) == 4, sk
assert sk["Os"] == "linux"
PY
tar -tf "$T/save.tar" | grep -x >/dev/null manifest.json || fail "no docker manifest.json in save"
skopeo copy -q oci-archive:"$T/save.tar" docker-archive:"$T/docker.tar":layered:v1 || fail "skopeo copy"
tar -tf "$T/docker.tar" | grep -x >/dev/null manifest.json || fail "not a docker archive"
S2=$T/store2
out=$("$NDI" --root "$S2" load "$T/docker.tar")
echo "$out" | grep >/dev/null 'layered:v1' || fail "docker-archive load: $out"
a=$(ndi inspect layered:v1 | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["Id"], j["RootFS"]["Layers"])')
b=$("$NDI" --root "$S2" inspect layered:v1 | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["Id"], j["RootFS"]["Layers"])')
assert_eq "$b" "$a" "layers after skopeo docker-archive round trip"
M2=$("$NDI" --root "$S2" mount r1 layered:v1)
listing "$M2" > "$T/rt.txt"
diff -u "$T/want.txt" "$T/rt.txt" || fail "round-tripped rootfs differs"
"$NDI" --root "$S2" umount r1
# and our own save loads back
"$NDI" --root "$T/store3" load "$T/save.tar" | grep >/dev/null layered:v1 || fail "own save does not load"

log "two images on one base store the base once"
S4=$T/store4
id1=$("$NDI" --root "$S4" import "$T/bb.tar" base:1)
base_kb=$(du -sk "$S4" | cut -f1)
mkdir -p "$T/c1/x" "$T/c2/y"; echo 1 > "$T/c1/x/one"; echo 2 > "$T/c2/y/two"
"$NDI" --root "$S4" commit "$T/c1" base:1 img:one >/dev/null
"$NDI" --root "$S4" commit "$T/c2" base:1 img:two >/dev/null
two_kb=$(du -sk "$S4" | cut -f1)
log "store: base alone ${base_kb} KiB, base + two images ${two_kb} KiB"
[ "$two_kb" -lt $((base_kb + base_kb / 4)) ] || fail "base stored more than once (${two_kb} KiB)"
[ "$(ls "$S4/overlay2" | grep -vc '^l$')" = 3 ] || fail "expected 3 layer dirs: $(ls "$S4/overlay2")"
# the same through load: t and t2 share the busybox layer in $S
bbchain=$(ndi inspect layered:v1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["RootFS"]["Layers"][0][7:])')
[ -d "$S/overlay2/$bbchain" ] || fail "base layer dir missing"
[ "$(ls "$S/overlay2" | grep -vc '^l$')" -le 6 ] || fail "too many layer dirs: $(ls "$S/overlay2" | wc -l)"

log "rm refuses an image in use, untag/rm/prune collect layers"
"$NDI" --root "$S4" rm img:one "$id1" >/dev/null 2>&1 || fail "rm of an unused tag failed"
M=$("$NDI" --root "$S4" mount u1 img:two)
"$NDI" --root "$S4" rm img:two 2>/dev/null && fail "rm of a mounted image succeeded"
"$NDI" --root "$S4" rm base:1 "$id1" 2>/dev/null && fail "rm of an in-use image succeeded"
"$NDI" --root "$S4" umount u1
"$NDI" --root "$S4" rm img:two >/dev/null
"$NDI" --root "$S4" rm base:1 >/dev/null
"$NDI" --root "$S4" prune -a >/dev/null
assert_eq "$(ls "$S4/overlay2" | grep -vc '^l$' || true)" 0 "layers left after rm+prune"
assert_eq "$(ls "$S4/blobs/sha256" | wc -l)" 0 "blobs left after rm+prune"
assert_eq "$(ls "$S4/overlay2/l" | wc -l)" 0 "short links left"
msg=$("$NDI" --root "$S4" rm nosuch:tag 2>&1) && fail "rm of a missing tag succeeded"
echo "$msg" | grep >/dev/null 'no such image' || fail "rm of a missing tag: $msg"

log "concurrent imports and reads on one handle"
S6=$T/store6
"$NDI" --root "$S6" stress 8 "$T/bb.tar" || fail "concurrent imports"
[ "$(ls "$S6/overlay2" | grep -vc '^l$')" = 1 ] || fail "concurrent imports stored the layer more than once"
[ -z "$(ls "$S6/tmp")" ] || fail "temp dirs left by concurrent imports"

log "120 layers still mount (short l/ links)"
S5=$T/store5
prev=$("$NDI" --root "$S5" import "$T/bb.tar" deep:0)
for i in $(seq 1 119); do
  rm -rf "$T/d"; mkdir -p "$T/d/deep"; echo $i > "$T/d/deep/f$i"
  prev=$("$NDI" --root "$S5" commit "$T/d" "$prev")
done
M=$("$NDI" --root "$S5" mount deep1 "$prev")
assert_eq "$(ls "$M/deep" | wc -l)" 119 "files from 119 layers"
assert_eq "$(cat "$M/deep/f119")" 119 "top layer content"
"$NDI" --root "$S5" umount deep1
echo PASS
