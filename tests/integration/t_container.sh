#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
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

log "networks: --net, names through /etc/hosts, isolation"
netctl network create n1 >/dev/null
netctl network create n2 >/dev/null
netctl run -d --name srv --net n1 bb sleep 300 >/dev/null
srv_ip=$(netctl inspect srv | jq -r '.[0].NetworkSettings.Networks.n1.IPAddress')
[[ "$srv_ip" == 172.* ]] || fail "srv address: $srv_ip"
netctl run --rm --net n1 bb ping -c1 -W2 srv >/dev/null || fail "ping srv by name from n1"
netctl run --rm --net n1 bb ping -c1 -W2 "$srv_ip" >/dev/null || fail "ping srv by address from n1"
set +e; netctl run --rm --net n2 bb ping -c1 -W1 "$srv_ip" >/dev/null 2>&1; rc=$?; set -e
[ $rc -ne 0 ] || fail "a container on n2 reached srv on n1"
out=$(netctl run --rm --net n1 --ip 172.18.0.50 --hostname web --add-host db:10.1.2.3 --dns 9.9.9.9 bb \
      sh -c 'ip -o -4 addr show eth0; hostname; cat /etc/hostname; cat /etc/hosts; cat /etc/resolv.conf')
[[ "$out" == *"inet 172.18.0.50/16"* ]] || fail "--ip: $out"
[[ "$(echo "$out" | sed -n 2p)" == web && "$(echo "$out" | sed -n 3p)" == web ]] || fail "--hostname: $out"
echo "$out" | grep -qP '^172\.18\.0\.50\tweb$' || fail "own address in hosts: $out"
echo "$out" | grep -qP '^10\.1\.2\.3\tdb$' || fail "--add-host: $out"
# a user-defined network: the embedded resolver, --dns its upstream
echo "$out" | grep -qx 'nameserver 127.0.0.11' || fail "--dns on n1: $out"
[[ "$(netctl run --rm --dns 9.9.9.9 bb cat /etc/resolv.conf)" == *"nameserver 9.9.9.9"* ]] || fail "--dns on bridge"
out=$(netctl run --rm --net n1 --net n2 bb ip -o -4 addr)
[[ "$out" == *"eth0"*172.18.* && "$out" == *"eth1"* ]] || fail "two networks: $out"
assert_eq "$(netctl run --rm --net none bb sh -c 'ls /sys/class/net | tr "\n" " "')" "lo " "--net none"
[[ "$(netctl run --rm --net host bb ls /sys/class/net)" == *br-* ]] || fail "--net host does not see the host's bridges"
[[ "$(netctl run --rm --net container:srv bb ip -o -4 addr show eth0)" == *"$srv_ip"* ]] || fail "--net container:srv"
netctl network connect n2 srv
n2ip=$(netctl inspect srv | jq -r '.[0].NetworkSettings.Networks.n2.IPAddress')
[[ "$n2ip" == 172.* ]] || fail "connect on a running container: $n2ip"
netctl run --rm --net n2 bb ping -c1 -W2 "$n2ip" >/dev/null || fail "n2 cannot reach srv after connect"
netctl network disconnect n2 srv
[ "$(netctl inspect srv | jq -r '.[0].NetworkSettings.Networks.n2')" = null ] || fail "disconnect"

log "exec"
assert_eq "$(netctl exec srv hostname)" "$(netctl inspect srv | jq -r '.[0].Config.Hostname')" "exec hostname"
[ "$(netctl exec srv sh -c 'echo $$')" -lt 20 ] || fail "exec is not in the container's pid namespace"
[[ "$(netctl exec srv ip -o -4 addr show eth0)" == *"$srv_ip"* ]] || fail "exec net ns"
[ "$(netctl exec srv cat /proc/1/cmdline | tr '\0' ' ')" = "sleep 300 " ] || fail "exec does not see the container's PID 1"
st=$(netctl exec srv cat /proc/self/status)
[[ "$st" == *"CapEff:	00000000a80425fb"* && "$st" == *"CapBnd:	00000000a80425fb"* && "$st" == *"NoNewPrivs:	1"* ]] \
  || fail "exec'd process has more than the container's capabilities: $(echo "$st" | grep -E 'Cap|NoNew')"
set +e; netctl exec srv sh -c 'exit 7'; rc=$?; netctl exec srv nope 2>/dev/null; rc2=$?; set -e
assert_eq "$rc" 7 "exec exit code"
assert_eq "$rc2" 127 "exec missing command"

log "bad input leaves nothing behind"
snap() { echo "ctr=$(netctl ps -aq | wc -l) sb=$(netctl sandbox ls -q | wc -l) ep=$(api GET /endpoints | jq length) mounts=$(ctr_mounts) veth=$(ctr_veths) cg=$(ctr_cgroups | wc -l)"; }
before=$(snap)
bad() { # bad EXPECTED_RC TEXT ARGS...
  local want=$1 text=$2; shift 2
  set +e; out=$(netctl run --rm "$@" 2>&1); rc=$?; set -e
  [ "$rc" = "$want" ] || fail "run $*: rc $rc, expected $want: $out"
  [[ "$out" == *"$text"* ]] || fail "run $*: unclear error: $out"
}
bad 125 "No such image" nosuchimage true
bad 125 "no such network" --net nosuchnet bb true
bad 125 "no such container" --net container:nosuch bb true
bad 125 "Minimum memory" -m 1m bb true
bad 125 "unable to find user" --net n1 -u bob bb true
bad 127 "executable file not found" --net n1 bb nope
bad 125 "already in use" --name srv bb true
bad 125 "invalid restart policy" --restart sometimes bb true
bad 125 "not in any subnet" --net n1 --ip 10.9.9.9 bb true
bad 125 "in use" --net n1 --ip "$srv_ip" bb true
assert_eq "$(snap)" "$before" "bad input changed something"

log "stop, kill, restart"
netctl run -d --name s2 bb sleep 300 >/dev/null
t0=$(date +%s%N); netctl stop -t 1 s2 >/dev/null; t1=$(date +%s%N)
assert_eq "$(netctl inspect s2 | jq -r '.[0].State.ExitCode')" 137 "stop: SIGKILL after -t (PID 1 ignores TERM)"
[ $(( (t1 - t0) / 1000000 )) -ge 900 ] || fail "stop did not wait -t 1"
netctl run -d --init --name s3 bb sleep 300 >/dev/null
netctl kill -s TERM s3 >/dev/null
assert_eq "$(netctl wait s3)" 143 "kill -s TERM through --init"
netctl start s2 >/dev/null
pid1=$(netctl inspect s2 | jq -r '.[0].State.Pid')
netctl restart -t 0 s2 >/dev/null
pid2=$(netctl inspect s2 | jq -r '.[0].State.Pid')
[ "$pid2" != "$pid1" ] && [ "$(netctl inspect s2 | jq -r '.[0].State.Running')" = true ] || fail "restart: $pid1 -> $pid2"
set +e; out=$(netctl rm s2 2>&1); rc=$?; set -e
[ $rc -ne 0 ] && [[ "$out" == *"cannot remove a running"* ]] || fail "rm of a running container: $out"
netctl rm -f s2 s3 >/dev/null

log "restart policy"
netctl run -d --name rp --restart on-failure:2 bb sh -c 'echo run; exit 1' >/dev/null
poll 10 bash -c '[ "$('"$NETCTL_BIN"' inspect rp | jq -r ".[0].State.Status")" = exited ] && [ "$('"$NETCTL_BIN"' inspect rp | jq -r ".[0].RestartCount")" = 2 ]' \
  || fail "on-failure:2: $(netctl inspect rp | jq -c '.[0] | [.State.Status, .RestartCount]')"
assert_eq "$(netctl logs rp | wc -l)" 3 "three runs logged"
netctl rm rp >/dev/null
netctl run -d --name ra --restart always bb sh -c 'exit 0' >/dev/null
poll 10 bash -c '[ "$('"$NETCTL_BIN"' inspect ra | jq -r ".[0].RestartCount")" -ge 2 ]' || fail "always does not restart"
netctl stop ra >/dev/null
sleep 0.5
st=$(netctl inspect ra | jq -r '.[0].State.Status')
[ "$st" = exited ] || fail "always after stop: $st"
netctl rm ra >/dev/null

log "run -it: a real pty"
command -v script >/dev/null || skip "script (util-linux) missing"
set +e
out=$(printf 'echo in-$((6*7))\nexit 5\n' | script -qec "$NETCTL_BIN run -it --rm bb sh" /dev/null); rc=$?
set -e
assert_eq "$rc" 5 "run -it exit code"
[[ "$out" == *"in-42"* ]] || fail "run -it output: $out"
set +e
out=$(script -qec "$NETCTL_BIN run -t --rm bb tty" /dev/null 2>&1); rc=$?
set -e
[ $rc -eq 0 ] && [[ "$out" == *"/dev/pts/0"* ]] || fail "run -t: exit $rc, output: $out"

netctl rm -f srv >/dev/null
netctl network rm n1 n2 >/dev/null
poll 10 bash -c '[ "$(ip -o link show type veth | wc -l)" = 0 ]' || fail "veths left: $(ip -o link show type veth)"
assert_eq "$(ctr_cgroups)" "" "cgroups left"
echo ok
