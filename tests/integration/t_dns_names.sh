#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The embedded resolver: names from inside containers on user-defined
# networks, asked by busybox nslookup in the container and by dig run in the
# container's namespace (an independent client): container names, aliases,
# short ids, hostnames, round-robin aliases, PTR, AAAA -> NODATA, NXDOMAIN
# (internal network: never forwarded), a name of another network not
# answered, a container started later at once, a disconnect gone at once,
# TCP, and resolv.conf (--dns-search, --dns-option). The default bridge
# keeps the host's resolvers.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
command -v dig >/dev/null || skip "dig missing (bind9-dnsutils)"

ctr_setup
printf 'nameserver 192.0.2.53\n' >"$T/resolv.conf"   # nobody there: nothing here is forwarded
nd_start --dns-resolv-conf "$T/resolv.conf"

netctl network create n1 >/dev/null
netctl network create n2 >/dev/null
netctl network create --internal ni >/dev/null 2>&1 || api POST /networks/create '{"Name":"ni","Internal":true}' >/dev/null
netctl run -d --name asker --net n1 bb sleep 300 >/dev/null
netctl run -d --name web1 --net n1 --hostname hn1 --network-alias web --network-alias shared bb sleep 300 >/dev/null
netctl run -d --name web2 --net n1 --network-alias web bb sleep 300 >/dev/null
netctl run -d --name other --net n2 --network-alias shared bb sleep 300 >/dev/null
netctl run -d --name lone --net ni bb sleep 300 >/dev/null

ip_of() { netctl inspect "$1" | jq -r ".[0].NetworkSettings.Networks.$2.IPAddress"; }
nsk() { netctl inspect "$1" | jq -r '.[0].NetworkSettings.SandboxKey'; }
ASK=$(nsk asker)
D() { nsenter --net="$ASK" -- dig +time=2 +tries=2 @127.0.0.11 "$@"; }
w1=$(ip_of web1 n1); w2=$(ip_of web2 n1); oth=$(ip_of other n2)
id1=$(netctl inspect web1 | jq -r '.[0].Id')

log "resolv.conf points at the resolver, with --dns-search and --dns-option"
rc=$(netctl run --rm --net n1 --dns-search w.example --dns-option ndots:2 bb cat /etc/resolv.conf)
grep -qx 'nameserver 127.0.0.11' <<<"$rc" || fail "resolv.conf: $rc"
grep -qx 'search w.example' <<<"$rc" || fail "search: $rc"
grep -qx 'options ndots:2' <<<"$rc" || fail "options: $rc"
rc=$(netctl run --rm bb cat /etc/resolv.conf)
grep -q 127.0.0.11 <<<"$rc" && fail "the default bridge got the resolver: $rc"

log "names, short id, hostname, NAME.NETWORK (busybox nslookup and dig)"
out=$(netctl exec asker nslookup web1 127.0.0.11) || fail "nslookup web1: $out"
grep -q "Address: $w1" <<<"$out" || fail "nslookup web1: $out"
out=$(netctl exec asker nslookup web1) || fail "nslookup web1 through resolv.conf: $out"
grep -q "$w1" <<<"$out" || fail "nslookup web1 (resolv.conf): $out"
assert_eq "$(D +short web1)" "$w1" "dig web1"
assert_eq "$(D +short WEB1.n1)" "$w1" "dig WEB1.n1"
assert_eq "$(D +short "${id1:0:12}")" "$w1" "short id"
assert_eq "$(D +short hn1)" "$w1" "hostname"
assert_eq "$(D +tcp +short web1)" "$w1" "over TCP"
dn=$(netctl inspect web1 | jq -c '.[0].NetworkSettings.Networks.n1.DNSNames')
[[ "$dn" == *'"web1"'* && "$dn" == *'"web"'* && "$dn" == *'"hn1"'* && "$dn" == *"\"${id1:0:12}\""* ]] || fail "inspect DNSNames: $dn"

log "round robin: an alias of two containers answers both, rotated"
out=$(D +short web | sort | paste -sd' ')
assert_eq "$out" "$(printf '%s\n' "$w1" "$w2" | sort | paste -sd' ')" "alias web"
firsts=$(for _ in 1 2 3 4; do D +short web | head -1; done | sort -u | wc -l)
assert_eq "$firsts" 2 "the first address rotates"

log "a name of another network: only the asker's networks answer"
assert_eq "$(D +short shared)" "$w1" "alias shared on n1 (n2 has one too)"
out=$(D other); grep -q "status: NOERROR" <<<"$out" && grep -q "ANSWER: [1-9]" <<<"$out" && fail "other (n2) answered on n1: $out"

log "AAAA of a name without IPv6: NOERROR, no answer (NODATA)"
out=$(D AAAA web1)
grep -q "status: NOERROR" <<<"$out" && grep -q "ANSWER: 0" <<<"$out" || fail "AAAA web1: $out"
out=$(D MX web1)
grep -q "status: NOERROR" <<<"$out" || fail "MX web1: $out"

log "AAAA and its PTR on an IPv6 network"
netctl network create --ipv6 --subnet 10.96.0.0/24 --subnet fd96::/64 n6 >/dev/null
netctl run -d --name six --net n6 bb sleep 300 >/dev/null
six6=$(netctl inspect six | jq -r '.[0].NetworkSettings.Networks.n6.GlobalIPv6Address')
SIX=$(nsk six)
assert_eq "$(nsenter --net="$SIX" -- dig +short +time=2 +tries=1 @127.0.0.11 AAAA six)" "$six6" "AAAA six"
assert_eq "$(nsenter --net="$SIX" -- dig +short +time=2 +tries=1 @127.0.0.11 -x "$six6")" "six.n6." "PTR of six's IPv6 address"

log "PTR of a container address"
out=$(D +short -x "$w1")
assert_eq "$out" "web1.n1." "PTR"
out=$(netctl exec asker nslookup "$w1" 127.0.0.11) || fail "nslookup PTR: $out"
grep -q "web1" <<<"$out" || fail "nslookup PTR: $out"

log "internal network: its own names, NXDOMAIN for the rest, never forwarded"
LONE=$(nsk lone)
out=$(nsenter --net="$LONE" -- dig +time=2 +tries=1 @127.0.0.11 lone); grep -q "status: NOERROR" <<<"$out" || fail "lone: $out"
out=$(nsenter --net="$LONE" -- dig +time=2 +tries=1 @127.0.0.11 nothing.example); grep -q "status: NXDOMAIN" <<<"$out" || fail "internal forwarded: $out"
out=$(netctl exec lone nslookup nothing.example 2>&1) && fail "nslookup on internal: $out"
grep -qi "NXDOMAIN\|can't find" <<<"$out" || fail "nslookup nothing.example: $out"

log "a container started after the asker resolves at once; disconnect: gone at once"
netctl run -d --name late --net n1 bb sleep 300 >/dev/null
late=$(ip_of late n1)
assert_eq "$(D +short late)" "$late" "late"
netctl network connect n1 other
oth1=$(ip_of other n1)
assert_eq "$(D +short other)" "$oth1" "other after connect to n1"
netctl network disconnect n1 other
out=$(D +short other); [ -z "$out" ] || fail "other after disconnect: $out"
netctl rm -f late >/dev/null
out=$(D +short late); [ -z "$out" ] || fail "late after rm: $out"

log "rename: the new name answers, the old one no more"
netctl rename web2 web3 2>/dev/null || api POST "/containers/web2/rename?name=web3" >/dev/null
assert_eq "$(D +short web3)" "$w2" "renamed"
out=$(D +short web2); [ -z "$out" ] || fail "old name after rename: $out"

log "netctl info shows the resolver"
info=$(netctl info --format json | jq -c .DNS)
netctl info | grep -q "^DNS:" || fail "netctl info does not show the resolver"
[[ "$(jq -r .Address <<<"$info")" == 127.0.0.11 && "$(jq -r .SandboxListeners <<<"$info")" -ge 5 ]] || fail "info: $info"
[ "$(jq -r .AnsweredLocal <<<"$info")" -gt 10 ] || fail "info counters: $info"
log "ok"
