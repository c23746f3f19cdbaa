#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# netd killed with SIGKILL in the middle of 200 concurrent connects and
# disconnects, then restarted: every recorded endpoint works, no address is
# allocated twice, no veth or firewall element is orphaned.
. "$(dirname "$0")/lib.sh"

nd_start
netctl network create --subnet 10.50.0.0/16 crash >/dev/null
NSB=40
for i in $(seq 0 $((NSB-1))); do netctl sandbox create --name s$i >/dev/null; done

# 8 workers x 25 operations, each on its own 5 sandboxes: connect, disconnect, connect, ...
worker() {
  local w=$1 k=0
  for op in $(seq 1 25); do
    local s=s$(( w*5 + op % 5 ))
    if [ $(( (op / 5) % 2 )) -eq 0 ]; then
      netctl network connect crash $s >/dev/null 2>&1 || true
    else
      netctl network disconnect crash $s >/dev/null 2>&1 || true
    fi
  done
}
pids=()
for w in $(seq 0 7); do worker $w & pids+=($!); done
# kill netd while the storm is under way: once some endpoints exist
poll 30 bash -c "[ \$(curl -s --unix-socket $ND_SOCK http://x/endpoints | jq length) -ge 6 ]" || fail "no connect succeeded"
nd_kill
log "netd killed with $(sqlite3 "$ND_ROOT/netd.db" "select count(*) from objects where kind='endpoint'") endpoints recorded"
for p in "${pids[@]}"; do wait "$p" || true; done

nd_start
eps=$(api GET /endpoints)
n=$(echo "$eps" | jq length)
log "after restart: $n endpoints; reconcile repaired $(grep -c repairing "$ND_LOG" || true), deleted $(grep -c "orphaned interface" "$ND_LOG" || true) orphans"

# no address twice, and the store's allocations are exactly the endpoints' addresses
dups=$(echo "$eps" | jq -r '.[].IPv4Address' | sort | uniq -d)
[ -z "$dups" ] || fail "addresses allocated twice: $dups"
claimed=$(sqlite3 "$ND_ROOT/netd.db" "select addr from addresses order by addr" | sort)
recorded=$(echo "$eps" | jq -r '.[].IPv4Address | split("/")[0]' | sort)
assert_eq "$claimed" "$recorded" "store allocations vs endpoints"

# every recorded endpoint works: its interface and address are in its sandbox and it reaches the gateway
for row in $(echo "$eps" | jq -r '.[] | "\(.SandboxID),\(.Ifname),\(.IPv4Address)"'); do
  IFS=, read -r sb ifn addr <<<"$row"
  out=$(netctl sandbox exec "$sb" ip -o -4 addr show dev "$ifn" 2>&1) || fail "sandbox ${sb:0:12}: no $ifn: $out"
  [[ "$out" == *"inet $addr "* ]] || fail "sandbox ${sb:0:12}: $ifn lacks $addr: $out"
  netctl sandbox exec "$sb" ping -c1 -W2 10.50.0.1 >/dev/null || fail "endpoint $addr cannot reach its gateway"
done

# no orphaned veth: the host ends on the bridge are exactly the endpoints'
br=$(netctl network inspect crash | jq -r '.[0].Id[0:12]')
want=$(echo "$eps" | jq -r '.[].Id[0:11]' | sed 's/^/veth/' | sort)
have() { ip -o link show master "br-$br" | awk -F': ' '{print $2}' | cut -d@ -f1 | sort; }
poll 15 bash -c "[ \"\$(ip -o link show master br-$br | awk -F': ' '{print \$2}' | cut -d@ -f1 | sort)\" == \"$want\" ]" \
  || fail "bridge ports differ from endpoints: have [$(have | tr '\n' ' ')] want [$(echo "$want" | tr '\n' ' ')]"
orph=$(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E '^(veth|vp)[0-9a-f]{11}$' | sort | comm -23 - <(echo "$want") || true)
[ -z "$orph" ] || fail "orphaned interfaces: $orph"

# firewall: exactly our bridges
fwbr=$(nft -j list set inet netd bridges | jq -r '.nftables[1].set.elem[]?' | sort)
assert_eq "$fwbr" "$(printf '%s\n' "br-$br" netd0 | sort)" "firewall bridges"

# and it keeps working: fresh connects get fresh, unique addresses
for i in $(seq 0 $((NSB-1))); do netctl network connect crash s$i >/dev/null 2>&1 || true; done
eps2=$(api GET /endpoints)
assert_eq "$(echo "$eps2" | jq length)" "$NSB" "every sandbox connected"
[ -z "$(echo "$eps2" | jq -r '.[].IPv4Address' | sort | uniq -d)" ] || fail "duplicate after restart"
# interfaces of ours that nothing records (a crash between the store and the
# kernel) go at the next start; interfaces that are not ours stay
nd_kill
ip link add br-0123456789ab type bridge
ip link add veth0123abc4567 type veth peer name vp0123abc4567
ip link add mybr type bridge
ip link add br-notours type bridge
nd_start
for i in br-0123456789ab veth0123abc4567 vp0123abc4567; do
  ! ip link show "$i" >/dev/null 2>&1 || fail "orphan $i not removed at restart"
done
ip link show mybr >/dev/null && ip link show br-notours >/dev/null || fail "an interface netd does not own was touched"
echo ok
