#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# netctl explain where netd publishes ports with its userland proxy (no
# eBPF): from localhost the path goes through netd's own listener, then
# from the host to the container the DNAT map names; from outside it is the
# same DNAT path as with eBPF. Each verdict is compared with a real
# connection; each hop's command is run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
. "$(dirname "$0")/explain_lib.sh"
command -v nft >/dev/null || skip "nft (the witness) is not installed"
ctr_setup
echo '{"userland-proxy": true}' >"$T/netd.json"
nd_start --config "$T/netd.json"
assert_eq "$(api GET /info | jq -r .PortProxyMode)" userland "PortProxyMode"
outside_setup
netctl network create --subnet 172.28.0.0/24 un >/dev/null
netctl run -d --name web --net un -p 8080:80 -e CGI="$WEB_CGI" bb sh -c "$WEB_SRV" >/dev/null
poll 20 curl -sf --max-time 1 http://127.0.0.1:8080/cgi-bin/ip || fail "web not reachable on 127.0.0.1:8080"

expect "localhost -> 8080 (userland proxy)" host 127.0.0.1:8080 tcp_from 127.0.0.1 8080
jq -e '.hops[] | select(.kind == "userland-proxy")' <<<"$EX" >/dev/null || fail "the proxy is not named: $(ex_show)"
jq -e '.hops[] | select(.kind == "listener" and .object == "*:80")' <<<"$EX" >/dev/null ||
  fail "the walk did not reach the container: $(ex_show)"
expect "localhost -> 8081, not published" host 127.0.0.1:8081 tcp_from 127.0.0.1 8081
expect "outside -> published 8080" 192.0.2.2 host:8080 tcp_from in_ns outside 192.0.2.1 8080
netctl rm -f web >/dev/null
