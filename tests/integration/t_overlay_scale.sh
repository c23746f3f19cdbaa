#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# 300 concurrent connects spread over three hosts, all at once, on one small
# subnet so hosts race for the same addresses: every connect succeeds, no
# address is given twice (by the hosts' own records and by the store's), and
# every endpoint answers a ping from every host.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/overlay_lab_lib.sh"
N=${OV_SCALE:-300}
ov_lab 3
ovctl 1 network create -d vxlan --subnet 10.210.0.0/23 ov >/dev/null || { ov_log 1; fail "create"; }
for i in 2 3; do poll 5 ovctl $i network inspect ov || fail "ov not on h$i"; done
per=$((N / 3))

log "$N sandboxes"
sp=()
for i in 1 2 3; do
  ( for k in $(seq 1 $per); do ov_api $i POST /sandboxes "{\"Name\":\"h$i-$k\"}" >/dev/null || exit 1; done ) &
  sp+=($!)
done
for p in "${sp[@]}"; do wait "$p" || fail "sandbox create"; done

log "$N concurrent connects"
t0=$(date +%s%N)
pids=()
for k in $(seq 1 $per); do for i in 1 2 3; do
  ov_api $i POST /networks/ov/connect "{\"Container\":\"h$i-$k\"}" >"$T/c-$i-$k.json" 2>"$T/c-$i-$k.err" &
  pids+=($!)
done; done
bad=0
for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
log "connects done in $(ms_since $t0) ms, $bad failed"
[ $bad = 0 ] || { ov_log 1 60; fail "$bad connects failed"; }

races=0; for i in 1 2 3; do races=$((races + $(ovctl $i info --format json | jq '.Cluster.GlobalScope.AddressRaces'))); done
log "$races times a host lost an address to another and took the next"
[ "$races" -gt 0 ] || fail "no race between hosts happened: the test did not test it"
log "no duplicate address: the hosts' records and the store"
cat "$T"/c-*.json | jq -r '.IPv4Address' | cut -d/ -f1 | sort >"$T/all"
assert_eq "$(wc -l <"$T/all")" "$N" "addresses handed out"
dups=$(uniq -d "$T/all")
[ -z "$dups" ] || fail "duplicate addresses: $dups"
keys=$(ETCDCTL e0 get --prefix /netd/v1/ipam/ --keys-only | grep -c . || true)
assert_eq "$keys" "$N" "addresses in the store"
eps=$(ETCDCTL e0 get --prefix /netd/v1/endpoints/ --keys-only | grep -c . || true)
assert_eq "$eps" "$N" "endpoint records in the store"

log "every endpoint answers every host"
# Each address is polled with a deadline (20 s). The lab's 300 sandboxes and
# 3 hosts share one kernel, and the kernel's ARP table limit is global
# (gc_thresh3 = 1024 entries over every namespace, a setting of the real
# host we leave alone): each ping leaves two entries (pinger's, target's),
# which forced GC may free only after 5 s, so a burst of 900 pings meets
# ENOBUFS ("No buffer space available") for a while; so each pinger flushes
# its own entries when done. Real hosts each have
# their own table.
for i in 1 2 3; do
  ov_x $i h$i-1 bash -c 'bad=0; while read -r a; do ok=0; end=$((SECONDS + 20)); while [ $SECONDS -lt $end ]; do
      ping -c1 -W1 "$a" >/dev/null 2>&1 && { ok=1; break; }; sleep 0.2; done
    [ $ok = 1 ] || { echo "unreachable $a"; bad=$((bad+1)); }; done; ip neigh flush all; exit $bad' <"$T/all" ||
    { ip -s ntable show name arp_cache | grep -E "entries|res_failed|table_fulls" >&2; fail "from h$i: some endpoints do not answer"; }
done
echo PASS
