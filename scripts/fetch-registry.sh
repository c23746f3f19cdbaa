#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Puts Debian's docker-registry binary (distribution 2.8) where the registry
# tests and bench/pull.sh look for it, ${XDG_CACHE_HOME:-/var/cache}/netd-test/,
# without installing the package: installing it would enable and start a
# registry service on this machine. `apt-get download` + `dpkg-deb -x`
# (fetch-deb.sh).
# Run it once on a machine with the Debian archive reachable (the tests run
# in network namespaces of their own and cannot fetch anything).
set -euo pipefail
cache=${XDG_CACHE_HOME:-/var/cache}/netd-test
if [ -x "$cache/docker-registry" ]; then
  echo "fetch-registry: $cache/docker-registry is there ($(cat "$cache/docker-registry.version" 2>/dev/null || echo '?'))"
  exit 0
fi
"$(dirname "$0")/fetch-deb.sh" docker-registry usr/bin/docker-registry
echo "fetch-registry: $cache/docker-registry ($(cat "$cache/docker-registry.version"))"
