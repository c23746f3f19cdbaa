#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Networks on one host: bridge driver, IPAM, sandboxes, endpoints, isolation,
# masquerade to an "outside" namespace, internal networks, ICC off, IPv6,
# bad input, restart.
. "$(dirname "$0")/lib.sh"

nd_start
sbx() { local s=$1; shift; netctl sandbox exec "$s" -- "$@"; }
ip_of() { netctl sandbox inspect "$1" | jq -r --arg n "$2" '.[0].Networks[$n].IPv4Address | split("/")[0]'; }
ip6_of() { netctl sandbox inspect "$1" | jq -r --arg n "$2" '.[0].Networks[$n].IPv6Address | split("/")[0]'; }
can_ping() { sbx "$1" ping -c1 -W1 "$2" >/dev/null 2>&1; }
links() { ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | sort; }

# the default network, as Docker has it
netctl network ls --format json | jq -e '.[] | select(.Name=="bridge" and .Driver=="bridge")' >/dev/null \
  || fail "no default bridge network"
assert_eq "$(netctl network inspect bridge | jq -r '.[0].IPAM.Config[0].Subnet')" "172.17.0.0/16" "default subnet"
set +e; out=$(netctl network rm bridge 2>&1); rc=$?; set -e
[ $rc -ne 0 ] && echo "$out" | grep -q "pre-defined" || fail "default network removable: $out"

netctl network create n1 >/dev/null
netctl network create --subnet 10.20.0.0/24 --gateway 10.20.0.254 --ip-range 10.20.0.128/25 \
  --aux-address reserved=10.20.0.130 --label team=blue n2 >/dev/null
assert_eq "$(netctl network inspect n1 | jq -r '.[0].IPAM.Config[0].Subnet')" "172.18.0.0/16" "n1 auto subnet"
assert_eq "$(netctl network ls -q --filter label=team=blue | wc -l)" 1 "label filter"
assert_eq "$(netctl network ls -q --filter name=n2 | wc -l)" 1 "name filter"

# bad input: clear errors, nothing changes in the store or the kernel
before_links=$(links); before_nets=$(netctl network ls -q | sort)
bad() { # bad EXPECTED_STATUS EXPECTED_TEXT JSON
  local body; body=$(curl -s -w '\n%{http_code}' --unix-socket "$ND_SOCK" -XPOST -d "$3" http://x/networks/create)
  [ "$(echo "$body" | tail -1)" = "$1" ] || fail "expected $1 for $3, got: $body"
  echo "$body" | head -1 | grep -qi -- "$2" || fail "unclear error for $3: $body"
}
bad 400 "prefix length" '{"Name":"x","IPAM":{"Config":[{"Subnet":"10.1.0.0/33"}]}}'
bad 400 "host bits" '{"Name":"x","IPAM":{"Config":[{"Subnet":"10.1.0.5/24"}]}}'
bad 400 "gateway" '{"Name":"x","IPAM":{"Config":[{"Subnet":"10.1.0.0/24","Gateway":"10.2.0.1"}]}}'
bad 409 "overlaps" '{"Name":"x","IPAM":{"Config":[{"Subnet":"10.20.0.0/16"}]}}'
bad 409 "already exists" '{"Name":"n1"}'
bad 400 "unknown network driver" '{"Name":"x","Driver":"nope"}'
bad 400 "com.docker.network.bogus" '{"Name":"x","Options":{"com.docker.network.bogus":"1"}}'
bad 400 "invalid network name" '{"Name":"bad name;rm"}'
bad 400 "malformed JSON" '{"Name":'
bad 400 "must be a string" '{"Name":5}'
bad 400 "ipv6" '{"Name":"x","EnableIPv6":true}'
# oversized body: 413, netd keeps serving
big=$(head -c 2000000 /dev/zero | tr '\0' 'a')
st=$(printf '{"Name":"%s"}' "$big" | curl -s -o /dev/null -w '%{http_code}' --unix-socket "$ND_SOCK" -XPOST --data-binary @- http://x/networks/create)
assert_eq "$st" 413 "oversized body"
assert_eq "$(links)" "$before_links" "links changed by bad input"
assert_eq "$(netctl network ls -q | sort)" "$before_nets" "networks changed by bad input"

# sandboxes and endpoints
for s in a1 a2 b1; do netctl sandbox create --name $s >/dev/null; done
netctl network connect n1 a1
netctl network connect n1 a2
netctl network connect n2 b1
a1=$(ip_of a1 n1); a2=$(ip_of a2 n1); b1=$(ip_of b1 n2)
assert_eq "$a1" "172.18.0.2" "first address"
[[ "$b1" == 10.20.0.12[89] || "$b1" == 10.20.0.1[3-9]* ]] || fail "n2 address $b1 not from the ip-range"
[ "$b1" != 10.20.0.130 ] || fail "aux address handed out"
[[ "$(sbx a1 ip -o link show eth0)" == *"02:42:ac:12:00:02"* ]] || fail "MAC not derived from IPv4"
[[ "$(sbx a1 ip route)" == *"default via 172.18.0.1"* ]] || fail "no default route: $(sbx a1 ip route)"
can_ping a1 "$a2" || fail "a1 cannot reach a2 on one network"
can_ping a2 "$a1" || fail "a2 cannot reach a1 on one network"
! can_ping a1 "$b1" || fail "a1 reaches b1 across networks"
! can_ping b1 "$a1" || fail "b1 reaches a1 across networks"

# connect errors
set +e
out=$(netctl network connect n1 a1 2>&1); rc1=$?
netctl sandbox create --name c1 >/dev/null
out2=$(netctl network connect --ip 10.20.0.200 n1 c1 2>&1); rc2=$?
out3=$(netctl network connect --ip "$b1" n2 c1 2>&1); rc3=$?
out4=$(netctl network connect n1 nosuch 2>&1); rc4=$?
set -e
[ $rc1 -ne 0 ] && echo "$out" | grep -q "already connected" || fail "connect twice: $out"
[ $rc2 -ne 0 ] && echo "$out2" | grep -q "not in any subnet" || fail "static outside: $out2"
[ $rc3 -ne 0 ] && echo "$out3" | grep -qi "in use\|allocated" || fail "static taken: $out3"
[ $rc4 -ne 0 ] && echo "$out4" | grep -q "no such sandbox" || fail "unknown target: $out4"
netctl network connect --ip 10.20.0.7 n2 c1
assert_eq "$(ip_of c1 n2)" "10.20.0.7" "static address"

# round robin: a released address is not handed straight back
netctl network disconnect n2 c1
netctl network connect n2 c1
[ "$(ip_of c1 n2)" != "10.20.0.7" ] || true   # static was ours to pick; dynamic next:
netctl network disconnect n2 c1
netctl sandbox create --name d1 >/dev/null
netctl network connect n2 d1; first=$(ip_of d1 n2)
netctl network disconnect n2 d1; netctl network connect n2 d1
[ "$(ip_of d1 n2)" != "$first" ] || fail "released address $first handed straight back"

# network in use cannot go; a disconnect lets it
set +e; out=$(netctl network rm n2 2>&1); rc=$?; set -e
[ $rc -ne 0 ] && echo "$out" | grep -q "active endpoint" || fail "rm of a used network: $out"

# ICC off
netctl network create -o com.docker.network.bridge.enable_icc=false noicc >/dev/null
netctl sandbox create --name i1 >/dev/null; netctl sandbox create --name i2 >/dev/null
netctl network connect noicc i1; netctl network connect noicc i2
! can_ping i1 "$(ip_of i2 noicc)" || fail "ICC off: endpoints reach each other"
gw=$(netctl network inspect noicc | jq -r '.[0].IPAM.Config[0].Gateway')
can_ping i1 "$gw" || fail "ICC off: gateway unreachable"

# the outside world: another namespace routed from netd's namespace
mk_netns outside
ip link add vout type veth peer name vin netns outside
ip addr add 10.99.0.1/24 dev vout; ip link set vout up
ip -n outside addr add 10.99.0.2/24 dev vin; ip -n outside link set vin up
in_ns outside python3 -c '
import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("10.99.0.2", 9000)); s.listen(8)
open(sys.argv[1],"w").close()
for _ in range(2):
    c,a=s.accept(); open(sys.argv[1],"a").write(a[0]+"\n"); c.close()
' "$T/peers" &
on_exit "pkill -P $! 2>/dev/null; kill $! 2>/dev/null"
poll 10 test -f "$T/peers" || fail "outside listener did not start"
sbx a1 bash -c 'exec 3<>/dev/tcp/10.99.0.2/9000' || fail "a1 cannot reach the outside host"
poll 5 grep -q . "$T/peers" || fail "outside saw nothing"
assert_eq "$(head -1 "$T/peers")" "10.99.0.1" "outside must see the masqueraded (host) address"
netctl network create --internal inet1 >/dev/null
netctl sandbox create --name x1 >/dev/null
netctl network connect inet1 x1
[[ "$(sbx x1 ip route)" != *default* ]] || fail "internal network has a default route"
! sbx x1 timeout 2 bash -c 'exec 3<>/dev/tcp/10.99.0.2/9000' 2>/dev/null || fail "internal network reached outside"

# IPv6 dual stack
netctl network create --ipv6 --subnet 172.30.0.0/24 --subnet fd00:30::/64 v6net >/dev/null
netctl sandbox create --name s6a >/dev/null; netctl sandbox create --name s6b >/dev/null
netctl network connect v6net s6a; netctl network connect v6net s6b
b6=$(ip6_of s6b v6net)
[[ "$b6" == fd00:30::* ]] || fail "no IPv6 address: $b6"
poll 5 sbx s6a ping -6 -c1 -W1 "$b6" || fail "IPv6 ping between sandboxes"
can_ping s6a "$(ip_of s6b v6net)" || fail "IPv4 ping on dual stack"

# restart (SIGKILL) keeps everything, and it still works
nets_before=$(netctl network ls -q | sort); eps_before=$(api GET /endpoints | jq -c '[.[].Id] | sort')
nd_kill
nd_start
assert_eq "$(netctl network ls -q | sort)" "$nets_before" "networks after kill -9"
assert_eq "$(api GET /endpoints | jq -c '[.[].Id] | sort')" "$eps_before" "endpoints after kill -9"
can_ping a1 "$a2" || fail "a1 cannot reach a2 after restart"
netctl sandbox create --name after >/dev/null
netctl network connect n1 after
assert_eq "$(ip_of after n1)" "172.18.0.4" "allocation after restart (no reuse, no double)"

# cleanup through the API leaves nothing of ours
for s in $(netctl sandbox ls -q); do netctl sandbox rm "$s" >/dev/null; done
netctl network prune -f >/dev/null
assert_eq "$(netctl network ls --format json | jq -r '.[].Name' | sort | paste -sd' ')" "bridge host none" \
  "only the default network (and Docker's host and none rows) left"
poll 10 bash -c '! ip -o link | grep -qE "br-[0-9a-f]{12}|veth[0-9a-f]{11}"' || fail "interfaces left: $(ip -o link | grep -E 'br-|veth')"
echo ok
