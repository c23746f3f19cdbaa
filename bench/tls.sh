#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/tls.sh: what mutual TLS costs on netd's API. Latency (median, p90)
# of GET /_ping and GET /containers/json?all=1 with 100 containers, over the
# unix socket (what a local user has) and over TCP with mutual TLS (what a
# remote client has: Docker's -H tcp:// --tlsverify), each with a new
# connection per request and with keep-alive, as ratios to the unix socket;
# then 2 x 10,000 requests from 16 concurrent TLS clients with netd's RSS
# before and after each round (flat = no per-connection leak).
#
#   sudo NETD_BUILD=build bench/tls.sh [N]
#
# Runs in its own network, mount and pid namespace; the certificates come
# from `netctl tls init`.
set -euo pipefail
N=${1:-300}
SRC=$(cd "$(dirname "$0")/.." && pwd)
: "${NETD_BUILD:=$SRC/build}"
NETD_BUILD=$(cd "$NETD_BUILD" && pwd)
[ "$(id -u)" = 0 ] || { echo "bench/tls.sh: needs root" >&2; exit 77; }
command -v python3 >/dev/null || { echo "bench/tls.sh: python3 missing" >&2; exit 77; }
if [ -z "${BENCH_IN_NS:-}" ]; then
  export BENCH_IN_NS=1 NETD_BUILD
  exec unshare --net --mount --pid --fork --mount-proc --propagation private -- bash "$0" "$@"
fi
ip link set lo up

B=$(mktemp -d /tmp/netd-bench-tls.XXXXXX)
NETCTL=$NETD_BUILD/cli/netctl
export NETD_HOST=unix://$B/netd.sock
NDPID=
cleanup() {
  set +e
  if [ -n "$NDPID" ]; then
    "$NETCTL" ps -aq 2>/dev/null | xargs -r "$NETCTL" rm -f >/dev/null 2>&1
    kill "$NDPID"; wait "$NDPID"
  fi
  grep -F " $B" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l
  rm -rf "$B"
}
trap cleanup EXIT

"$NETCTL" tls init "$B/pki" --host localhost --ip 127.0.0.1 >/dev/null
"$SRC/scripts/mk-busybox-image.sh" "$B/bb.tar" 2>/dev/null
"$NETD_BUILD/tests/tools/nd-images-test" --root "$B/root/images" import "$B/bb.tar" bb >/dev/null
echo '{"userland-proxy": true}' > "$B/netd.json"
P=$B/pki
"$NETD_BUILD/netd/netd" --root "$B/root" --exec-root "$B/run" --socket "$B/netd.sock" --config "$B/netd.json" \
  -H tcp://127.0.0.1:2376 --tlsverify --tlscacert "$P/server/ca.pem" --tlscert "$P/server/cert.pem" \
  --tlskey "$P/server/key.pem" --tls-role role=admin,ou=admin --log-level warn >"$B/netd.log" 2>&1 &
NDPID=$!
for _ in $(seq 200); do "$NETCTL" version >/dev/null 2>&1 && break; sleep 0.05; done
for i in $(seq 100); do "$NETCTL" create --name "c$i" bb sleep 1 >/dev/null; done
echo "netd $("$NETCTL" version --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["Server"]["Version"])'), 100 containers, N=$N requests per line; $(nproc) CPUs"
echo "(python3 http.client/ssl as the client: TLS 1.3, ECDSA P-256 certificates from netctl tls init)"
python3 "$SRC/bench/tls.py" "$B/netd.sock" 127.0.0.1:2376 "$P/admin" "$NDPID" --n "$N"
