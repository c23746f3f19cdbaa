#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The etcd client against a three-member etcd cluster: a watch and a lease
# session given all three endpoints keep working when the member they talk
# to dies: the watch moves to another member and resumes at its revision
# (no change lost, none twice), the session keeps its lease alive through
# the others, and plain requests fail over.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd_lib.sh"
etcd_need

cluster="m1=http://10.97.0.1:2380,m2=http://10.97.0.2:2380,m3=http://10.97.0.3:2380"
declare -A mpid
member_start() {  # I
  local i=$1 a=10.97.0.$1
  mkdir -p "$T/m$i"
  "$ETCD_BIN" --name "m$i" --data-dir "$T/m$i/data" \
    --listen-client-urls "http://$a:2379" --advertise-client-urls "http://$a:2379" \
    --listen-peer-urls "http://$a:2380" --initial-advertise-peer-urls "http://$a:2380" \
    --initial-cluster "$cluster" --initial-cluster-state new \
    --heartbeat-interval 50 --election-timeout 500 >>"$T/m$i/log" 2>&1 &
  mpid[$i]=$!
  on_exit "kill -KILL ${mpid[$i]}"
}
for i in 1 2 3; do ip addr add 10.97.0.$i/32 dev lo; done
for i in 1 2 3; do member_start $i; done
for i in 1 2 3; do poll 20 curl -sf "http://10.97.0.$i:2379/health" || { tail "$T/m$i/log" >&2; fail "member m$i not healthy"; }; done
export ND_ETCD_ENDPOINTS=10.97.0.1:2379,10.97.0.2:2379,10.97.0.3:2379
E=$ETCD_TOOL

$E put /f/a 0
$E watch /f/ > "$T/w.out" &
W=$!; on_exit "kill -KILL $W"
# the watch's first full read sees the one key there is (the session, started
# after it, would race it for a second one)
poll 5 grep -q '^resync 1 ' "$T/w.out" || fail "no initial resync: $(cat "$T/w.out")"
$E session 3 /f/sess alive > "$T/s.out" &
S=$!; on_exit "kill -KILL $S"
poll 5 grep -q '^lease ' "$T/s.out" || fail "no lease"
for i in $(seq 1 10); do $E put /f/seq "$i"; done
poll 5 grep -q '^put /f/seq 10 ' "$T/w.out" || fail "events not seen"

# the member everyone talks to first (m1) dies
kill -KILL "${mpid[1]}"; wait "${mpid[1]}" 2>/dev/null || true
t0=$(date +%s%N)
for i in $(seq 11 30); do
  poll 5 $E put /f/seq "$i" || fail "put $i failed with m1 down"
done
log "20 puts through the surviving members in $(ms_since "$t0") ms (m1 dead, new leader elected if needed)"
poll 10 grep -q '^put /f/seq 30 ' "$T/w.out" || fail "the watch did not resume on another member: $(tail -4 "$T/w.out")"
assert_eq "$(grep '^put /f/seq ' "$T/w.out" | awk '{print $3}' | tr '\n' ' ')" "$(seq 1 30 | tr '\n' ' ')" "every change once, in order, across the failover"
assert_eq "$(grep -c '^resync' "$T/w.out")" 1 "a failover needs no resync"
# the lease outlives its TTL through the others
sleep 4   # longer than the 3 s TTL: only keepalives through m2/m3 keep the key (a real wait, not a sync)
assert_eq "$($E get /f/sess 2>/dev/null)" alive "the session's key survived m1's death"
assert_eq "$(grep -c '^lease ' "$T/s.out")" 1 "the same lease throughout"
# m1 comes back and the others go: the clients move to it
member_start 1
poll 20 curl -sf "http://10.97.0.1:2379/health" || fail "m1 did not come back"
kill -KILL "${mpid[2]}"; wait "${mpid[2]}" 2>/dev/null || true
for i in $(seq 31 35); do poll 5 $E put /f/seq "$i" || fail "put $i failed with m2 down"; done
poll 10 grep -q '^put /f/seq 35 ' "$T/w.out" || fail "the watch lost the events after m2 died: $(tail -4 "$T/w.out")"
assert_eq "$(grep '^put /f/seq ' "$T/w.out" | awk '{print $3}' | tr '\n' ' ')" "$(seq 1 35 | tr '\n' ' ')" "every change once, in order, across two failovers"
kill -TERM $W $S; wait $W $S || true
echo ok
