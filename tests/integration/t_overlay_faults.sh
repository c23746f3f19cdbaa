#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Faults on a 3-host overlay (lease TTL 3 s):
#  - netd restarted with a stale FDB entry planted and a real one deleted:
#    both corrected; its endpoints stay known to the others past the TTL
#    (their records moved to the new lease); an entry deleted while netd
#    runs comes back within the periodic reconcile (10 s);
#  - a host whose watch missed events that a compaction erased resyncs and
#    its entries follow the store (one added, one removed);
#  - etcd stopped for 10 s: existing traffic never stops, a connect during
#    the outage is refused at once with a clear message, one after it works;
#  - a host cut off longer than the TTL: its address is given to another
#    host, and when it is back it does not take it again (it says so);
#    when the other host lets go of it, its endpoint is announced again;
#  - kill -9 of a host's netd: its entries are gone on the others within
#    TTL + 1 s and its address is reusable;
#  - a whole host removed (netd and namespaces): the same.
. "$(dirname "$0")/lib.sh"
OV_TTL=3
. "$(dirname "$0")/overlay_lab_lib.sh"
ov_lab 3
"$NETD_SRC/scripts/mk-busybox-image.sh" "$T/bb.tar" 2>/dev/null || fail "busybox image"
ovctl 1 network create -d vxlan --subnet 10.220.0.0/16 ov >/dev/null || { ov_log 1; fail "create"; }
for i in 2 3; do poll 5 ovctl $i network inspect ov || fail "ov not on h$i"; done
for i in 1 2 3; do ov_sb $i s$i; ovctl $i network connect ov s$i >/dev/null || fail "connect s$i"; done
for i in 1 2 3; do eval "ip$i=$(ov_ip $i s$i ov)"; done
VX=$(in_ns h1 ip -o link show | grep -o 'vx-[0-9a-f]*' | head -1)
poll 5 ov_x 1 s1 ping -c1 -W1 "$ip2" || fail "s1 -> s2"
poll 5 ov_x 1 s1 ping -c1 -W1 "$ip3" || fail "s1 -> s3"
mac2=$(ovctl 2 sandbox inspect s2 | jq -r '.[0].Networks.ov.MacAddress')
fdb() { in_ns h$1 bridge fdb show dev "$VX"; }

log "restart: stale entries removed, missing ones added"
ov_nd_stop 1
in_ns h1 bridge fdb add 02:42:0a:dc:63:63 dev "$VX" dst 192.168.77.99 self permanent
in_ns h1 ip neigh add 10.220.99.99 lladdr 02:42:0a:dc:63:63 dev "$VX" nud permanent
in_ns h1 bridge fdb del "$mac2" dev "$VX" self
ov_nd_start 1
no_planted() { ! grep -q 192.168.77.99 <<<"$(fdb 1)"; }
restored() { grep -q "$mac2 dst 192.168.77.12" <<<"$(fdb 1)"; }
poll 5 no_planted || fail "planted FDB entry survived the restart: $(fdb 1)"
poll 5 restored || fail "deleted FDB entry not restored: $(fdb 1)"
grep -q 10.220.99.99 <<<"$(in_ns h1 ip neigh show dev "$VX")" && fail "planted neighbour survived"
poll 5 ov_x 1 s1 ping -c1 -W1 "$ip2" || fail "s1 -> s2 after the restart"
# the old lease expires now; s1's record lives on under the new one
t=$(date +%s%N); while [ "$(ms_since $t)" -lt $(( (OV_TTL + 2) * 1000 )) ]; do
  grep -q "$ip1 " <<<"$(in_ns h2 ip neigh show dev "$VX")" || fail "h2 lost s1 after h1's restart"
  sleep 0.2
done
ov_x 2 s2 ping -c1 -W1 "$ip1" >/dev/null || fail "s2 -> s1 after the old lease expired"

log "an entry deleted by hand while netd runs comes back (periodic reconcile)"
mac1=$(ovctl 1 sandbox inspect s1 | jq -r '.[0].Networks.ov.MacAddress')
in_ns h2 bridge fdb del "$mac1" dev "$VX" self
back() { grep -q "$mac1 dst 192.168.77.11" <<<"$(fdb 2)"; }
poll 15 back || fail "h2's deleted entry for s1 did not come back"

log "h3's watch misses events that a compaction then erases: it resyncs, its entries follow"
ip -n lab-u link set u3 down
# its connections to etcd end now (not when TCP would notice): the watch must reconnect
in_ns h3 ss -K dst $OV_ETCD dport = 2379 >/dev/null 2>&1 || true
ov_sb 1 n1; ovctl 1 network connect ov n1 >/dev/null || fail "connect n1"
ipn=$(ov_ip 1 n1 ov); macn=$(ovctl 1 sandbox inspect n1 | jq -r '.[0].Networks.ov.MacAddress')
ovctl 2 network disconnect ov s2 || fail "disconnect s2"
rev=$(ETCDCTL e0 endpoint status -w json | jq '.[0].Status.header.revision')
ETCDCTL e0 compact "$rev" >/dev/null
ip -n lab-u link set u3 up
in_step() { local f; f=$(fdb 3); grep -q "$macn dst 192.168.77.11" <<<"$f" && ! grep -q "$mac2 " <<<"$f"; }
poll $((OV_TTL + 5)) in_step || fail "h3 did not follow the store after a compaction: $(fdb 3)"
[ "$(ovctl 3 info --format json | jq '.Cluster.GlobalScope.Resyncs')" -ge 2 ] || fail "h3 did not resync"
poll 5 ov_x 3 s3 ping -c1 -W1 "$ipn" || fail "s3 cannot reach n1 after the resync"
ovctl 2 network connect ov s2 >/dev/null || fail "reconnect s2"
ip2=$(ov_ip 2 s2 ov); mac2=$(ovctl 2 sandbox inspect s2 | jq -r '.[0].Networks.ov.MacAddress')

log "etcd stopped for 10 s: traffic flows, connects refused clearly, then work"
ov_x 1 s1 ping -i 0.1 -c 150 -W1 "$ip2" >"$T/ping.out" 2>&1 &
pinger=$!
ov_etcd stop
unhealthy() { [ "$(ovctl 1 info --format json 2>/dev/null | jq -r '.Cluster.Healthy')" = false ]; }
poll 5 unhealthy ||
  fail "h1 does not notice the outage"
ov_sb 1 late
t=$(date +%s%N)
out=$(ovctl 1 network connect ov late 2>&1) && fail "connect during the outage succeeded"
[ "$(ms_since $t)" -lt 1000 ] || fail "the refusal took $(ms_since $t) ms"
grep -q "cluster store etcd://$OV_ETCD:2379" <<<"$out" || fail "unclear refusal: $out"
log "refused: $out"
ovctl 1 network create lan >/dev/null || fail "a local network was refused during the outage"
# a container whose start is refused (no address from the store): run --rm
# says so and leaves nothing, as Docker's does, instead of waiting forever
ovctl 1 image import "$T/bb.tar" bb >/dev/null || fail "image import on h1"
rc=0; out=$(NETD_HOST=unix://$OV_HOSTS/h1/netd.sock timeout 20 "$NETCTL_BIN" run --rm --name refused --net ov bb true 2>&1) || rc=$?
[ "$rc" != 124 ] || fail "run --rm hung when its start was refused"
[ "$rc" != 0 ] || fail "run --rm on the overlay worked during the outage"
grep -q "cluster store etcd://$OV_ETCD:2379" <<<"$out" || fail "unclear run --rm refusal: $out"
poll 5 eval '! ovctl 1 inspect refused >/dev/null 2>&1' || fail "the refused --rm container was left behind"
sleep 10   # the outage itself
ov_etcd start
poll 10 ovctl 1 network connect ov late || fail "connect after the outage"
wait $pinger || true
loss=$(grep -o '[0-9.]*% packet loss' "$T/ping.out")
assert_eq "$loss" "0% packet loss" "existing traffic during the outage ($(tail -2 "$T/ping.out" | head -1))"
ipl=$(ov_ip 1 late ov)
poll 5 ov_x 3 s3 ping -c1 -W1 "$ipl" || fail "s3 -> the endpoint connected after the outage"

log "h3 cut off longer than the TTL: its address goes to h1; back, h3 does not take it again"
ip -n lab-u link set u3 down
gone3() { ! grep -q 192.168.77.13 <<<"$(fdb 1)"; }
poll $((OV_TTL + 3)) gone3 || fail "h1 still has h3's entries while h3 is cut off"
ov_sb 1 thief
poll 5 ovctl 1 network connect --ip "$ip3" ov thief || fail "h3's address not free while h3's lease is gone"
ip -n lab-u link set u3 up
conflict() { grep -q "another host took this address" "$(ov_netd_log 3)"; }
poll 15 conflict || fail "h3 did not notice that its address was taken"
assert_eq "$(ov_api 3 GET /info | jq -r '.Cluster.GlobalScope.AddressConflicts[0].Address')" "$ip3" "h3's info names the address in conflict"
owner=$(ETCDCTL e0 get --print-value-only "/netd/v1/ipam/$(ovctl 1 network inspect ov | jq -r '.[0].Id')/$ip3" | jq -r .vtep)
assert_eq "$owner" 192.168.77.11 "the store keeps h1's claim on $ip3"
grep -q "$ip3 " <<<"$(in_ns h2 ip neigh show dev "$VX")" && [ "$(in_ns h2 ip neigh show dev "$VX" to "$ip3" | awk '{print $3}')" != \
  "$(ovctl 1 sandbox inspect thief | jq -r '.[0].Networks.ov.MacAddress')" ] && fail "h2 points $ip3 at h3's endpoint"
ovctl 1 network disconnect ov thief
log "the other host lets go of $ip3: h3's endpoint holding it is announced again"
mac3=$(ovctl 3 sandbox inspect s3 | jq -r '.[0].Networks.ov.MacAddress')
owner3() { ETCDCTL e0 get --print-value-only "/netd/v1/ipam/$(ovctl 1 network inspect ov | jq -r '.[0].Id')/$ip3" | jq -r .vtep; }
back3() { [ "$(owner3)" = 192.168.77.13 ] && [ "$(in_ns h2 ip neigh show dev "$VX" to "$ip3" | awk '{print $3}')" = "$mac3" ]; }
poll 5 back3 || fail "h3 did not take $ip3 back (owner $(owner3), h2: $(in_ns h2 ip neigh show dev "$VX" to "$ip3"))"
grep -q "announced again" "$(ov_netd_log 3)" || fail "h3 did not say its endpoint is announced again"
assert_eq "$(ov_api 3 GET /info | jq '.Cluster.GlobalScope.AddressConflicts | length')" 0 "h3's info after the conflict ended"
poll 5 ov_x 1 s1 ping -c1 -W1 "$ip3" || fail "s1 -> s3 at $ip3 after the other host let go"
# h3 is a member again: a new endpoint there is seen on h1
ov_sb 3 s3b; ovctl 3 network connect ov s3b >/dev/null || { ov_log 3; fail "connect on h3 after the cut"; }
ip3=$(ov_ip 3 s3b ov)
seen() { grep -q "$ip3 " <<<"$(in_ns h1 ip neigh show dev "$VX")" && grep -q 192.168.77.13 <<<"$(fdb 1)"; }
poll 5 seen || fail "h1 does not see h3's new endpoint"

log "kill -9 of h3's netd: its entries go within TTL + 1 s, its address is reusable"
ov_nd_kill 3
t=$(date +%s%N)
gone() { ! grep -q 192.168.77.13 <<<"$(fdb $1)" && ! grep -q "$ip3 " <<<"$(in_ns h$1 ip neigh show dev "$VX")"; }
poll $((OV_TTL + 3)) gone 1 || fail "h1 still has h3's entries: $(fdb 1)"
ms=$(ms_since $t)
poll 2 gone 2 || fail "h2 still has h3's entries"
log "h3's entries gone from h1 after $ms ms (TTL $OV_TTL s)"
[ "$ms" -le $(( (OV_TTL + 1) * 1000 )) ] || fail "took $ms ms > TTL + 1 s"
ov_sb 2 reuse
poll 5 ovctl 2 network connect --ip "$ip3" ov reuse || fail "h3's address $ip3 is not reusable"

log "a whole host removed: h2's entries go from h1"
ov_nd_kill 2
t=$(date +%s%N)
ip netns del lab-h2; ip -n lab-u link del u2 2>/dev/null || true
gone2() { ! grep -q 192.168.77.12 <<<"$(fdb 1)"; }
poll $((OV_TTL + 3)) gone2 || fail "h1 still has h2's entries"
ms=$(ms_since $t)
log "h2's entries gone from h1 after $ms ms"
[ "$ms" -le $(( (OV_TTL + 1) * 1000 )) ] || fail "took $ms ms > TTL + 1 s"
echo PASS
