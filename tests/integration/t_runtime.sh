#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# runtime: real containers from a busybox rootfs through netd-shim.
# Runs in its own pid namespace as well (bash is its PID 1), so that shims
# orphaned on purpose are reaped and nothing can outlive the test.
if [ -z "${RT_IN_PIDNS:-}" ]; then
  export RT_IN_PIDNS=1
  exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

RT=$NETD_BUILD/tests/tools/nd-rt-test
[ -x "$RT" ] || skip "nd-rt-test not built ($RT)"
[ -x /bin/busybox ] || skip "/bin/busybox missing (package busybox-static)"
command -v jq >/dev/null || skip "jq missing"
[ -d /sys/fs/cgroup ] || skip "no /sys/fs/cgroup"

CGP=netd-t-$$
# every cgroup dir of ours, in every hierarchy, even when a test failed
cg_cleanup() {
  find /sys/fs/cgroup -maxdepth 6 -type d -name "$CGP" 2>/dev/null | while read -r d; do
    find "$d" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
    rmdir "$d"
  done
}
rt_cleanup() { for d in "$T"/st-*; do [ -d "$d" ] && "$RT" delete "$d"; done; }
on_exit cg_cleanup
on_exit rt_cleanup

# ---- a busybox rootfs ----------------------------------------------------------
ROOTFS=$T/rootfs
mkdir -p "$ROOTFS"/{bin,etc,proc,sys,dev,tmp,root}
cp /bin/busybox "$ROOTFS/bin/"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$ROOTFS/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' >"$ROOTFS/etc/passwd"
printf 'root:x:0:\nwheel:x:10:root\nnogroup:x:65534:\n' >"$ROOTFS/etc/group"

n=0
# run [opts] -- cmd: output in $T/out, $T/err; exit code in $rc
run() {
  n=$((n + 1))
  set +e
  "$RT" run --rootfs "$ROOTFS" --cgroup-parent "$CGP" --state-dir "$T/st-$n" "$@" >"$T/out" 2>"$T/err"
  rc=$?
  set -e
}
start() { # start [opts] -- cmd: detached; prints the state dir
  n=$((n + 1))
  "$RT" run --rootfs "$ROOTFS" --cgroup-parent "$CGP" --state-dir "$T/st-$n" --detach --quiet "$@"
  echo "$T/st-$n"
}
cg_paths() { jq -r '.cgroup.paths[]' "$1/state.json"; }
assert_no_cgroups() { for p in "$@"; do [ ! -e "$p" ] || fail "cgroup $p left behind"; done; }

log "exit codes"
run -- sh -c 'exit 42'; assert_eq "$rc" 42 "sh -c 'exit 42'"
run -- nope; assert_eq "$rc" 127 "missing command: $(cat "$T/err")"
grep -qF 'exec: "nope": executable file not found in $PATH' "$T/err" || fail "message: $(cat "$T/err")"
run -- /etc/passwd; assert_eq "$rc" 126 "not executable"
grep -q 'permission denied' "$T/err" || fail "126 message: $(cat "$T/err")"
run --user bob -- true; assert_eq "$rc" 125 "bad user"
grep -q 'unable to find user bob' "$T/err" || fail "bad user message: $(cat "$T/err")"
[ ! -e "$T/st-$n" ] || fail "state dir left after a failed start"
[ -z "$(find /sys/fs/cgroup -maxdepth 6 -path "*/$CGP/*" -type d 2>/dev/null)" ] || fail "cgroup left after failed starts"

log "pid namespace, hostname, user"
run --hostname web1 -- sh -c 'echo $$; ps >/tmp/ps; tail -n +2 /tmp/ps | wc -l; hostname'
assert_eq "$(sed -n 1p "$T/out")" 1 "PID inside"
assert_eq "$(sed -n 2p "$T/out")" 2 "processes visible (sh + ps)"
assert_eq "$(sed -n 3p "$T/out")" web1 "hostname"
run --user nobody -- sh -c 'id -u; id -g; echo $HOME; grep CapEff /proc/self/status'
assert_eq "$(tr '\n' ' ' <"$T/out")" "65534 65534 /nonexistent CapEff:	0000000000000000 " "user nobody"
run --user 1000:1000 -- id
assert_eq "$(cat "$T/out")" "uid=1000 gid=1000 groups=1000" "numeric user"

log "capabilities, no_new_privs, seccomp"
run -- cat /proc/self/status
for k in CapEff CapPrm CapBnd; do
  assert_eq "$(awk -v k="$k:" '$1==k {print $2}' "$T/out")" 00000000a80425fb "$k"
done
assert_eq "$(awk '$1=="CapInh:" {print $2}' "$T/out")" 0000000000000000 CapInh
assert_eq "$(awk '$1=="NoNewPrivs:" {print $2}' "$T/out")" 1 NoNewPrivs
assert_eq "$(awk '$1=="Seccomp:" {print $2}' "$T/out")" 2 Seccomp
run -- sh -c 'unshare -U true 2>/dev/null; echo $?; mount -t tmpfs t /mnt 2>/dev/null; echo $?'
assert_eq "$(tr '\n' ' ' <"$T/out")" "1 1 " "unshare and mount are refused"
if [ -d /sys/fs/cgroup/devices ]; then   # v1 devices cgroup: Docker's device rules
  run -- sh -c 'mknod /tmp/blk b 7 0 && echo mknod-ok; head -c1 /tmp/blk >/dev/null 2>&1 || echo read-denied; echo x >/dev/null && echo null-ok; rm -f /tmp/blk'
  assert_eq "$(tr '\n' ' ' <"$T/out")" "mknod-ok read-denied null-ok " "device access"
fi

log "mounts"
printf '127.0.0.1 localhost\n10.1.2.3 web1\n' >"$T/hosts"
printf 'nameserver 10.1.2.1\n' >"$T/resolv.conf"
printf 'web1\n' >"$T/hostname"
run --bind "$T/hosts:/etc/hosts" --bind "$T/resolv.conf:/etc/resolv.conf:ro" --bind "$T/hostname:/etc/hostname" -- sh -c '
  cat /etc/hosts /etc/resolv.conf /etc/hostname
  echo x >> /etc/resolv.conf 2>/dev/null && echo resolv-writable
  grep -E " (/|/proc|/sys|/dev|/dev/pts|/dev/shm|/dev/mqueue|/etc/hosts|/proc/sys) " /proc/mounts | awk "{print \$2, \$3, substr(\$4,1,2)}"
  readlink /dev/ptmx; ls -l /dev/null | cut -c1-10; ls /dev | tr "\n" " "
  grep -o "ptmxmode=[0-9]*" /proc/mounts
  echo 1 > /proc/sysrq-trigger 2>/dev/null || echo sysrq-ro
  echo x > /sys/kernel/uevent_helper 2>/dev/null || echo sys-ro
  wc -c < /proc/timer_list 2>/dev/null || echo masked'
o=$(cat "$T/out")
for want in "10.1.2.3 web1" "nameserver 10.1.2.1" "/proc proc rw" "/sys sysfs ro" "/dev tmpfs rw" \
            "/dev/pts devpts rw" "/dev/shm tmpfs rw" "/dev/mqueue mqueue rw" "/proc/sys proc ro" \
            "pts/ptmx" "crw-rw-rw-" "ptmxmode=666" "sysrq-ro" "sys-ro"; do
  grep -qF -- "$want" <<<"$o" || fail "mounts: '$want' missing in: $o"
done
! grep -q resolv-writable <<<"$o" || fail "read-only bind is writable"
for d in full null random tty urandom zero shm mqueue pts; do grep -qw "$d" <<<"$o" || fail "/dev/$d missing"; done

log "logs are json-file lines"
run -- sh -c 'echo out1; echo err1 >&2; printf "no newline"' --keep
n_keep=$n
run --keep -- sh -c 'echo out1; echo err1 >&2; printf "quote\" and tab\t"'
lf=$T/st-$n/container.log
jq -e -s 'length == 3' "$lf" >/dev/null || fail "log lines: $(cat "$lf")"
jq -e -s '.[0].log == "out1\n" and .[0].stream == "stdout" and (.[0].time | test("^[0-9-]+T[0-9:]+\\.[0-9]{9}Z$"))' "$lf" >/dev/null \
  || fail "log line 1: $(head -1 "$lf")"
jq -e -s 'map(select(.stream == "stderr"))[0].log == "err1\n"' "$lf" >/dev/null || fail "stderr line"
jq -e -s '.[2].log == "quote\" and tab\t"' "$lf" >/dev/null || fail "partial line: $(tail -1 "$lf")"
paths=$(cg_paths "$T/st-$n")
assert_no_cgroups $paths   # removed by the shim at exit
"$RT" delete "$T/st-$n"; [ ! -e "$T/st-$n" ] || fail "delete left the state dir"
"$RT" delete "$T/st-$n" || fail "delete is not idempotent"
: "$n_keep"

log "memory limit: 64 MB kills a hog"
run --memory 67108864 -- sh -c 'exec dd if=/dev/zero of=/dev/null bs=200M count=1'
assert_eq "$rc" 137 "OOM exit code"
grep -q 'oom_killed=1' "$T/err" || fail "OOM flag: $(cat "$T/err")"
run --memory 67108864 -- sh -c 'dd if=/dev/zero of=/dev/null bs=16M count=1 2>/dev/null && echo fits'
assert_eq "$(cat "$T/out")" fits "16M under a 64M limit"

log "pids limit stops a fork bomb"
run --pids 20 -- sh -c 'for i in $(seq 50); do sleep 5 & done; echo all-started'
[ "$rc" != 0 ] || fail "50 sleeps under pids=20 all started"
grep -q "can't fork" "$T/err" || fail "no fork failure: $(cat "$T/err")"
! grep -q all-started "$T/out" || fail "the loop completed"

log "cpu limits land in the cgroup"
sd=$(start --cpu-shares 512 --cpu-quota 50000 --cpu-period 100000 --pids 30 --memory 100000000 -- sleep 30)
for p in $(cg_paths "$sd"); do
  [ -f "$p/cpu.shares" ] && { assert_eq "$(cat "$p/cpu.shares")" 512 cpu.shares; assert_eq "$(cat "$p/cpu.cfs_quota_us")" 50000 quota; }
  [ -f "$p/cpu.max" ] && assert_eq "$(cat "$p/cpu.max")" "50000 100000" cpu.max
  [ -f "$p/pids.max" ] && assert_eq "$(cat "$p/pids.max")" 30 pids.max
  [ -f "$p/memory.limit_in_bytes" ] && assert_eq "$(cat "$p/memory.limit_in_bytes")" 99999744 memory
done
paths=$(cg_paths "$sd")
"$RT" delete "$sd"   # a running container: killed, cgroups removed
assert_no_cgroups $paths
[ ! -e "$sd" ] || fail "state dir left"

log "network namespace"
mk_netns rt-ns
ip -n rt-ns link add rt-br0 type bridge
run --net /run/netns/rt-ns -- sh -c 'ls /sys/class/net | tr "\n" " "; cat /proc/net/dev | grep -c :'
assert_eq "$(cat "$T/out")" "lo rt-br0 2" "interfaces in the container's netns"
run -- sh -c 'ls /sys/class/net | grep -c rt-br0'
assert_eq "$(cat "$T/out")" 0 "host netns (of the test) has no rt-br0"

log "the container outlives nd-rt-test; the shim keeps the logs and the exit code"
n=$((n + 1)); sd=$T/st-$n
setsid "$RT" run --rootfs "$ROOTFS" --cgroup-parent "$CGP" --state-dir "$sd" -- \
  sh -c 'i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.05; done' >/dev/null 2>&1 &
runner=$!
poll 10 test -s "$sd/container.log" || fail "no output from the container"
kill -KILL -- -"$runner"   # the whole process group, as a crash of the daemon would
wait "$runner" 2>/dev/null || true
shim=$(jq .shim_pid "$sd/state.json"); cpid=$(jq .pid "$sd/state.json")
sleep 0.3
kill -0 "$shim" || fail "shim died with its parent"
kill -0 "$cpid" || fail "container died with nd-rt-test"
l1=$(wc -l <"$sd/container.log"); sleep 0.4; l2=$(wc -l <"$sd/container.log")
[ "$l2" -gt "$l1" ] || fail "log did not grow after nd-rt-test died ($l1 -> $l2)"
assert_eq "$("$RT" state "$sd" | jq -r .status)" running "re-adopted state"
paths=$(cg_paths "$sd")
"$RT" kill "$sd" KILL
set +e; "$RT" wait "$sd" >"$T/out"; rc=$?; set -e
assert_eq "$rc" 137 "exit code of a killed container"
jq -e '.exit_code == 137 and .signal == 9' "$sd/exit.json" >/dev/null || fail "exit.json: $(cat "$sd/exit.json")"
assert_eq "$("$RT" state "$sd" | jq -r .status)" exited "state after exit"
assert_no_cgroups $paths
"$RT" delete "$sd"

log "init: a reaping PID 1 that forwards signals"
run --init -- sh -c 'echo $$; (sleep 0.1 &); sleep 0.4; ps -o stat | grep -c Z; tr -d "\0" </proc/1/cmdline; echo; exit 7'
assert_eq "$rc" 7 "exit code through init"
assert_eq "$(sed -n 1p "$T/out")" 2 "the command is not PID 1 under init"
assert_eq "$(sed -n 2p "$T/out")" 0 "zombies under init"
assert_eq "$(sed -n 3p "$T/out")" "init" "PID 1's command line under init"
sd=$(start --init -- sh -c 'trap "exit 9" TERM; while :; do sleep 0.05; done')
sleep 0.3
"$RT" kill "$sd" TERM
set +e; "$RT" wait "$sd" >/dev/null; rc=$?; set -e
assert_eq "$rc" 9 "SIGTERM forwarded by init"
"$RT" delete "$sd"

log "exec into a running container"
sd=$(start --hostname exec1 -- sleep 30)
set +e
"$RT" exec "$sd" -- sh -c 'hostname; ps -o pid,comm | grep -c sleep; grep Seccomp: /proc/self/status; grep CapEff /proc/self/status; cat /proc/1/comm' >"$T/out" 2>"$T/err"; rc=$?
set -e
assert_eq "$rc" 0 "exec: $(cat "$T/err")"
assert_eq "$(tr '\n' ' ' <"$T/out")" "exec1 1 Seccomp:	2 CapEff:	00000000a80425fb sleep " "exec sees the container"
set +e; "$RT" exec "$sd" -- nope 2>"$T/err"; rc=$?; set -e
assert_eq "$rc" 127 "exec of a missing command"
set +e; "$RT" exec "$sd" -- sh -c 'exit 3'; rc=$?; set -e
assert_eq "$rc" 3 "exec exit code"
set +e; "$RT" exec "$sd" --user nobody -- id -u >"$T/out"; set -e
assert_eq "$(cat "$T/out")" 65534 "exec --user"
"$RT" delete "$sd"

log "tty: pty in the container, attach, resize"
run --tty -- sh -c 'tty; stty size'
grep -q '^/dev/pts/0' "$T/out" || fail "tty: $(cat "$T/out")"
sd=$(start --tty -- sh)
printf 'stty size; echo hello-$((6*7)); exit 5\n' | timeout 10 "$RT" attach "$sd" >"$T/out" || true
grep -q 'hello-42' "$T/out" || fail "attach output: $(cat "$T/out")"
grep -q '^24 80' "$T/out" || fail "resize: $(cat "$T/out")"
set +e; "$RT" wait "$sd" >/dev/null; rc=$?; set -e
assert_eq "$rc" 5 "tty exit code"
"$RT" delete "$sd"

[ -z "$(find /sys/fs/cgroup -maxdepth 6 -path "*/$CGP/*" -type d 2>/dev/null)" ] || fail "cgroups left behind"
echo "PASS: runtime"
