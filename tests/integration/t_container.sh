#!/usr/bin/env bash
# Containers: Docker's lifecycle through netd (create/start/wait/logs/rm,
# run --rm/-d, exit codes, bad input leaves nothing behind), networking
# (--net, isolation between networks, --net none/host/container:, --ip,
# /etc/hosts and resolv.conf, connect on a running container), exec,
# stop/kill/restart, restart policy, run -it through a pty.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"

ctr_setup
nd_start

log "exit codes and output"
set +e
out=$(netctl run --rm bb sh -c 'echo out; echo err >&2; exit 42' 2>"$T/err"); rc=$?
set -e
assert_eq "$rc" 42 "run exit code"
assert_eq "$out" out "run stdout"
assert_eq "$(cat "$T/err")" err "run stderr"
assert_eq "$(netctl ps -aq | wc -l)" 0 "--rm left a container"
set +e
netctl run --rm bb nope 2>"$T/err"; rc=$?
set -e
assert_eq "$rc" 127 "missing command"
grep -q 'executable file not found' "$T/err" || fail "127 message: $(cat "$T/err")"
set +e; netctl run --rm bb /etc/passwd 2>/dev/null; rc=$?; set -e
assert_eq "$rc" 126 "not executable"
assert_eq "$(netctl ps -aq | wc -l)" 0 "failed --rm runs left containers"

log "create, start, wait, logs, inspect, rm"
id=$(netctl create --name c1 bb sh -c 'echo hello; echo oops >&2; exit 3')
assert_eq "$(netctl inspect c1 | jq -r '.[0].State.Status')" created "status after create"
netctl start c1 >/dev/null
assert_eq "$(netctl wait c1)" 3 "wait"
assert_eq "$(netctl logs c1 2>/dev/null)" hello "logs stdout"
assert_eq "$(netctl logs c1 2>&1 >/dev/null)" oops "logs stderr"
netctl logs -t c1 2>/dev/null | grep -Eq '^20[0-9-]+T[0-9:.]+Z hello$' || fail "timestamps: $(netctl logs -t c1)"
st=$(netctl inspect c1 | jq -c '.[0].State | [.Status, .Running, .ExitCode]')
assert_eq "$st" '["exited",false,3]' "state after exit"
set +e; out=$(netctl create --name c1 bb true 2>&1); rc=$?; set -e
[ $rc -ne 0 ] && [[ "$out" == *"already in use"* ]] || fail "name taken: $out"
netctl rm c1 >/dev/null
set +e; netctl inspect "$id" >/dev/null 2>&1; rc=$?; set -e
[ $rc -ne 0 ] || fail "container still there after rm"

echo ok
