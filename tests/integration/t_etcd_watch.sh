#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The etcd watch (cluster/etcd.h): it starts with the full state, delivers
# every change once and in order, resumes where it was after etcd restarts
# (changes made meanwhile arrive), and when the revision it would resume at
# was compacted away it delivers the full state again (a key deleted while
# it was away is gone from it) and goes on: no change is lost.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd_lib.sh"
etcd_need

ip addr add 10.97.0.1/32 dev lo
etcd_start e1 10.97.0.1
export ND_ETCD_ENDPOINTS=10.97.0.1:2379
E=$ETCD_TOOL

$E put /w/a 1
$E put /w/b 1
$E put /other 1          # outside the prefix: never seen
$E watch /w/ > "$T/w.out" &
W=$!
on_exit "kill -KILL $W"
poll 5 grep -q '^resync 2 ' "$T/w.out" || fail "no initial resync: $(cat "$T/w.out")"
grep -qx 'kv /w/a 1' "$T/w.out" && grep -qx 'kv /w/b 1' "$T/w.out" || fail "initial state: $(cat "$T/w.out")"
poll 5 grep -q '^state healthy' "$T/w.out" || fail "watch not healthy"

# every change, once, in order
for i in $(seq 1 20); do $E put /w/seq "$i"; done
$E delete /w/b >/dev/null
$E put /other 2
poll 5 grep -q '^del /w/b ' "$T/w.out" || fail "delete not seen: $(cat "$T/w.out")"
assert_eq "$(grep '^put /w/seq ' "$T/w.out" | awk '{print $3}' | tr '\n' ' ')" "$(seq 1 20 | tr '\n' ' ')" "20 puts once each, in order"
grep -q '/other' "$T/w.out" && fail "a key outside the prefix was delivered"

# etcd restarts: the watch reconnects and resumes at its revision
etcd_restart e1
for i in 21 22 23; do $E put /w/seq "$i"; done
poll 10 grep -q '^put /w/seq 23 ' "$T/w.out" || fail "no events after an etcd restart: $(tail -5 "$T/w.out")"
assert_eq "$(grep '^put /w/seq ' "$T/w.out" | awk '{print $3}' | tr '\n' ' ')" "$(seq 1 23 | tr '\n' ' ')" "resume after a restart: nothing lost or repeated"
grep -q '^state unreachable' "$T/w.out" || fail "the restart was not reported"
assert_eq "$(grep -c '^resync' "$T/w.out")" 1 "a plain restart needs no resync"

# compaction while the watcher is away: freeze it, break its connection
# (restart etcd), change things, compact past its revision, let it go
kill -STOP $W
etcd_restart e1
$E put /w/c 1
$E delete /w/a >/dev/null
$E put /w/seq 24
rev=$($E range /w/ prefix | sed -n 's/^rev=//p')
ETCDCTL e1 compact "$rev" >/dev/null
kill -CONT $W
poll 10 bash -c "[ \$(grep -c '^resync' $T/w.out) -ge 2 ]" || fail "no resync after compaction: $(tail -8 "$T/w.out")"
state=$(awk '/^resync/{n++; s=""} n==2 && /^kv /{s=s $2 "=" $3 " "} END{print s}' "$T/w.out")
assert_eq "$state" "/w/c=1 /w/seq=24 " "the resync after compaction is the full state (/w/a deleted meanwhile, /w/b gone)"
# and it watches on from there
$E put /w/d 1
poll 5 grep -q '^put /w/d 1 ' "$T/w.out" || fail "no events after the resync"

# the store loses its history (a new etcd at the same address, revision
# back to 1): the watch does not wait for revisions it will reach only much
# later, it resyncs with the new (empty) state and goes on
for i in $(seq 1 30); do $E put /w/pad "$i"; done   # push our revision well above the new store's
poll 5 grep -q '^put /w/pad 30 ' "$T/w.out" || fail "padding not seen"
etcd_kill e1
rm -rf "$T/etcd-e1/data"
eval "etcd_start e1 10.97.0.1"
poll 10 bash -c "[ \$(grep -c '^resync' $T/w.out) -ge 3 ]" || fail "no resync after the store went back: $(tail -5 "$T/w.out")"
assert_eq "$(tail -n +$(grep -n '^resync' "$T/w.out" | tail -1 | cut -d: -f1) "$T/w.out" | head -1 | cut -d' ' -f2)" 0 "the resync of a wiped store is empty"
$E put /w/fresh 1
poll 5 grep -q '^put /w/fresh 1 ' "$T/w.out" || fail "no events from the new store"

kill -TERM $W; wait $W || true
out=$(tail -1 "$T/w.out")
[[ "$out" == "stopped "*"resyncs=3" ]] || fail "watch stop: $out"
echo ok
