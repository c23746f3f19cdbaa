#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The CNI plugin (netd-cni) executed as a runtime executes it: every verb,
# the result shape of every supported version, CHECK against the namespace,
# DEL twice and after the namespace is gone, STATUS, GC, every bad input of
# the spec with its code and nothing left behind, and chaining with Debian's
# reference plugins tuning and bandwidth.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni_lib.sh"
command -v jq >/dev/null || skip "jq missing"

nd_start
netctl network create -o com.docker.network.driver.mtu=1400 --subnet 10.77.0.0/24 cninet >/dev/null
nothing_left() { # nothing_left WHAT: netd holds no attachment, no address, no veth
  local c; c=$(nd_counts)
  [ "$c" = "eps=0 sbs=0" ] || fail "$1: netd still holds $c"
  local a; a=$(sqlite3 "file:$ND_ROOT/netd.db?mode=ro" "SELECT count(*) FROM addresses WHERE pool LIKE '%10.77.0.0/24'")
  [ "$a" = 0 ] || fail "$1: $a addresses still claimed"
  poll 5 bash -c '! ip -o link show type veth | grep -q .' || fail "$1: veths left: $(ip -o link show type veth)"
}

# ---- VERSION: every version answers in its own shape -----------------------------
for v in 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0; do
  cni VERSION "" "" "" "{\"cniVersion\":\"$v\"}" || fail "VERSION $v: $CNI_OUT"
  assert_eq "$(jq -r .cniVersion <<<"$CNI_OUT")" "$v" "VERSION $v cniVersion"
  assert_eq "$(jq -c .supportedVersions <<<"$CNI_OUT")" '["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]' "supportedVersions"
done
log "VERSION ok"

# ---- ADD / CHECK / DEL in every version ---------------------------------------------
for v in 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0; do
  ns=cni-${v//./}
  mk_netns "$ns"
  conf=$(cni_conf "$v")
  cni ADD "ctr-$ns" eth0 "/run/netns/$ns" "$conf" || fail "ADD $v: $CNI_OUT"
  r=$CNI_OUT
  assert_eq "$(jq -r .cniVersion <<<"$r")" "$v" "ADD $v cniVersion"
  addr=$(jq -r '.ips[0].address' <<<"$r")
  [[ $addr == 10.77.0.*/24 ]] || fail "ADD $v: address $addr"
  assert_eq "$(jq -r '.ips[0].gateway' <<<"$r")" 10.77.0.1 "ADD $v gateway"
  ci=$(jq -r '.ips[0].interface' <<<"$r")
  assert_eq "$(jq -r ".interfaces[$ci].name" <<<"$r")" eth0 "ADD $v interface"
  assert_eq "$(jq -r ".interfaces[$ci].sandbox" <<<"$r")" "/run/netns/$ns" "ADD $v sandbox"
  mac=$(jq -r ".interfaces[$ci].mac" <<<"$r")
  assert_eq "$(ip -n "$ns" -j link show eth0 | jq -r '.[0].address')" "$mac" "ADD $v mac"
  has "inet $addr" ip -n "$ns" -o addr show dev eth0 || fail "ADD $v: $addr not on eth0 in $ns"
  assert_eq "$(ip -n "$ns" -j route show default | jq -r '.[0].gateway')" 10.77.0.1 "ADD $v default route"
  assert_eq "$(jq -c '.routes' <<<"$r")" '[{"dst":"0.0.0.0/0","gw":"10.77.0.1"}]' "ADD $v routes"
  # the host end, as the reference bridge plugin reports it (bandwidth needs it)
  host=$(jq -r '.interfaces[0].name' <<<"$r")
  [ "$ci" = 1 ] && ip link show "$host" >/dev/null || fail "ADD $v: host interface $host not reported or missing"
  case $v in
    0.*) assert_eq "$(jq -r '.ips[0].version' <<<"$r")" 4 "ADD $v ips.version" ;;
    *)   assert_eq "$(jq -r '.ips[0] | has("version")' <<<"$r")" false "ADD $v has no ips.version" ;;
  esac
  if [ "$v" = 1.1.0 ]; then
    assert_eq "$(jq -r ".interfaces[$ci].mtu" <<<"$r")" 1400 "ADD $v mtu"
  else
    assert_eq "$(jq -r ".interfaces[$ci] | has(\"mtu\")" <<<"$r")" false "ADD $v has no mtu"
  fi
  # CHECK with the cached result as prevResult (0.4.0 on)
  cc=$(jq -c --argjson p "$r" '. + {prevResult: $p}' <<<"$conf")
  case $v in
    0.3.*) cni_expect_code 1 CHECK "ctr-$ns" eth0 "/run/netns/$ns" "$cc" ;;
    *) cni CHECK "ctr-$ns" eth0 "/run/netns/$ns" "$cc" || fail "CHECK $v: $CNI_OUT"
       [ -z "$CNI_OUT" ] || fail "CHECK $v printed $CNI_OUT" ;;
  esac
  # the same ADD again (a runtime retrying): the same attachment
  cni ADD "ctr-$ns" eth0 "/run/netns/$ns" "$conf" || fail "ADD again $v: $CNI_OUT"
  assert_eq "$(jq -r '.ips[0].address' <<<"$CNI_OUT")" "$addr" "ADD again $v"
  assert_eq "$(nd_counts)" "eps=1 sbs=1" "after ADD $v"
  cni DEL "ctr-$ns" eth0 "/run/netns/$ns" "$conf" || fail "DEL $v: $CNI_OUT"
  [ -z "$CNI_OUT" ] || fail "DEL $v printed $CNI_OUT"
  cni DEL "ctr-$ns" eth0 "/run/netns/$ns" "$conf" || fail "second DEL $v: $CNI_OUT"
  has "eth0" ip -n "$ns" -o link && poll 5 bash -c "! ip -n $ns -o link show eth0" || true
  poll 5 bash -c "! ip -n $ns -o link show eth0 >/dev/null 2>&1" || fail "DEL $v: eth0 still in $ns"
  nothing_left "DEL $v"
done
log "ADD/CHECK/DEL in every version ok"

# ---- CHECK finds what changed in the namespace ---------------------------------------
mk_netns chk
conf=$(cni_conf 1.1.0)
cni ADD ctr-chk eth0 /run/netns/chk "$conf" || fail "ADD chk: $CNI_OUT"
r=$CNI_OUT; cc=$(jq -c --argjson p "$r" '. + {prevResult: $p}' <<<"$conf")
addr=$(jq -r '.ips[0].address' <<<"$r")
ip -n chk route del default
cni_expect_code 100 CHECK ctr-chk eth0 /run/netns/chk "$cc"
has "default route" echo "$CNI_OUT" || fail "CHECK without route: $CNI_OUT"
ip -n chk addr del "$addr" dev eth0
cni_expect_code 100 CHECK ctr-chk eth0 /run/netns/chk "$cc"
has "$addr" echo "$CNI_OUT" || fail "CHECK without address: $CNI_OUT"
cni_expect_code 3 CHECK ctr-nothere eth0 /run/netns/chk "$cc"
cni DEL ctr-chk eth0 /run/netns/chk "$conf" || fail "DEL chk: $CNI_OUT"
nothing_left "CHECK"
log "CHECK ok"

# ---- DEL after the namespace is gone; DEL of what never was ----------------------------
mk_netns gone
cni ADD ctr-gone eth0 /run/netns/gone "$conf" || fail "ADD gone: $CNI_OUT"
ip netns del gone
cni DEL ctr-gone eth0 /run/netns/gone "$conf" || fail "DEL after the netns is gone: $CNI_OUT"
cni DEL ctr-gone eth0 "" "$conf" || fail "DEL without CNI_NETNS: $CNI_OUT"
cni DEL ctr-never eth0 "" "$conf" || fail "DEL of an unknown attachment: $CNI_OUT"
cni DEL ctr-never eth0 "" "$(cni_conf 1.1.0 '{"network":"nosuchnet"}')" || fail "DEL on an unknown network: $CNI_OUT"
nothing_left "DEL after netns deletion"
log "DEL idempotent ok"

# ---- bad input: the spec's codes, nothing half-made -----------------------------------------
mk_netns bad
touch "$T/notans"
cni_expect_code 7 ADD ctr-bad eth0 /run/netns/bad "$(cni_conf 1.1.0 '{"network":null}')"
cni_expect_code 7 ADD ctr-bad eth0 /run/netns/bad "$(jq -c 'del(.network)' <<<"$conf")"
cni_expect_code 7 ADD ctr-bad eth0 /run/netns/bad "$(jq -c 'del(.name)' <<<"$conf")"
cni_expect_code 7 ADD ctr-bad eth0 /run/netns/bad "$(jq -c 'del(.cniVersion)' <<<"$conf")"
cni_expect_code 7 ADD ctr-bad eth0 /run/netns/bad "$(cni_conf 1.1.0 '{"network":"nosuchnet"}')"
has "nosuchnet" echo "$CNI_OUT" || fail "unknown network: message does not name it: $CNI_OUT"
cni_expect_code 1 ADD ctr-bad eth0 /run/netns/bad "$(cni_conf 0.2.0)"
cni_expect_code 6 ADD ctr-bad eth0 /run/netns/bad '{"cniVersion": "1.1.0", '
cni_expect_code 6 ADD ctr-bad eth0 /run/netns/bad '["not an object"]'
cni_expect_code 4 ADD ctr-bad eth0 "$T/notans" "$conf"
has "not a network namespace" echo "$CNI_OUT" || fail "bad netns message: $CNI_OUT"
cni_expect_code 4 ADD ctr-bad eth0 /nonexistent/netns "$conf"
cni_expect_code 4 ADD ctr-bad "" /run/netns/bad "$conf"
cni_expect_code 4 ADD ctr-bad "bad/name" /run/netns/bad "$conf"
cni_expect_code 4 ADD ctr-bad "waytoolonginterface" /run/netns/bad "$conf"
cni_expect_code 4 ADD "" eth0 /run/netns/bad "$conf"
cni_expect_code 7 ADD 'bad id!' eth0 /run/netns/bad "$conf"
cni_expect_code 4 FROB ctr-bad eth0 /run/netns/bad "$conf"
cni_expect_code 7 ADD ctr-bad eth0 /run/netns/bad "$(cni_conf 1.1.0 '{"runtimeConfig":{"ips":["10.99.0.5/24"]}}')"
cni_expect_code 7 ADD ctr-bad eth0 /run/netns/bad "$(cni_conf 1.1.0 '{"runtimeConfig":{"mac":"01:00:5e:00:00:01"}}')"
cni_expect_code 7 ADD ctr-bad eth0 /run/netns/bad "$(cni_conf 1.1.0 '{"runtimeConfig":{"portMappings":[{"hostPort":"x","containerPort":80}]}}')"
cni_expect_code 7 ADD ctr-bad eth0 /run/netns/bad "$(cni_conf 1.1.0 '{"runtimeConfig":{"portMappings":[{"hostPort":70000,"containerPort":80,"protocol":"tcp"}]}}')"
# netd not running: try again later
cni_expect_code 11 ADD ctr-bad eth0 /run/netns/bad "$(cni_conf 1.1.0 "{\"socket\":\"$T/nosuch.sock\"}")"
cni_expect_code 11 DEL ctr-bad eth0 /run/netns/bad "$(cni_conf 1.1.0 "{\"socket\":\"$T/nosuch.sock\"}")"
has -v "lo:" ip -n bad -o link show && fail "a failed ADD left an interface in the namespace: $(ip -n bad -o link)"
nothing_left "bad input"
# a port that cannot be published: the whole ADD is undone
mk_netns busy
socat TCP-LISTEN:18081,reuseaddr,fork /dev/null & sp=$!; on_exit "kill $sp"
poll 5 bash -c 'ss -ltn | grep -q ":18081 "'
cni_expect_code 7 ADD ctr-busy eth0 /run/netns/busy "$(cni_conf 1.1.0 '{"runtimeConfig":{"portMappings":[{"hostPort":18080,"containerPort":80,"protocol":"tcp"},{"hostPort":18081,"containerPort":81,"protocol":"tcp"}]}}')"
nothing_left "ADD with a port in use"
! has "18080" nft list table inet netd || fail "a failed ADD left port 18080 in nft"
log "bad input ok"

# ---- capabilities: ips, mac, aliases, CNI_ARGS ------------------------------------------------
mk_netns caps
cni ADD ctr-caps net1 /run/netns/caps "$(cni_conf 1.0.0 '{"runtimeConfig":{"ips":["10.77.0.42/24"],"mac":"02:aa:bb:cc:dd:ee","aliases":{"cnitest":["webby"]}}}')" \
  || fail "ADD with capabilities: $CNI_OUT"
assert_eq "$(jq -r '.ips[0].address' <<<"$CNI_OUT")" 10.77.0.42/24 "ips capability"
assert_eq "$(ip -n caps -j link show net1 | jq -r '.[0].address')" 02:aa:bb:cc:dd:ee "mac capability"
assert_eq "$(api GET /endpoints | jq -r '.[0].Aliases[0]')" webby "aliases capability"
# netd's names on the network: the result's nameserver answers for the alias
assert_eq "$(jq -c .dns <<<"$CNI_OUT")" '{"nameservers":["10.77.0.1"]}' "dns in the result"
dnsq() { python3 - "$@" <<'PY'
import socket, struct, sys
name, server, qtype = sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1
q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", qtype, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2); s.sendto(q, (server, 53))
r = s.recv(512); rcode = r[3] & 15; an = struct.unpack(">H", r[6:8])[0]
ips = [socket.inet_ntoa(r[i + 12:i + 16]) for i in range(len(q), len(r), 16)][:an] if qtype == 1 else []
print(rcode, " ".join(ips))
PY
}
assert_eq "$(in_ns caps bash -c "$(declare -f dnsq); dnsq webby 10.77.0.1")" "0 10.77.0.42" "netd's name server answers the alias"
assert_eq "$(in_ns caps bash -c "$(declare -f dnsq); dnsq WEBBY.cninet 10.77.0.1")" "0 10.77.0.42" "NAME.NETWORK, any case"
assert_eq "$(in_ns caps bash -c "$(declare -f dnsq); dnsq webby 10.77.0.1 28")" "0 " "AAAA of an IPv4-only name: no data"
assert_eq "$(in_ns caps bash -c "$(declare -f dnsq); dnsq example.org 10.77.0.1")" "5 " "other names: refused"
# a second network on the same container, its own interface
netctl network create --subnet 10.78.0.0/24 cninet2 >/dev/null
CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAME=x;IP=10.78.0.9" cni ADD ctr-caps net2 /run/netns/caps "$(cni_conf 1.1.0 '{"network":"cninet2","name":"second"}')" \
  || fail "ADD second network: $CNI_OUT"
assert_eq "$(jq -r '.ips[0].address' <<<"$CNI_OUT")" 10.78.0.9/24 "CNI_ARGS IP"
assert_eq "$(jq -c .routes <<<"$CNI_OUT")" '[]' "second network: no second default route"
CNI_ARGS="FOO=1" cni_expect_code 2 ADD ctr-caps2 net3 /run/netns/caps "$conf"
cni DEL ctr-caps net2 /run/netns/caps "$(cni_conf 1.1.0 '{"network":"cninet2"}')" || fail "DEL net2"
cni DEL ctr-caps net1 /run/netns/caps "$conf" || fail "DEL net1"
nothing_left "capabilities"
log "capabilities ok"

# ---- STATUS -------------------------------------------------------------------------------
cni STATUS "" "" "" "$conf" || fail "STATUS: $CNI_OUT"
cni_expect_code 50 STATUS "" "" "" "$(cni_conf 1.1.0 '{"network":"nosuchnet"}')"
cni_expect_code 50 STATUS "" "" "" "$(cni_conf 1.1.0 "{\"socket\":\"$T/nosuch.sock\"}")"
cni_expect_code 1 STATUS "" "" "" "$(cni_conf 1.0.0)"
log "STATUS ok"

# ---- GC: attachments not listed are released -------------------------------------------------
for i in 1 2 3; do
  mk_netns gc$i
  cni ADD ctr-gc$i eth0 /run/netns/gc$i "$conf" || fail "ADD gc$i: $CNI_OUT"
done
gconf=$(jq -c '. + {"cni.dev/valid-attachments": [{"containerID":"ctr-gc2","ifname":"eth0"}]}' <<<"$conf")
cni GC "" "" "" "$gconf" || fail "GC: $CNI_OUT"
assert_eq "$(nd_counts)" "eps=1 sbs=1" "after GC"
assert_eq "$(api GET /sandboxes | jq -r '.[] | select(.CallerOwned) | .Name')" cni-ctr-gc2 "GC kept the listed one"
ip -n gc1 -o link show eth0 >/dev/null 2>&1 && poll 5 bash -c '! ip -n gc1 -o link show eth0 >/dev/null 2>&1' || true
cni GC "" "" "" "$conf" || fail "GC of all: $CNI_OUT"
nothing_left "GC"
log "GC ok"

# ---- chaining: netd first, then tuning and bandwidth (as libcni runs a conflist) -------------
[ -x "$CNI_REF/tuning" ] && [ -x "$CNI_REF/bandwidth" ] || skip "reference plugins tuning/bandwidth missing in $CNI_REF"
mk_netns chain
c1=$(cni_conf 1.0.0)
cni ADD ctr-chain eth0 /run/netns/chain "$c1" || fail "chain netd ADD: $CNI_OUT"
r1=$CNI_OUT
c2=$(jq -nc --argjson p "$r1" '{cniVersion:"1.0.0", name:"cnitest", type:"tuning", mtu:1280, promisc:true, prevResult:$p}')
cni_plugin "$CNI_REF/tuning" ADD ctr-chain eth0 /run/netns/chain "$c2" || fail "chain tuning ADD: $CNI_OUT"
r2=$CNI_OUT
c3=$(jq -nc --argjson p "$r2" '{cniVersion:"1.0.0", name:"cnitest", type:"bandwidth", ingressRate:8000000, ingressBurst:80000, egressRate:8000000, egressBurst:80000, prevResult:$p}')
cni_plugin "$CNI_REF/bandwidth" ADD ctr-chain eth0 /run/netns/chain "$c3" || fail "chain bandwidth ADD: $CNI_OUT"
r3=$CNI_OUT
assert_eq "$(jq -r '.ips[0].address' <<<"$r3")" "$(jq -r '.ips[0].address' <<<"$r1")" "the chain's result keeps netd's address"
assert_eq "$(ip -n chain -j link show eth0 | jq -r '.[0].mtu')" 1280 "tuning set the MTU"
has PROMISC ip -n chain link show eth0 || fail "tuning set no promisc"
host=$(jq -r '.interfaces[0].name' <<<"$r1")
has "tbf" tc qdisc show dev "$host" || fail "bandwidth put no tbf on $host: $(tc qdisc show dev "$host")"
# CHECK through the chain, with the final result
cc=$(jq -c --argjson p "$r3" '. + {prevResult: $p}' <<<"$c1")
cni CHECK ctr-chain eth0 /run/netns/chain "$cc" || fail "chain netd CHECK: $CNI_OUT"
# DEL in reverse order
cni_plugin "$CNI_REF/bandwidth" DEL ctr-chain eth0 /run/netns/chain "$c3" || fail "chain bandwidth DEL: $CNI_OUT"
cni_plugin "$CNI_REF/tuning" DEL ctr-chain eth0 /run/netns/chain "$c2" || fail "chain tuning DEL: $CNI_OUT"
cni DEL ctr-chain eth0 /run/netns/chain "$c1" || fail "chain netd DEL: $CNI_OUT"
nothing_left "chain"
poll 5 bash -c '! ip -o link | grep -q "bwp\|ifb"' || fail "bandwidth's ifb left"
log "chaining with tuning and bandwidth ok"
echo "PASS"
