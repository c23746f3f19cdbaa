#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# netctl explain on published ports, each verdict compared with a real
# packet's fate and each hop's command run: from an outside namespace (nft
# DNAT map element), from localhost (eBPF map entry; the client runs in the
# test's cgroup where netd's programs act), hairpin (a container to its own
# host's published port), a published port nothing listens behind, and a
# host port nothing publishes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
. "$(dirname "$0")/explain_lib.sh"
command -v nft >/dev/null || skip "nft (the witness) is not installed"
command -v bpftool >/dev/null || skip "bpftool (the witness) is not installed"

ctr_setup
nd_start
[ "$(api GET /info | jq -r .PortProxyMode)" = ebpf ] || skip "no eBPF port redirection here (userland proxy)"
incg() { bash -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$ND_TEST_CG" "$@"; }

outside_setup
netctl network create --ipv6 --subnet 172.30.0.0/24 --subnet fd30::/64 pn >/dev/null
netctl run -d --name web --net pn -p 8080:80 -p 8082:81 -e CGI="$WEB_CGI" bb sh -c "$WEB_SRV" >/dev/null
netctl run -d --name peer --net pn bb sleep 1000 >/dev/null
poll 20 incg curl -sf --max-time 1 http://127.0.0.1:8080/cgi-bin/ip || fail "web not reachable on 127.0.0.1:8080"

expect "outside -> published 8080" 192.0.2.2 host:8080 tcp_from in_ns outside 192.0.2.1 8080
jq -e '.hops[] | select(.kind == "dnat")' <<<"$EX" >/dev/null || fail "no DNAT hop: $(ex_show)"
expect "outside -> 8080 by the host's address" 192.0.2.2 192.0.2.1:8080 tcp_from in_ns outside 192.0.2.1 8080
expect "outside -> published 8080 over IPv6" 2001:db8::2 "[2001:db8::1]:8080" tcp_from in_ns outside 2001:db8::1 8080
expect "outside -> published 8082, nothing listens on 81" 192.0.2.2 192.0.2.1:8082 tcp_from in_ns outside 192.0.2.1 8082
expect "outside -> 8081, not published" 192.0.2.2 192.0.2.1:8081 tcp_from in_ns outside 192.0.2.1 8081
expect "localhost -> 8080 (eBPF)" host 127.0.0.1:8080 tcp_from incg 127.0.0.1 8080
jq -e '.hops[] | select(.kind == "ebpf")' <<<"$EX" >/dev/null || fail "no eBPF hop: $(ex_show)"
expect "host address -> 8080 (eBPF)" host 192.0.2.1:8080 tcp_from incg 192.0.2.1 8080
expect "localhost over IPv6 -> 8080 (eBPF)" host "[::1]:8080" tcp_from incg ::1 8080
expect "SRC the host's own address -> 8080 (eBPF)" 192.0.2.1 192.0.2.1:8080 tcp_from incg 192.0.2.1 8080
expect "hairpin: web -> its own published port" web host:8080 tcp_from_ctr web 172.30.0.1 8080
jq -e '.hops[] | select(.kind == "hairpin")' <<<"$EX" >/dev/null || fail "hairpin not named: $(ex_show)"
expect "a peer on the bridge -> the published port" peer 192.0.2.1:8080 tcp_from_ctr peer 192.0.2.1 8080
expect "container -> outside (masquerade)" peer 192.0.2.2 ping_from_ctr peer 192.0.2.2
jq -e '.hops[] | select(.kind == "masquerade")' <<<"$EX" >/dev/null || fail "no masquerade hop: $(ex_show)"
netctl rm -f web peer >/dev/null
