# SPDX-License-Identifier: Apache-2.0
# Shared helpers for integration tests. Source it first thing:
#   . "$(dirname "$0")/lib.sh"
# The test already runs inside its own network and mount namespace
# (run-one.sh). lib.sh gives it a scratch dir, a netd of its own, and a trap
# that removes everything it made, also on failure.
set -euo pipefail

: "${NETD_BUILD:?NETD_BUILD must point at the build dir}"
: "${NETD_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
NETD_BIN=${NETD_BIN:-$NETD_BUILD/netd/netd}
NETCTL_BIN=${NETCTL_BIN:-$NETD_BUILD/cli/netctl}

T=$(mktemp -d /tmp/netd-test.XXXXXX)
ND_SOCK=$T/netd.sock
ND_ROOT=$T/root
ND_EXEC=$T/run
ND_LOG=$T/netd.log
ND_PID=
_nd_netns=()
_nd_cleanups=()
export NETD_HOST=unix://$ND_SOCK

log() { echo "# $*" >&2; }
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

# on_exit CMD...: run CMD at cleanup (in reverse order of registration)
on_exit() { _nd_cleanups+=("$*"); }

_nd_cleanup() {
  local rc=$?
  set +e
  for ((i=${#_nd_cleanups[@]}-1; i>=0; i--)); do eval "${_nd_cleanups[$i]}" >/dev/null 2>&1; done
  nd_stop >/dev/null 2>&1
  # a container phase change netd refused is a lifecycle bug, whatever the test checked
  if [ $rc -eq 0 ] && [ -f "$ND_LOG" ] && grep -q "refused phase change" "$ND_LOG"; then
    echo "FAIL: netd refused a container phase change:" >&2
    grep "refused phase change" "$ND_LOG" | head -5 >&2
    rc=1
  fi
  for ns in "${_nd_netns[@]}"; do ip netns del "$ns" >/dev/null 2>&1; done
  if [ $rc -ne 0 ] && [ $rc -ne 77 ] && [ -f "$ND_LOG" ]; then
    echo "---- netd log (last 60 lines) ----" >&2; tail -n 60 "$ND_LOG" >&2
  fi
  grep -F " $T" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
  # the containers' cgroup parent, once no container of any netd uses it
  # (it sits under the cgroup of whoever started the shim, at any depth)
  find /sys/fs/cgroup -maxdepth 6 -type d -name netd -exec rmdir {} + 2>/dev/null
  rm -rf "$T"
  exit $rc
}
trap _nd_cleanup EXIT
trap 'exit 130' INT TERM

# poll DEADLINE_SECONDS CMD...: run CMD until it succeeds or the deadline passes.
poll() {
  local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
  while true; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    [ "$(date +%s%N)" -lt $deadline ] || return 1
    sleep 0.02
  done
}

netctl() { "$NETCTL_BIN" "$@"; }

# netd attaches its eBPF port programs to a cgroup; a test's netd gets a
# cgroup of its own (and pins on a bpffs of its own), never the host's root
# cgroup. Tests that pass their own --config add these two keys themselves.
ND_TEST_CG=
ND_TEST_PIN=$T/bpf/netd
nd_test_bpf() {
  [ -n "$ND_TEST_CG" ] && return 0
  local root=/sys/fs/cgroup/unified
  [ "$(stat -fc %T $root 2>/dev/null)" = cgroup2fs ] || root=/sys/fs/cgroup
  if [ "$(stat -fc %T $root 2>/dev/null)" = cgroup2fs ] && mkdir "$root/netd-test-${T##*.}" 2>/dev/null; then
    ND_TEST_CG=$root/netd-test-${T##*.}
    on_exit "cg_drain '$ND_TEST_CG'"
    mkdir -p "$T/bpf" && mount -t bpf bpf "$T/bpf"
  fi
}
# the JSON keys for a test config: eBPF on the test's cgroup, or the userland
# proxy. Call nd_test_bpf first, in the test's own shell (not in "$(...)").
nd_test_bpf_json() {
  if [ -n "$ND_TEST_CG" ]; then
    printf '"bpf-cgroup": "%s", "bpf-pin-path": "%s"' "$ND_TEST_CG" "$ND_TEST_PIN"
  else
    printf '"userland-proxy": true'
  fi
}

# nd_start [extra netd flags]: start netd on the test's private dirs, wait for _ping.
nd_start() {
  mkdir -p "$ND_ROOT" "$ND_EXEC"
  local a has_config=
  for a in "$@"; do [ "$a" = --config ] && has_config=1; done
  if [ -z "$has_config" ]; then
    nd_test_bpf
    printf '{ %s }\n' "$(nd_test_bpf_json)" > "$T/netd-test.json"
    set -- --config "$T/netd-test.json" "$@"
  fi
  "$NETD_BIN" --root "$ND_ROOT" --exec-root "$ND_EXEC" --socket "$ND_SOCK" \
      --log-level debug "$@" >>"$ND_LOG" 2>&1 &
  ND_PID=$!
  poll 20 curl -sf --unix-socket "$ND_SOCK" http://netd/_ping || { cat "$ND_LOG" >&2; fail "netd did not answer /_ping"; }
}

# nd_stop: SIGTERM and wait for exit (bounded), SIGKILL if it hangs.
nd_stop() {
  [ -n "$ND_PID" ] || return 0
  kill -TERM "$ND_PID" 2>/dev/null || true
  poll 10 bash -c "! kill -0 $ND_PID" || kill -KILL "$ND_PID" 2>/dev/null || true
  wait "$ND_PID" 2>/dev/null || true
  ND_PID=
}

# nd_kill: SIGKILL, as a crash would.
nd_kill() {
  [ -n "$ND_PID" ] || return 0
  kill -KILL "$ND_PID" 2>/dev/null || true
  wait "$ND_PID" 2>/dev/null || true
  ND_PID=
}

# cg_drain DIR: kill whatever is left in a test's own cgroup, wait until it is
# empty (bounded), then remove it. Use in on_exit for cgroups a test makes.
cg_drain() {  # kills what runs in the cgroup and in those below it, then removes them, deepest first
  local cg=$1 pids d
  [ -d "$cg" ] || return 0
  while read -r d; do
    for _ in $(seq 100); do
      pids=$(cat "$d/cgroup.procs" 2>/dev/null)
      [ -z "$pids" ] && break
      kill -KILL $pids 2>/dev/null; sleep 0.05
    done
    rmdir "$d"
  done < <(find "$cg" -depth -type d)
}

# mk_netns NAME: a named netns removed at exit (lo up).
mk_netns() {
  ip netns add "$1"
  _nd_netns+=("$1")
  ip -n "$1" link set lo up
}

# in_ns NAME CMD...: run CMD in named netns without remounting /sys.
in_ns() { local ns=$1; shift; nsenter --net=/run/netns/"$ns" -- "$@"; }

api() { # api METHOD PATH [JSON]: print body, return 0 on 2xx
  local m=$1 p=$2 d=${3-}
  if [ -n "$d" ]; then
    curl -sS --fail-with-body --unix-socket "$ND_SOCK" -X "$m" -H 'Content-Type: application/json' -d "$d" "http://netd$p"
  else
    curl -sS --fail-with-body --unix-socket "$ND_SOCK" -X "$m" "http://netd$p"
  fi
}
api_status() { # api_status METHOD PATH [JSON]: print the HTTP status only
  local m=$1 p=$2 d=${3-}
  curl -s -o /dev/null -w '%{http_code}' --unix-socket "$ND_SOCK" -X "$m" ${d:+-H 'Content-Type: application/json' -d "$d"} "http://netd$p"
}

# Note: with pipefail, `cmd | grep -q` can fail when grep exits early and cmd
# gets SIGPIPE; capture output first ("$(cmd)") and match on the string, or:
# has [GREP-OPTS] PATTERN CMD...: CMD succeeds and its output matches.
has() {
  local opts=() pat out
  while [[ $1 == -* ]]; do opts+=("$1"); shift; done
  pat=$1; shift
  out=$("$@") || return 1
  grep -q "${opts[@]}" -- "$pat" <<<"$out"
}
assert_eq() { [ "$1" == "$2" ] || fail "${3:-values differ}: expected '$2', got '$1'"; }
