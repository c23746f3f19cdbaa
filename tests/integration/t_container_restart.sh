#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Containers outlive netd: SIGKILL netd while 5 containers run; after a
# restart they are re-adopted (ps, logs from before and after, wait's exit
# codes, also for the ones that exited while netd was down). Then 100
# containers started and removed leave no mount, cgroup, netns, veth or
# address behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"

ctr_setup
nd_start
netctl network create n1 >/dev/null

log "SIGKILL netd with 5 running containers"
for i in 1 2 3 4 5; do
  # 1 and 2 exit while netd is down, 3..5 after it is back
  d=$([ $i -le 2 ] && echo 1 || echo 4)
  netctl run -d --name k$i --net n1 bb sh -c "echo before-$i; sleep $d; echo after-$i; exit $((10 + i))" >/dev/null
done
poll 5 bash -c '[ "$('"$NETCTL_BIN"' logs k5 | grep -c before)" = 1 ]' || fail "no output before the kill"
# k3..k5 run for 4 s: they must survive the kill. (k1 and k2 may already have
# ended on a slow machine: their exit codes are checked after the restart.)
pids=$(for i in 3 4 5; do netctl inspect k$i | jq -r '.[0].State.Pid'; done)
nd_kill
for p in $pids; do kill -0 "$p" 2>/dev/null || fail "container pid $p died with netd"; done
sleep 1.5
nd_start
running=$(netctl ps --format json | jq -r '.[].Names[0]' | sort | tr '\n' ' ')
assert_eq "$running" "/k3 /k4 /k5 " "running after restart"
for i in 1 2 3 4 5; do
  assert_eq "$(netctl wait k$i)" $((10 + i)) "exit code of k$i"
  assert_eq "$(netctl logs k$i | tr '\n' ' ')" "before-$i after-$i " "logs of k$i"
done
assert_eq "$(netctl ps -q | wc -l)" 0 "nothing running"
for i in 1 2 3 4 5; do netctl rm k$i >/dev/null; done

log "100 containers started and removed"
snap() {
  echo "ctr=$(netctl ps -aq | wc -l) sb=$(netctl sandbox ls -q | wc -l) ep=$(api GET /endpoints | jq length)" \
       "netns=$(ls "$ND_EXEC/netns" | wc -l) mounts=$(ctr_mounts) veth=$(ip -o link show type veth | wc -l)" \
       "state=$(ls "$ND_EXEC/containers" | wc -l) data=$(ls "$ND_ROOT/containers" | wc -l)" \
       "rootfs=$(ls "$ND_ROOT/images/containers" 2>/dev/null | wc -l)"
}
poll 10 bash -c '[ "$(ip -o link show type veth | wc -l)" = 0 ]' || fail "veths left from the first part"
before=$(snap)
t0=$(date +%s%N)
for i in $(seq 100); do
  netctl run --rm --net n1 bb true || fail "run $i failed"
done
t1=$(date +%s%N)
log "100 runs: $(( (t1 - t0) / 1000000 )) ms"
poll 10 bash -c '[ "$(ip -o link show type veth | wc -l)" = 0 ]' || fail "veths left: $(ip -o link show type veth | wc -l)"
assert_eq "$(snap)" "$before" "the loop left something"
assert_eq "$(ctr_cgroups)" "" "cgroups left"
# the addresses went back: the next container gets one, and the store holds only its own
netctl run -d --name last --net n1 bb sleep 30 >/dev/null
assert_eq "$(api GET /endpoints | jq length)" 1 "endpoints"
netctl rm -f last >/dev/null
echo ok
