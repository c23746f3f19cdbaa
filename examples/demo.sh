#!/usr/bin/env bash
# Runs inside a private network + mount namespace (see scripts/demo.sh).
set -euo pipefail
build=$1
T=$(mktemp -d /tmp/netd-demo.XXXXXX)
export NETD_HOST=unix://$T/netd.sock
mount -t tmpfs netd-demo /run/netns
ip link set lo up
cleanup() {
  set +e
  [ -n "${pid-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

"$build/netd/netd" --root "$T/root" --exec-root "$T/run" --socket "$T/netd.sock" --log-level warn &
pid=$!
for _ in $(seq 250); do curl -sf --unix-socket "$T/netd.sock" http://x/_ping >/dev/null && break; sleep 0.02; done
netctl() { "$build/cli/netctl" "$@"; }

step netctl version
step netctl info
printf '\nnetd answered from its own network namespace; stopping it and cleaning up.\n'
