#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/fetch-deb.sh PKG FILE...: Debian package PKG fetched with
# `apt-get download` and unpacked with `dpkg-deb -x`, never installed (its
# package would enable and start a service); each FILE (a path inside the
# package, e.g. usr/bin/etcd) is put into ${XDG_CACHE_HOME:-/var/cache}/netd-test/
# under its base name, with the package's version beside it (NAME.version).
# Used by fetch-etcd.sh and fetch-registry.sh; prints nothing itself and
# exits non-zero (apt-get's or dpkg-deb's status) when PKG cannot be had.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: fetch-deb.sh PKG FILE..." >&2; exit 2; }
pkg=$1
shift
cache=${XDG_CACHE_HOME:-/var/cache}/netd-test
dl=$(mktemp -d "/tmp/netd-$pkg-dl.XXXXXX")
trap 'rm -rf "$dl"' EXIT
id _apt >/dev/null 2>&1 && chown _apt "$dl"   # apt downloads as _apt where it can
(cd "$dl" && timeout 300 apt-get download -q "$pkg")
dpkg-deb -x "$dl/$pkg"_*.deb "$dl/x"
mkdir -p "$cache"
for f in "$@"; do
  name=$(basename "$f")
  cp "$dl/x/$f" "$cache/$name.new"
  mv "$cache/$name.new" "$cache/$name"
  dpkg-deb -f "$dl/$pkg"_*.deb Version > "$cache/$name.version"
done
