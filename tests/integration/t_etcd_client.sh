#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The etcd client (cluster/etcd.h) against a real etcd 3.4 on a namespace
# address: key/value, create/CAS semantics, a CAS race between two clients,
# leases (expiry deletes keys), the lease session (re-grant and re-put when
# its lease is lost), and an unreachable store failing fast with a message
# that names it, with failover to a second endpoint.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd_lib.sh"
etcd_need

# addresses on the test namespace's lo (etcd on a namespace address, not 127.0.0.1)
ip addr add 10.97.0.1/32 dev lo
ip addr add 10.97.1.1/32 dev lo
etcd_start e1 10.97.0.1
export ND_ETCD_ENDPOINTS=10.97.0.1:2379
E=$ETCD_TOOL

# ---- key/value
$E put /t/a 1
$E put /t/b "two words"
out=$($E range /t/ prefix)
assert_eq "$(grep -c = <<<"$out")" 3 "range of the prefix: 2 keys + rev"
grep -qx '/t/b=two words' <<<"$out" || fail "value with a space: $out"
assert_eq "$(ETCDCTL e1 get /t/b --print-value-only)" "two words" "etcdctl sees what the client put"
ETCDCTL e1 put /t/c "from etcdctl" >/dev/null
assert_eq "$($E get /t/c 2>/dev/null)" "from etcdctl" "the client reads what etcdctl put"
set +e
$E get /t/nope 2>/dev/null; rc=$?
$E create /t/a x 2>"$T/err"; rc2=$?
set -e
assert_eq $rc 2 "get of a missing key: ENOENT"
assert_eq $rc2 17 "create of an existing key: EEXIST"
grep -q "exists" "$T/err" || fail "create error unclear: $(cat "$T/err")"
$E create /t/new v
assert_eq "$($E get /t/new 2>/dev/null)" v "create of a new key"

# ---- CAS: the right revision wins, a stale one is refused with EAGAIN
rev=$($E get /t/a 2>&1 >/dev/null | sed -n 's/.*mod_rev=\([0-9]*\).*/\1/p')
$E cas /t/a 2 "$rev"
set +e; $E cas /t/a 3 "$rev" 2>/dev/null; rc=$?; set -e
assert_eq $rc 11 "CAS on a stale revision: EAGAIN"
assert_eq "$($E get /t/a 2>/dev/null)" 2 "the stale CAS changed nothing"
# conditional delete
rev=$($E get /t/a 2>&1 >/dev/null | sed -n 's/.*mod_rev=\([0-9]*\).*/\1/p')
set +e; $E delete /t/a $((rev - 1)) >/dev/null 2>&1; rc=$?; set -e
assert_eq $rc 11 "delete on a stale revision: EAGAIN"
$E delete /t/a "$rev" >/dev/null
set +e; $E get /t/a >/dev/null 2>&1; rc=$?; set -e
assert_eq $rc 2 "delete on the right revision"

# ---- two clients race on one revision: exactly one wins
$E put /t/race 0
for i in 1 2 3 4 5; do
  out=$($E race /t/race) || fail "race $i: $out"
  assert_eq "$out" "won=1 lost=1" "race $i"
done
# and two clients incrementing with CAS + retry lose no update
out=$($E count /t/counter 200)
[[ "$out" == "value=400 "* ]] || fail "two CAS incrementers lost updates: $out"
log "CAS counter: $out"

# ---- leases: keys go when the lease expires (within TTL + 1 s), not before
lease=$($E grant 2)
$E put /t/leased v "$lease"
t0=$(date +%s%N)
$E keepalive "$lease" >/dev/null
poll 4 bash -c "! $E get /t/leased" || fail "leased key still there 4 s after a 2 s lease"
ms=$(ms_since "$t0")
[ "$ms" -ge 1500 ] || fail "leased key went after $ms ms, before its 2 s TTL"
log "leased key gone ${ms} ms after the last keepalive (TTL 2 s)"
set +e; $E keepalive "$lease" >/dev/null 2>&1; rc=$?; set -e
assert_eq $rc 2 "keepalive of an expired lease: ENOENT"

# ---- the lease session keeps its key alive past the TTL, and when its lease
# is lost (revoked behind its back) grants a new one and puts the key again
$E session 2 /t/sess alive > "$T/sess.out" &
sess=$!
on_exit "kill -KILL $sess"
poll 5 grep -q '^lease ' "$T/sess.out" || fail "session got no lease: $(cat "$T/sess.out")"
l1=$(awk '/^lease /{print $2; exit}' "$T/sess.out")
sleep 3   # longer than the TTL: only the keepalives keep the key (a real wait, not a sync)
assert_eq "$($E get /t/sess 2>/dev/null)" alive "the session's key outlives its TTL"
ETCDCTL e1 lease revoke "$(printf %x "$l1")" >/dev/null
poll 5 bash -c "[ \$(grep -c '^lease ' $T/sess.out) -ge 2 ]" || fail "no new lease after revoke: $(cat "$T/sess.out")"
poll 3 bash -c "[ \"\$($E get /t/sess 2>/dev/null)\" = alive ]" || fail "the key was not put again under the new lease"
l2=$(awk '/^lease /{n++; if (n==2) print $2}' "$T/sess.out")
[ "$l1" != "$l2" ] || fail "the same lease came back"
kill -TERM $sess; wait $sess || true
grep -q '^stopped' "$T/sess.out" || fail "session did not stop on SIGTERM"
poll 2 bash -c "! $E get /t/sess" || fail "a stopped session (revoke) left its key"

# ---- unreachable: refused fast, with the store named; timeouts bounded
set +e
out=$($E -e 10.97.1.1:2379 timed get /t/b 2>&1); rc=$?
set -e
assert_eq $rc 111 "nothing listening: ECONNREFUSED"
grep -q "cluster store etcd://10.97.1.1:2379 unreachable: Connection refused" <<<"$out" || fail "unclear: $out"
ms=$(sed -n 's/^ms=//p' <<<"$out")
[ "$ms" -lt 200 ] || fail "a refused connection took $ms ms"
log "refused: $ms ms"
# an address nobody answers for (no ARP reply): the connect timeout (300 ms)
mk_netns etcdpeer
ip link add etcdv0 type veth peer name etcdv1 netns etcdpeer
ip addr add 10.97.2.1/24 dev etcdv0; ip link set etcdv0 up; ip -n etcdpeer link set etcdv1 up
set +e
out=$($E -e 10.97.2.9:2379 timed get /t/b 2>&1); rc=$?
set -e
assert_eq $rc 110 "no answer: ETIMEDOUT"
grep -q "cluster store etcd://10.97.2.9:2379 unreachable: timed out" <<<"$out" || fail "unclear: $out"
ms=$(sed -n 's/^ms=//p' <<<"$out")
[ "$ms" -ge 250 ] && [ "$ms" -lt 700 ] || fail "a silent endpoint took $ms ms (connect timeout 300 ms)"
log "silent endpoint: $ms ms"
# failover: a dead first endpoint, a live second one
out=$($E -e 10.97.2.9:2379,10.97.0.1:2379 timed get /t/b 2>/dev/null)
grep -qx "two words" <<<"$out" || fail "no failover to the second endpoint: $out"
log "failover past a silent endpoint: $(sed -n 's/^ms=//p' <<<"$out") ms"
out=$($E -e 10.97.1.1:2379,10.97.0.1:2379 timed get /t/b 2>/dev/null)
grep -qx "two words" <<<"$out" || fail "no failover past a refusing endpoint: $out"
log "failover past a refusing endpoint: $(sed -n 's/^ms=//p' <<<"$out") ms"
echo ok
