#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# netctl topology: GET /topology lists exactly the kernel objects netd made
# here (compared with `ip -j link` / `ip -j addr` in netd's namespace and in
# every sandbox), with the right peers, bridges, addresses, MACs and the
# published port; the DOT form parses with Graphviz's own `dot`; the SVG
# (libgvc) is XML whose node ids are the kernel objects' names; two daemons
# (the second in a namespace of its own) make one picture of two hosts, and
# `netctl ui` over both draws both and follows host 2's events live.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"

command -v dot >/dev/null || skip "graphviz's dot (the witness) is not installed (scripts/deps/ui.txt)"
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 missing"

ctr_setup
nd_start

# what the kernel has, as sorted lines: links (not lo) of a namespace, and
# "ifname addr/len" of its global addresses
k_links() { "$@" ip -j link show | jq -r '.[] | select(.ifname != "lo") | .ifname' | sort; }
k_addrs() { "$@" ip -j addr show | jq -r '.[] | select(.ifname != "lo") | .ifname as $i | .addr_info[] |
  select(.scope == "global") | "\($i) \(.local)/\(.prefixlen)"' | sort; }
topo() { netctl topology > "$T/topo.json" && jq -e '.Hosts | length == 1' "$T/topo.json" >/dev/null; }
# what netd says: the links in its namespace (network links + endpoints' host ends)
t_links() { jq -r '.Hosts[0] | ([.Networks[].Links[] | select(.Missing | not) | .Name] +
  [.Endpoints[].HostLink | select(. != null) | .Name]) | unique[]' "$T/topo.json"; }

log "two networks, two containers, one on both, a published port"
netctl network create --subnet 172.31.1.0/24 ta >/dev/null
netctl network create --subnet 172.31.2.0/24 tb >/dev/null
netctl run -d --name c1 --net ta -p 8081:80 bb sleep 600 >/dev/null
netctl run -d --name c2 --net ta bb sleep 600 >/dev/null
netctl network connect tb c2
# macvlan, internal: its parent is a veth pair netd makes; the child's IFLA_LINK names it
netctl network create -d macvlan --internal --subnet 172.31.3.0/24 tm >/dev/null
netctl network connect tm c1
t_addrs() { jq -r '.Hosts[0] | ([.Networks[].Links[] | select(.Missing | not)] + [.Endpoints[].HostLink | select(. != null)])
  | unique_by(.Name)[] | .Name as $n | .Addresses[] | "\($n) \(.)"' "$T/topo.json" | sort; }
# a veth netd retired a moment ago may still be on its way out ("vdel..."): poll
same_links() { topo && [ "$(k_links)" == "$(t_links)" ]; }
poll 10 same_links || fail "links in netd's namespace differ: kernel [$(k_links | paste -sd' ')] topology [$(t_links | paste -sd' ')]"
H='.Hosts[0]'
assert_eq "$(k_addrs | paste -sd' ')" "$(t_addrs | paste -sd' ')" "addresses in netd's namespace"
has ' 172.31.1.1/24$' t_addrs || fail "ta's gateway address is not on its bridge in the topology"

log "networks: their bridges as the kernel has them"
for net in ta tb; do
  br=$(jq -r "$H.Networks[] | select(.Name == \"$net\") | .Links[0] | select(.Role == \"bridge\") | .Name" "$T/topo.json")
  [ -n "$br" ] || fail "network $net lists no bridge"
  assert_eq "$(jq -r "$H.Networks[] | select(.Name == \"$net\") | .Links[0].Ifindex" "$T/topo.json")" \
    "$(ip -j link show "$br" | jq -r '.[0].ifindex')" "$net's bridge ifindex"
  assert_eq "$(jq -r "$H.Networks[] | select(.Name == \"$net\") | .Links[0].Kind" "$T/topo.json")" bridge "$net's kind"
  # every endpoint of this network hangs off that bridge (its host end's master)
  nid=$(jq -r "$H.Networks[] | select(.Name == \"$net\") | .Id" "$T/topo.json")
  for hl in $(jq -r "$H.Endpoints[] | select(.NetworkId == \"$nid\") | .HostLink.Name" "$T/topo.json"); do
    assert_eq "$(ip -j link show "$hl" | jq -r '.[0].master')" "$br" "$hl is a port of $br"
    assert_eq "$(jq -r "$H.Endpoints[] | select(.HostLink.Name == \"$hl\") | .HostLink.Master" "$T/topo.json")" "$br" "topology: $hl's master"
  done
done
assert_eq "$(jq "[$H.Endpoints[] | select(.Name == \"c2\")] | length" "$T/topo.json")" 2 "c2 has two endpoints"

log "macvlan: the parent and its far end, the child pointing at the parent"
mv=$(jq -c "$H.Networks[] | select(.Name == \"tm\")" "$T/topo.json")
mparent=$(jq -r '.Links[] | select(.Role == "parent") | .Name' <<<"$mv")
assert_eq "$(jq -r '.Links[] | select(.Role == "parent") | .Owned' <<<"$mv")" true "internal parent is netd's"
assert_eq "$(ip -j -d link show "$mparent" | jq -r '.[0].linkinfo.info_kind')" veth "parent's kind"
# (ip names a peer in the same namespace by name)
assert_eq "$(jq -r '.Links[] | select(.Role == "parent-peer") | .Name' <<<"$mv")" \
  "$(ip -j link show "$mparent" | jq -r '.[0].link')" "the parent's far end"
e=$(jq -c "$H.Endpoints[] | select(.NetworkId == $(jq '.Id' <<<"$mv"))" "$T/topo.json")
assert_eq "$(jq -r '.Interface.Kind' <<<"$e")" macvlan "c1's child kind"
assert_eq "$(jq -r '.HostLink.Name' <<<"$e")" "$mparent" "c1's child hangs off the parent"

log "sandboxes: exactly the interfaces and addresses the kernel has, and their peers"
nsb=0
for sb in $(jq -r "$H.Sandboxes[].Id" "$T/topo.json"); do
  ns=$(jq -r "$H.Sandboxes[] | select(.Id == \"$sb\") | .NetnsPath" "$T/topo.json")
  in_sb=(nsenter --net="$ns" --)
  want_links=$(jq -r "$H.Endpoints[] | select(.SandboxId == \"$sb\") | .Interface.Name" "$T/topo.json" | sort)
  assert_eq "$(k_links "${in_sb[@]}" | paste -sd' ')" "$(paste -sd' ' <<<"$want_links")" "sandbox ${sb:0:12} links"
  want_addrs=$(jq -r "$H.Endpoints[] | select(.SandboxId == \"$sb\") | .Interface as \$i | \$i.Addresses[] | \"\(\$i.Name) \(.)\"" "$T/topo.json" | sort)
  assert_eq "$(k_addrs "${in_sb[@]}" | paste -sd' ')" "$(paste -sd' ' <<<"$want_addrs")" "sandbox ${sb:0:12} addresses"
  for ifn in $want_links; do
    k=$("${in_sb[@]}" ip -j link show "$ifn")
    e=$(jq -c "$H.Endpoints[] | select(.SandboxId == \"$sb\" and .Interface.Name == \"$ifn\")" "$T/topo.json")
    assert_eq "$(jq -r '.Interface.Mac' <<<"$e")" "$(jq -r '.[0].address' <<<"$k")" "$ifn MAC"
    assert_eq "$(jq -r '.MacAddress' <<<"$e")" "$(jq -r '.[0].address' <<<"$k")" "$ifn recorded MAC"
    k_kind=$("${in_sb[@]}" ip -j -d link show "$ifn" | jq -r '.[0].linkinfo.info_kind')
    assert_eq "$(jq -r '.Interface.Kind' <<<"$e")" "$k_kind" "$ifn kind"
    # the veth's other end (the macvlan child's parent) is the host link the topology names
    peer=$(jq -r '.[0].link_index' <<<"$k")
    assert_eq "$(jq -r '.HostLink.Ifindex' <<<"$e")" "$peer" "$ifn's peer ifindex"
    assert_eq "$(ip -j link show | jq -r ".[] | select(.ifindex == $peer) | .ifname")" "$(jq -r '.HostLink.Name' <<<"$e")" "$ifn's peer name"
  done
  nsb=$((nsb + 1))
done
assert_eq "$nsb" 2 "sandboxes"

log "containers and the published port"
assert_eq "$(jq -r "$H.Containers[] | select(.Name == \"c1\") | .Ports[] | \"\(.Proto) \(.HostPort) \(.ContainerPort)\"" "$T/topo.json")" \
  "tcp 8081 80" "c1's published port"
c1sb=$(jq -r "$H.Containers[] | select(.Name == \"c1\") | .SandboxId" "$T/topo.json")
assert_eq "$(netctl inspect c1 | jq -r '.[0].NetworkSettings.SandboxID // empty' | cut -c1-12)" "${c1sb:0:12}" "c1's sandbox" 2>/dev/null || true

log "dot parses (graphviz's dot is the witness), svg is XML with the objects as node ids"
netctl topology --format dot > "$T/topo.dot"
dot -Tcanon "$T/topo.dot" > /dev/null || fail "dot refuses netctl's DOT"
netctl topology --format svg -o "$T/topo.svg"
ids=$(/usr/bin/python3 - "$T/topo.svg" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"s": "http://www.w3.org/2000/svg"}
root = ET.parse(sys.argv[1]).getroot()
assert root.tag.endswith("svg"), root.tag
for g in root.iter("{http://www.w3.org/2000/svg}g"):
    if g.get("id") and g.find("s:title", ns) is not None:
        print(g.get("id"))
PY
) || fail "the SVG does not parse as XML"
for obj in $(t_links) c1:eth0 c1:eth1 c2:eth0 c2:eth1 port:tcp/8081 net:ta net:tb net:tm; do
  grep -qxF -- "$obj" <<<"$ids" || fail "no SVG node or cluster with id $obj (ids: $(paste -sd' ' <<<"$ids"))"
done
has '<title>' cat "$T/topo.svg" || fail "no titles in the SVG"

log "a container goes: its objects leave the topology and the kernel"
netctl rm -f c2 >/dev/null
poll 10 same_links || fail "after rm: kernel [$(k_links | paste -sd' ')] topology [$(t_links | paste -sd' ')]"
assert_eq "$(jq "[$H.Endpoints[] | select(.Name == \"c2\")] | length" "$T/topo.json")" 0 "c2's endpoints"
assert_eq "$(jq "$H.Sandboxes | length" "$T/topo.json")" 1 "sandboxes after rm"

log "bad input is refused"
rc=0; out=$(netctl topology --format png 2>&1) || rc=$?
assert_eq "$rc" 2 "--format png exit code"
has "unknown format" echo "$out" || fail "no clear error for --format png: $out"
rc=0; out=$(netctl topology -H unix://$T/nothing.sock 2>&1) || rc=$?
[ "$rc" != 0 ] || fail "a daemon that is not there gave exit 0"

log "two hosts: a second netd in a namespace of its own"
mk_netns h2
mkdir -p "$T/root2" "$T/run2"
echo '{"userland-proxy": true}' > "$T/netd2.json"
nsenter --net=/run/netns/h2 -- "$NETD_BIN" --root "$T/root2" --exec-root "$T/run2" --socket "$T/netd2.sock" \
  --config "$T/netd2.json" --log-level debug >>"$T/netd2.log" 2>&1 &
ND2_PID=$!
on_exit "kill -TERM $ND2_PID; wait $ND2_PID"
poll 20 curl -sf --unix-socket "$T/netd2.sock" http://netd/_ping || { cat "$T/netd2.log" >&2; fail "netd 2 did not start"; }
NETD_HOST=unix://$T/netd2.sock netctl network create --subnet 172.31.9.0/24 th2 >/dev/null
NETD_HOST="unix://$ND_SOCK,unix://$T/netd2.sock" netctl topology > "$T/two.json"
assert_eq "$(jq '.Hosts | length' "$T/two.json")" 2 "hosts from a NETD_HOST list"
assert_eq "$(jq -r '.Hosts[1].Networks[] | select(.Name == "th2") | .Links[0].Ifindex' "$T/two.json")" \
  "$(ip -n h2 -j link show "$(jq -r '.Hosts[1].Networks[] | select(.Name == "th2") | .Links[0].Name' "$T/two.json")" | jq -r '.[0].ifindex')" \
  "host 2's bridge, as its kernel has it"
netctl topology -H "unix://$ND_SOCK" -H "unix://$T/netd2.sock" --format dot > "$T/two.dot"
dot -Tcanon "$T/two.dot" > /dev/null || fail "dot refuses the two-host DOT"
has cluster_host_1 cat "$T/two.dot" || fail "no second host cluster"
netctl topology -H "unix://$ND_SOCK" -H "unix://$T/netd2.sock" --format svg > "$T/two.svg"
has 'id="net:th2@1"' cat "$T/two.svg" || fail "host 2's network missing from the SVG"
mkdir -p "$NETD_BUILD/test-artefacts"
cp "$T/topo.svg" "$NETD_BUILD/test-artefacts/t_topology.svg"
cp "$T/two.svg" "$NETD_BUILD/test-artefacts/t_topology-two-hosts.svg"
log "SVGs kept: $NETD_BUILD/test-artefacts/t_topology.svg, t_topology-two-hosts.svg"

log "netctl ui over two daemons: both hosts drawn, and host 2's changes arrive live"
"$NETCTL_BIN" ui -H "unix://$ND_SOCK" -H "unix://$T/netd2.sock" > "$T/ui.out" 2> "$T/ui.err" &
UI_PID=$!
on_exit "kill -INT $UI_PID; wait $UI_PID"
poll 15 grep -q 'token=' "$T/ui.out" || { cat "$T/ui.out" "$T/ui.err" >&2; fail "netctl ui printed no URL"; }
URL=$(grep -o 'http://127.0.0.1:[0-9]*/?token=[0-9a-f]*' "$T/ui.out")
BASE=${URL%%/?token=*}
# the one-time token buys the session cookie; the page's API then answers with it
curl -s -o /dev/null -c "$T/ui.jar" "$URL" || fail "token exchange"
ui_topo() { curl -sf -b "$T/ui.jar" "$BASE/api/topology"; }
hosts2() { ui_topo | jq -e '.Hosts | length == 2' >/dev/null; }
poll 10 hosts2 || fail "the UI does not show two hosts: $(ui_topo | jq -c '[.Hosts[] | {Name, n: (.Networks | length)}]')"
# the page redraws when the generation moves: host 2's event stream must move it
gen0=$(ui_topo | jq .Generation)
NETD_HOST=unix://$T/netd2.sock netctl network create --subnet 172.31.10.0/24 th2b >/dev/null
gen_moved() { [ "$(ui_topo | jq .Generation)" -gt "$gen0" ]; }
poll 10 gen_moved || fail "host 2's network create did not reach the UI's event stream (generation still $gen0)"
ui_topo | jq -e '[.Hosts[1].Networks[].Name] | index("th2b") != null' >/dev/null ||
  fail "host 2's new network missing from the UI: $(ui_topo | jq -c '[.Hosts[1].Networks[].Name]')"
curl -sf -b "$T/ui.jar" "$BASE/api/topology.svg" | grep -q 'id="net:th2b@1"' || fail "host 2's new network missing from the UI's SVG"
echo "PASS: t_topology"
