#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Puts Debian's etcd server binary (etcd-server, 3.4) where the cluster-store
# tests and the multi-host lab (examples/lab/lab) look for it,
# ${XDG_CACHE_HOME:-/var/cache}/netd-test/etcd, without installing the
# package: installing it would enable and start an etcd service on this
# machine. `apt-get download` + `dpkg-deb -x`, like fetch-registry.sh.
# Run it once on a machine with the Debian archive reachable.
set -euo pipefail
cache=${XDG_CACHE_HOME:-/var/cache}/netd-test
if [ -x "$cache/etcd" ]; then
  echo "fetch-etcd: $cache/etcd is there ($("$cache/etcd" --version 2>/dev/null | head -1))"
  exit 0
fi
dl=$(mktemp -d /tmp/netd-etcd-dl.XXXXXX)
trap 'rm -rf "$dl"' EXIT
id _apt >/dev/null 2>&1 && chown _apt "$dl"   # apt downloads as _apt where it can
(cd "$dl" && timeout 300 apt-get download -q etcd-server)
dpkg-deb -x "$dl"/etcd-server_*.deb "$dl/x"
mkdir -p "$cache"
cp "$dl/x/usr/bin/etcd" "$cache/etcd.new"
mv "$cache/etcd.new" "$cache/etcd"
dpkg-deb -f "$dl"/etcd-server_*.deb Version > "$cache/etcd.version"
echo "fetch-etcd: $cache/etcd ($(cat "$cache/etcd.version"))"
