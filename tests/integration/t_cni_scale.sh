#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The CNI plugin under load and through a crash: 100 concurrent ADDs get 100
# distinct addresses; netd killed with SIGKILL in the middle of 60 ADDs,
# restarted, and a GC listing the ADDs that succeeded leaves exactly those:
# no endpoint, sandbox record, address, veth or namespace interface leaks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni_lib.sh"
command -v jq >/dev/null || skip "jq missing"

nd_start
netctl network create --subnet 10.80.0.0/16 scalenet >/dev/null
conf=$(cni_conf 1.1.0 '{"network":"scalenet"}')
claimed() { sqlite3 "file:$ND_ROOT/netd.db?mode=ro" "SELECT count(*) FROM addresses WHERE pool LIKE '%10.80.0.0/16'"; }
veths() { ip -o link show type veth | wc -l; }

# ---- 100 concurrent ADDs ----------------------------------------------------------
N=100
for i in $(seq $N); do mk_netns s$i; done
pids=()
for i in $(seq $N); do
  ( rc=0; cni ADD c$i eth0 /run/netns/s$i "$conf" || rc=$?; echo "$CNI_OUT" > "$T/add.$i"; echo $rc > "$T/rc.$i" ) &
  pids+=($!)
done
wait "${pids[@]}"
for i in $(seq $N); do assert_eq "$(cat "$T/rc.$i")" 0 "ADD c$i: $(cat "$T/add.$i")"; done
addrs=$(for i in $(seq $N); do jq -r '.ips[0].address' "$T/add.$i"; done)
assert_eq "$(sort <<<"$addrs" | uniq | wc -l)" $N "distinct addresses"
dups=$(sort <<<"$addrs" | uniq -d)
[ -z "$dups" ] || fail "duplicate addresses: $dups"
for i in 1 37 $N; do
  has "inet $(jq -r '.ips[0].address' "$T/add.$i")" ip -n s$i -o addr show dev eth0 || fail "s$i lacks its address"
done
assert_eq "$(nd_counts)" "eps=$N sbs=$N" "after $N ADDs"
assert_eq "$(claimed)" $N "addresses claimed"
# two of them talk over the bridge
a37=$(jq -r '.ips[0].address' "$T/add.37"); a37=${a37%/*}
in_ns s1 ping -c1 -W2 "$a37" >/dev/null || fail "s1 cannot reach s37 ($a37)"
pids=()
for i in $(seq $N); do ( rc=0; cni DEL c$i eth0 /run/netns/s$i "$conf" || rc=$?; echo $rc > "$T/drc.$i" ) & pids+=($!); done
wait "${pids[@]}"
for i in $(seq $N); do assert_eq "$(cat "$T/drc.$i")" 0 "DEL c$i"; done
assert_eq "$(nd_counts)" "eps=0 sbs=0" "after $N DELs"
assert_eq "$(claimed)" 0 "addresses claimed after DEL"
poll 20 bash -c '[ "$(ip -o link show type veth | wc -l)" = 0 ]' || fail "veths left after DEL: $(veths)"
log "$N concurrent ADDs and DELs ok"

# ---- kill -9 during ADDs, restart, GC -----------------------------------------------------
M=60
for i in $(seq $M); do ip netns del s$i; done
for i in $(seq $M); do mk_netns k$i; done
pids=()
add_k() { ( rc=0; cni ADD k$1 eth0 /run/netns/k$1 "$conf" || rc=$?; echo "$CNI_OUT" > "$T/kadd.$1"; echo $rc > "$T/krc.$1" ) & pids+=($!); }
# half of them in flight, netd killed as soon as a few are through, the
# rest launched against the dead netd (as a runtime would keep going)
before=$(grep -c "sandbox adopted" "$ND_LOG")
for i in $(seq $((M / 2))); do add_k $i; done
deadline=$(( $(date +%s) + 20 ))
# the second ADD has begun in netd (its sandbox recorded): kill it mid-way
until [ $(( $(grep -c "sandbox adopted" "$ND_LOG") - before )) -ge 2 ]; do [ "$(date +%s)" -lt $deadline ] || fail "no ADD got through"; done
nd_kill
made=$(( $(grep -c "sandbox adopted" "$ND_LOG") - before ))
for i in $(seq $((M / 2 + 1)) $M); do add_k $i; done
wait "${pids[@]}" || true
ok=(); for i in $(seq $M); do [ "$(cat "$T/krc.$i")" = 0 ] && ok+=($i); done
failed=$(( M - ${#ok[@]} ))
log "ADDs before the kill: ${#ok[@]} succeeded, $failed failed; netd had begun $made"
[ $failed -gt 0 ] || fail "the kill came after every ADD: the test proved nothing"
for i in $(seq $M); do
  if [ "$(cat "$T/krc.$i")" != 0 ]; then
    c=$(jq -r .code "$T/kadd.$i"); [ "$c" = 11 ] || fail "ADD k$i cut by the kill: code $c, want 11: $(cat "$T/kadd.$i")"
  fi
done
nd_start
# the runtime's GC: every attachment it knows of (the successful ADDs) is valid
valid=$(for i in "${ok[@]}"; do echo "{\"containerID\":\"k$i\",\"ifname\":\"eth0\"}"; done | jq -sc .)
cni GC "" "" "" "$(jq -c --argjson v "$valid" '. + {"cni.dev/valid-attachments": $v}' <<<"$conf")" || fail "GC: $CNI_OUT"
n=${#ok[@]}
assert_eq "$(nd_counts)" "eps=$n sbs=$n" "after restart and GC"
assert_eq "$(claimed)" $n "addresses claimed after restart and GC"
poll 20 bash -c "[ \$(ip -o link show type veth | wc -l) = $n ]" || fail "veths after GC: $(veths), want $n"
for i in $(seq $M); do
  if [ "$(cat "$T/krc.$i")" = 0 ]; then
    cc=$(jq -c --argjson p "$(cat "$T/kadd.$i")" '. + {prevResult: $p}' <<<"$conf")
    cni CHECK k$i eth0 /run/netns/k$i "$cc" || fail "CHECK k$i after restart: $CNI_OUT"
  else
    poll 10 bash -c "! ip -n k$i -o link show eth0 >/dev/null 2>&1" || fail "k$i: a cut ADD left eth0 in its namespace"
  fi
done
# a runtime that lost track retries the ADD of a cut one: it works
bad=$(for i in $(seq $M); do [ "$(cat "$T/krc.$i")" != 0 ] && echo $i && break; done)
cni ADD k$bad eth0 /run/netns/k$bad "$conf" || fail "ADD k$bad again after the crash: $CNI_OUT"
cni DEL k$bad eth0 /run/netns/k$bad "$conf" || fail "DEL k$bad"
for i in "${ok[@]}"; do cni DEL k$i eth0 /run/netns/k$i "$conf" || fail "DEL k$i: $CNI_OUT"; done
assert_eq "$(nd_counts)" "eps=0 sbs=0" "after the last DELs"
assert_eq "$(claimed)" 0 "addresses claimed at the end"
poll 20 bash -c '[ "$(ip -o link show type veth | wc -l)" = 0 ]' || fail "veths left at the end: $(veths)"
log "kill -9 during ADDs, restart and GC: nothing leaked"

# ---- a namespace deleted while netd is down: released at start -----------------------------
mk_netns late
cni ADD late eth0 /run/netns/late "$conf" || fail "ADD late: $CNI_OUT"
nd_stop
ip netns del late
nd_start
assert_eq "$(nd_counts)" "eps=0 sbs=0" "netns deleted while netd was down"
assert_eq "$(claimed)" 0 "its address released"
log "namespace gone while netd was down: released"
# ... and while it runs, without a DEL (a runtime that crashed): released by the periodic reconcile
mk_netns late2
cni ADD late2 eth0 /run/netns/late2 "$conf" || fail "ADD late2: $CNI_OUT"
ip netns del late2
poll 25 bash -c "[ \$(curl -s --unix-socket $ND_SOCK http://netd/endpoints | jq length) = 0 ]" || fail "netns deleted while netd runs: not released"
assert_eq "$(nd_counts)" "eps=0 sbs=0" "netns deleted while netd runs"
assert_eq "$(claimed)" 0 "its address released"
log "namespace gone while netd runs: released"
echo PASS
