#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Puts Debian's docker-registry binary (distribution 2.8) where the registry
# tests and bench/pull.sh look for it, ${XDG_CACHE_HOME:-/var/cache}/netd-test/,
# without installing the package: installing it would enable and start a
# registry service on this machine. `apt-get download` + `dpkg-deb -x`.
# Run it once on a machine with the Debian archive reachable (the tests run
# in network namespaces of their own and cannot fetch anything).
set -euo pipefail
cache=${XDG_CACHE_HOME:-/var/cache}/netd-test
if [ -x "$cache/docker-registry" ]; then
  echo "fetch-registry: $cache/docker-registry is there ($(cat "$cache/docker-registry.version" 2>/dev/null || echo '?'))"
  exit 0
fi
dl=$(mktemp -d /tmp/netd-registry-dl.XXXXXX)
trap 'rm -rf "$dl"' EXIT
id _apt >/dev/null 2>&1 && chown _apt "$dl"   # apt downloads as _apt where it can
(cd "$dl" && timeout 300 apt-get download -q docker-registry)
dpkg-deb -x "$dl"/docker-registry_*.deb "$dl/x"
mkdir -p "$cache"
cp "$dl/x/usr/bin/docker-registry" "$cache/docker-registry.new"
mv "$cache/docker-registry.new" "$cache/docker-registry"
dpkg-deb -f "$dl"/docker-registry_*.deb Version > "$cache/docker-registry.version"
echo "fetch-registry: $cache/docker-registry ($(cat "$cache/docker-registry.version"))"
