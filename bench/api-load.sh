#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# netd API under load: 10,000 requests from 16 concurrent clients, twice,
# with requests/s and RSS. Runs netd in a throwaway network namespace.
# usage: bench/api-load.sh [REQUESTS] [CLIENTS]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${NETD_BUILD:-$src/build}
n=${1:-10000}; c=${2:-16}
T=$(mktemp -d /tmp/netd-bench.XXXXXX)
cleanup() { [ -n "${pid-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
# its own network and mount namespaces: the bridge, rules and netns mounts netd makes die with it
echo '{"userland-proxy": true}' > "$T/netd.json"   # nothing attaches to the host's cgroups
unshare --net --mount --propagation private -- "$build/netd/netd" --root "$T/root" --exec-root "$T/run" --socket "$T/netd.sock" --config "$T/netd.json" \
  --log-level warn &
pid=$!
for _ in $(seq 200); do curl -sf --unix-socket "$T/netd.sock" http://x/_ping >/dev/null && break; sleep 0.02; done
# unshare execs netd: $pid is netd
python3 "$src/bench/api-load.py" "$T/netd.sock" "$pid" --requests "$n" --clients "$c" --path /info
python3 "$src/bench/api-load.py" "$T/netd.sock" "$pid" --requests "$n" --clients "$c" --path /_ping
