#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Puts Debian's etcd server binary (etcd-server, 3.4) where the cluster-store
# tests and the multi-host lab (examples/lab/lab) look for it,
# ${XDG_CACHE_HOME:-/var/cache}/netd-test/etcd, without installing the
# package: installing it would enable and start an etcd service on this
# machine. `apt-get download` + `dpkg-deb -x` (fetch-deb.sh).
# Run it once on a machine with the Debian archive reachable.
set -euo pipefail
cache=${XDG_CACHE_HOME:-/var/cache}/netd-test
if [ -x "$cache/etcd" ]; then
  echo "fetch-etcd: $cache/etcd is there ($("$cache/etcd" --version 2>/dev/null | head -1))"
  exit 0
fi
"$(dirname "$0")/fetch-deb.sh" etcd-server usr/bin/etcd
echo "fetch-etcd: $cache/etcd ($(cat "$cache/etcd.version"))"
