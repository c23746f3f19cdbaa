#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every Debian package netd needs to build, test and run its demos.
# The lists live in scripts/deps/*.txt (one package a line, # comments), one
# file per module. Idempotent and quick when everything is there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: run as root (apt-get install)" >&2
  exit 1
fi
mapfile -t pkgs < <(cat "$here"/deps/*.txt | sed 's/#.*//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u)
missing=()
for p in "${pkgs[@]}"; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$st" = "install ok installed" ] || missing+=("$p")
done
export DEBIAN_FRONTEND=noninteractive
updated=
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
else
  echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
  apt-get update -q
  updated=1
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Peers whose packages would start a service on this machine are unpacked
# into a cache for the tests, never installed: Debian's docker.io, for its
# CLI only (its dockerd is never started).
if ! "$here/fetch-docker-cli.sh" >/dev/null 2>"/tmp/netd-fetch-docker.$$"; then
  if [ -z "$updated" ]; then apt-get update -q >/dev/null 2>&1 || true; fi
  "$here/fetch-docker-cli.sh" >/dev/null || echo "install-deps: note: Debian's docker CLI not fetched ($(cat "/tmp/netd-fetch-docker.$$")); the docker CLI tests use any docker on PATH" >&2
fi
rm -f "/tmp/netd-fetch-docker.$$"
# Debian's docker-registry likewise (installing it would start a registry service)
if ! "$here/fetch-registry.sh" >/dev/null 2>&1; then
  if [ -z "$updated" ]; then apt-get update -q >/dev/null 2>&1 || true; updated=1; fi
  "$here/fetch-registry.sh" >/dev/null || echo "install-deps: note: Debian's docker-registry not fetched; the registry tests skip" >&2
fi
# Debian's etcd-server likewise (installing it would start an etcd service):
# the cluster-store tests and examples/lab start their own
if ! "$here/fetch-etcd.sh" >/dev/null 2>&1; then
  if [ -z "$updated" ]; then apt-get update -q >/dev/null 2>&1 || true; updated=1; fi
  "$here/fetch-etcd.sh" >/dev/null || echo "install-deps: note: Debian's etcd-server not fetched; the etcd tests and the lab skip" >&2
fi
