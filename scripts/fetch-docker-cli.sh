#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Debian's docker CLI for the compatibility tests, never installed: the
# docker.io package is fetched with `apt-get download` and unpacked with
# `dpkg-deb -x` into ${XDG_CACHE_HOME:-/var/cache}/netd-test/docker.io
# (its usr/bin/docker is the client; its dockerd is never started).
# Prints the client's path; exits 1 with the reason on stderr when it
# cannot be had (no apt, no network, no such package). Idempotent.
set -euo pipefail
cache=${XDG_CACHE_HOME:-/var/cache}/netd-test/docker.io
if [ -x "$cache/usr/bin/docker" ]; then
  echo "$cache/usr/bin/docker"
  exit 0
fi
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || { echo "no apt-get/dpkg-deb to fetch docker.io" >&2; exit 1; }
dl=$(mktemp -d /tmp/netd-docker-dl.XXXXXX)
trap 'rm -rf "$dl"' EXIT
if ! (cd "$dl" && timeout 300 apt-get download -q docker.io >"$dl/apt.log" 2>&1); then
  echo "apt-get download docker.io failed: $(grep -E '^(E|W):' "$dl/apt.log" | head -1) ('apt-get update' first? network?)" >&2
  exit 1
fi
dpkg-deb -x "$dl"/docker.io_*.deb "$dl/x"
[ -x "$dl/x/usr/bin/docker" ] || { echo "docker.io has no usr/bin/docker" >&2; exit 1; }
mkdir -p "$(dirname "$cache")"
rm -rf "$cache.new"
mv "$dl/x" "$cache.new"
dpkg-deb -f "$dl"/docker.io_*.deb Version > "$cache.new/VERSION"
rm -rf "$cache" && mv "$cache.new" "$cache"
echo "$cache/usr/bin/docker"
