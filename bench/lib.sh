# SPDX-License-Identifier: Apache-2.0
# bench/lib.sh: what the benchmarks that run netd in a throwaway namespace
# share (cni.sh, dns.sh, macvlan.sh, network.sh). Sourced, not run.

# bench/, for the benches' inline Python to import ndapi.py from
ND_BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export ND_BENCH_DIR

# bench_unshare "$@": outside, runs the calling bench again with the same
# arguments inside a new network + mount namespace (and pid namespace, so
# that no process outlives the run); inside (ND_BENCH_INNER set), returns.
# /run/netns is made first: the bench mounts a tmpfs of its own on it.
bench_unshare() {
  [ -n "${ND_BENCH_INNER:-}" ] && return 0
  mkdir -p /run/netns
  exec env ND_BENCH_INNER=1 NETD_BUILD="$NETD_BUILD" unshare --net --mount --pid --fork --mount-proc \
    --propagation private -- bash "$0" "$@"
}

# bench_begin NAME: B, a scratch directory /tmp/netd-bench-NAME.XXXXXX; NETD_PID
# (empty until the bench starts netd); on exit (and on INT/TERM) bench_cleanup.
bench_begin() {
  B=$(mktemp -d "/tmp/netd-bench-$1.XXXXXX")
  NETD_PID=
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

# bench_cleanup: stops $NETD_PID, deletes the namespaces, runs the bench's
# bench_cleanup_more if it has one, unmounts and removes $B; exits with the
# bench's status.
bench_cleanup() {
  local rc=$?
  set +e
  bench_stop "$NETD_PID"
  bench_netns_del
  if declare -F bench_cleanup_more >/dev/null; then bench_cleanup_more; fi
  bench_unmount_rm "$B"
  exit $rc
}

# bench_netd_start [NETD ARGS...]: $NETD on $B/root, $B/run, $B/netd.sock with
# the config $B/netd.json (the bench writes it), logging to $B/netd.log;
# NETD_PID; returns when it answers /_ping (10 s at most, else its log and exit 1).
bench_netd_start() {
  local _
  mkdir -p "$B/root" "$B/run"
  "$NETD" --root "$B/root" --exec-root "$B/run" --socket "$B/netd.sock" --config "$B/netd.json" \
    --log-level warn "$@" >"$B/netd.log" 2>&1 &
  NETD_PID=$!
  for _ in $(seq 200); do curl -sf --unix-socket "$B/netd.sock" http://netd/_ping >/dev/null 2>&1 && return 0; sleep 0.05; done
  cat "$B/netd.log" >&2
  echo "netd did not start" >&2
  exit 1
}

# bench_stop PID: TERM, up to 5 s for it to go, then KILL; nothing when PID is empty.
bench_stop() {
  local pid=$1 _
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

# bench_netns_del: every named network namespace (all are the bench's: /run/netns is its tmpfs).
bench_netns_del() {
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do ip netns del "$ns" 2>/dev/null; done
}

# bench_unmount_rm DIR: the mounts below DIR, the bench's /run/netns, then DIR.
bench_unmount_rm() {
  grep -F " $1" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
  umount -l /run/netns 2>/dev/null
  rm -rf "$1"
}
