#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mk-busybox-image.sh OUT.tar [--oci DIR[:TAG]]
# Builds a small busybox rootfs tar from Debian's busybox-static package (no
# registry involved): /bin/busybox, its applet symlinks, /etc/passwd with root
# and nobody, /etc/group, /tmp, /root, /dev, /proc, /sys, ... The tar is
# `docker import`-able (and `nd-images-test import`-able). With --oci, also
# writes an OCI image layout (one layer, via umoci) at DIR, tag TAG (default latest).
set -euo pipefail

usage() { echo "usage: $0 OUT.tar [--oci DIR[:TAG]]" >&2; exit 2; }
[ $# -ge 1 ] || usage
out=$1; shift
oci=
while [ $# -gt 0 ]; do
  case $1 in
    --oci) oci=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done

bb=/bin/busybox
[ -x "$bb" ] || { echo "$bb missing: apt-get install busybox-static" >&2; exit 1; }
if ! file -L "$bb" 2>/dev/null | grep -q 'statically linked'; then
  ldd "$bb" >/dev/null 2>&1 && { echo "$bb is not static (install busybox-static)" >&2; exit 1; }
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
r=$work/rootfs
mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,var/tmp,home,dev,proc,sys,run}
install -m 0755 "$bb" "$r/bin/busybox"
"$bb" --list-full | while read -r applet; do
  [ "$applet" = bin/busybox ] && continue
  mkdir -p "$r/$(dirname "$applet")"
  ln -sf /bin/busybox "$r/$applet"
done
chmod 1777 "$r/tmp" "$r/var/tmp"
chmod 0700 "$r/root"
cat > "$r/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$r/etc/group" <<'G'
root:x:0:
nogroup:x:65534:
G
cat > "$r/etc/shadow" <<'S'
root:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
S
chmod 0640 "$r/etc/shadow"
echo 'hosts: files dns' > "$r/etc/nsswitch.conf"
echo busybox > "$r/etc/hostname"
# reproducible: fixed owners and mtimes, sorted names
tar --numeric-owner --owner=0 --group=0 --sort=name --mtime='2024-01-01 00:00:00Z' \
    -C "$r" -cf "$out" .
echo "wrote $out ($(du -h "$out" | cut -f1), $(tar -tf "$out" | wc -l) entries)" >&2

if [ -n "$oci" ]; then
  command -v umoci >/dev/null || { echo "umoci missing" >&2; exit 1; }
  dir=${oci%%:*}; tag=latest
  [ "$dir" != "$oci" ] && tag=${oci#*:}
  [ -d "$dir" ] || umoci init --layout "$dir"
  umoci new --image "$dir:$tag"
  umoci raw add-layer --image "$dir:$tag" "$out"
  umoci config --image "$dir:$tag" --config.cmd /bin/sh --config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin
  echo "wrote OCI layout $dir:$tag" >&2
fi
