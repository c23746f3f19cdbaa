#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `netctl run -p` end to end: containers publish ports through netd (nft DNAT
# for traffic from outside and from containers, eBPF socket redirection for
# traffic that starts on the host). The "outside host" is a namespace made
# here; eBPF attaches to a cgroup of this test only and pins under a bpffs
# mounted in the test's scratch dir (config keys bpf-cgroup, bpf-pin-path).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"

command -v nft >/dev/null || skip "nft (the witness) is not installed"
command -v curl >/dev/null || skip "curl missing"
nft list tables >/dev/null 2>&1 || skip "nftables unavailable in this kernel"
CGROOT=/sys/fs/cgroup/unified
[ "$(stat -fc %T $CGROOT 2>/dev/null)" = cgroup2fs ] || CGROOT=/sys/fs/cgroup
[ "$(stat -fc %T $CGROOT 2>/dev/null)" = cgroup2fs ] || skip "no cgroup2 mount for the eBPF programs"

# ---- our cgroup (netd, its shims and this shell) and our bpffs ------------------------
CG=$CGROOT/netd-test-cports-$(basename "$T")
mkdir -p "$T/bpf"
mount -t bpf bpf "$T/bpf" || skip "cannot mount bpffs"
mkdir "$CG" || skip "cannot make a cgroup under $CGROOT"
# only the host-side clients run in the cgroup (where the eBPF programs act);
# this shell and netd stay where they are: no other cgroup is ever written
incg() { bash -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG" "$@"; }
cg_cleanup() {
  # every container, then netd, then whatever of ours is left in the cgroup
  [ -S "$ND_SOCK" ] && [ -n "$ND_PID" ] && "$NETCTL_BIN" rm -f $("$NETCTL_BIN" ps -aq) >/dev/null 2>&1
  nd_stop
  cg_drain "$CG"
}
on_exit cg_cleanup
cat > "$T/netd.json" <<EOF
{"bpf-cgroup": "$CG", "bpf-pin-path": "$T/bpf/netd"}
EOF

ctr_setup
nd_start --config "$T/netd.json"
assert_eq "$(api GET /info | jq -r .PortProxyMode)" ebpf "PortProxyMode"

# ---- topology: a v4+v6 network; the outside host over a veth -------------------------------
netctl network create --ipv6 --subnet 172.30.0.0/24 --subnet fd30::/64 pn >/dev/null
outside_setup
CGI=$WEB_CGI SRV=$WEB_SRV
get() { incg curl -sS --max-time 3 "http://$1/cgi-bin/ip" 2>&1; }     # from the host
refused() { # refused CMD...: curl says connection refused (exit 7), not a timeout
  local rc=0; "$@" >/dev/null 2>&1 || rc=$?
  [ "$rc" = 7 ]
}
in_map() { has -w "$1" nft list map inet netd ports4 2>/dev/null; }

log "run -p 8080:80"
netctl run -d --name web --hostname web --net pn -p 8080:80 -e CGI="$CGI" bb sh -c "$SRV" >/dev/null
poll 10 incg curl -sf --max-time 1 http://127.0.0.1:8080/cgi-bin/ip || fail "web not reachable on 127.0.0.1:8080: $(get 127.0.0.1:8080)"
assert_eq "$(get_out 192.0.2.1:8080)" "web 192.0.2.2" "outside v4 (client's own address seen)"
assert_eq "$(get_out '[2001:db8::1]:8080')" "web 2001:db8::2" "outside v6 (client's own address seen)"
assert_eq "$(get 127.0.0.1:8080 | cut -d' ' -f1)" web "host 127.0.0.1"
assert_eq "$(get '[::1]:8080' | cut -d' ' -f1)" web "host ::1"
assert_eq "$(get 192.0.2.1:8080 | cut -d' ' -f1)" web "host via its own address"
# from containers through the host address: another network, the same one, itself (hairpin)
# (busybox's static wget crashes without NSS in the image: nc speaks the HTTP)
REQ='printf "GET /cgi-bin/ip HTTP/1.0\r\n\r\n" | nc -w 3 "$0" "$1" | tail -1'
assert_eq "$(netctl run --rm bb sh -c "$REQ" 192.0.2.1 8080 | cut -d' ' -f1)" web "container on bridge -> host address"
assert_eq "$(netctl run --rm --net pn bb sh -c "$REQ" 192.0.2.1 8080 | cut -d' ' -f1)" web "container on pn -> host address"
assert_eq "$(netctl exec web sh -c "$REQ" 172.30.0.1 8080)" "web 172.30.0.1" "hairpin: web -> its own published port (v4)"
assert_eq "$(netctl exec web sh -c "$REQ" fd30::1 8080)" "web fd30::1" "hairpin: web -> its own published port (v6)"
[ "$(bridge -d link show | grep -c 'hairpin on')" -ge 1 ] || fail "no bridge port in hairpin mode: $(bridge -d link show)"

log "port, ps, inspect"
assert_eq "$(netctl port web)" $'80/tcp -> 0.0.0.0:8080\n80/tcp -> [::]:8080' "netctl port"
assert_eq "$(netctl port web 80/tcp)" $'0.0.0.0:8080\n[::]:8080' "netctl port web 80"
[[ "$(netctl ps)" == *"0.0.0.0:8080->80/tcp"* ]] || fail "ps PORTS: $(netctl ps)"
assert_eq "$(netctl inspect web | jq -c '.[0].NetworkSettings.Ports["80/tcp"][0]')" '{"HostIp":"0.0.0.0","HostPort":"8080"}' "inspect Ports"
assert_eq "$(netctl inspect web | jq -c '.[0].HostConfig.PortBindings')" '{"80/tcp":[{"HostIp":"","HostPort":"8080"}]}' "inspect PortBindings"

log "conflicts: 409, nothing changes"
netctl create --name web2 --net pn -p 8080:80 bb sleep 300 >/dev/null
assert_eq "$(api_status POST /containers/web2/start)" 409 "start with a published host port"
out=$(curl -s --unix-socket "$ND_SOCK" -X POST http://netd/containers/web2/start | jq -r .message)
[[ "$out" == *"already published"* ]] || fail "conflict message: $out"
assert_eq "$(netctl inspect web2 | jq -r '.[0].State.Running')" false "web2 running after 409"
assert_eq "$(get_out 192.0.2.1:8080)" "web 192.0.2.2" "web still published after the conflict"
python3 -c 'import socket,time; s=socket.socket(); s.bind(("0.0.0.0",9090)); s.listen(); time.sleep(120)' &
busy=$!; on_exit "kill $busy"
poll 5 bash -c '[ -n "$(ss -Htln sport = :9090)" ]'
netctl create --name web3 --net pn -p 9191:80 -p 9090:81 bb sleep 300 >/dev/null
assert_eq "$(api_status POST /containers/web3/start)" 409 "start with a port bound by a host process"
out=$(curl -s --unix-socket "$ND_SOCK" -X POST http://netd/containers/web3/start | jq -r .message)
[[ "$out" == *"in use by a host process"* ]] || fail "busy message: $out"
in_map 9191 && fail "all or nothing: 9191 published although 9090 failed"
set +e; netctl run -d --name web4 -p 9090:80 bb sleep 300 >/dev/null 2>"$T/err"; rc=$?; set -e
[ $rc -ne 0 ] && grep -q "in use" "$T/err" || fail "run -p on a busy port: rc=$rc $(cat "$T/err")"
netctl rm -f web2 web3 web4 >/dev/null
assert_eq "$(api_status POST /containers/create '{"Image":"bb","HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":"70000"}]}}}')" 400 "bad host port"

log "-p 80 picks a free port"
netctl run -d --name pick -p 80 -e CGI="$CGI" bb sh -c "$SRV" >/dev/null
picked=$(netctl port pick 80 | head -1 | sed 's/.*://')
[[ "$picked" =~ ^[0-9]+$ ]] && [ "$picked" -ge 1024 ] || fail "picked port: $(netctl port pick)"
assert_eq "$(netctl inspect pick | jq -r '.[0].NetworkSettings.Ports["80/tcp"][0].HostPort')" "$picked" "picked port recorded"
# an IPv4-only network: the port's IPv6 side ([::]:port to the IPv4 container) is shown as Docker shows it
assert_eq "$(netctl port pick)" $'80/tcp -> 0.0.0.0:'"$picked"$'\n80/tcp -> [::]:'"$picked" "netctl port (IPv6 side of an IPv4-only port)"
ps_out=$(netctl ps)
[[ "$ps_out" == *"0.0.0.0:$picked->80/tcp, [::]:$picked->80/tcp"* ]] || fail "ps PORTS of pick: $ps_out"
poll 5 in_ns outside curl -sf --max-time 1 "http://192.0.2.1:$picked/cgi-bin/ip" || true
assert_eq "$(get_out "192.0.2.1:$picked" | cut -d' ' -f2)" 192.0.2.2 "picked port from outside"
# IPv6 from the outside host to an IPv4-only container: relayed by the port's [::] side
assert_eq "$(get_out "[2001:db8::1]:$picked" | cut -d' ' -f2)" 172.17.0.1 "outside over IPv6 to an IPv4-only container (relayed)"
# the default bridge is IPv4 only: ::1 reaches it all the same (as with Docker)
assert_eq "$(get "[::1]:$picked" | cut -d" " -f2)" 172.17.0.1 "::1 to a container of an IPv4-only network"

log "stop removes the mappings; start restores them"
netctl stop -t 1 web >/dev/null
refused get_out 192.0.2.1:8080 || fail "outside still reaches 8080 after stop: $(get_out 192.0.2.1:8080)"
refused get 127.0.0.1:8080 || fail "host still reaches 8080 after stop: $(get 127.0.0.1:8080)"
in_map 8080 && fail "8080 still in the nft map after stop"
assert_eq "$(netctl port web)" "" "port after stop"
netctl start web >/dev/null
poll 10 incg curl -sf --max-time 1 http://127.0.0.1:8080/cgi-bin/ip || fail "8080 not back after start"
assert_eq "$(get_out 192.0.2.1:8080)" "web 192.0.2.2" "outside after restart of the container"

log "netd kill -9 and restart keep them"
nd_kill
assert_eq "$(get_out 192.0.2.1:8080)" "web 192.0.2.2" "outside with netd dead"
assert_eq "$(get 127.0.0.1:8080 | cut -d' ' -f1)" web "localhost with netd dead (pinned eBPF)"
nd_start --config "$T/netd.json"
assert_eq "$(get_out 192.0.2.1:8080)" "web 192.0.2.2" "outside after netd restart"
assert_eq "$(get '[::1]:8080' | cut -d' ' -f1)" web "::1 after netd restart"
assert_eq "$(get "[::1]:$picked" | cut -d" " -f2)" 172.17.0.1 "::1 to the IPv4-only network after netd restart"
python3 -c 'import socket; s=socket.socket(); s.bind(("0.0.0.0",8080))' 2>/dev/null && fail "8080 not reserved again after restart"
assert_eq "$(api GET /info | jq -r .PortProxy.Published)" 3 "published count after restart (web v4+v6, pick)"

log "nft flush ruleset: reconcile restores them"
nft flush ruleset
poll 15 bash -c "[ \"\$(nsenter --net=/run/netns/outside curl -s --max-time 1 http://192.0.2.1:8080/cgi-bin/ip)\" = 'web 192.0.2.2' ]" ||
  fail "not restored after nft flush ruleset: $(get_out 192.0.2.1:8080)"
assert_eq "$(get_out "192.0.2.1:$picked" | cut -d' ' -f2)" 192.0.2.2 "picked port after flush"

log "disconnect from the network carrying them unpublishes"
netctl network disconnect bridge pick
refused get_out "192.0.2.1:$picked" || fail "picked port still published after disconnect"
assert_eq "$(netctl port pick)" "" "port after disconnect"

log "rm removes everything"
netctl rm -f web pick >/dev/null
assert_eq "$(api GET /info | jq -r .PortProxy.Published)" 0 "published count after rm"
refused get 127.0.0.1:8080 || fail "localhost still reaches 8080 after rm"
has elements nft list map inet netd ports4 && fail "ports4 not empty: $(nft list map inet netd ports4)"
netctl network rm pn >/dev/null
echo ok
