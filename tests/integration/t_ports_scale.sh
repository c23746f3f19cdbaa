#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# proxy/ port publishing at scale: 5,000 published ports; one more costs what
# the first did, all of them answer, and they answer again after nft flush.
# (Header shared with t_ports.sh.) Runs (via run-one.sh) in its
# own network namespace, the test's "host"; containers and the outside host
# are namespaces made here. The eBPF programs attach to a cgroup of this
# test only and pin under a bpffs of this test's mount namespace.
# PORTS_MODE=userland (t_ports_userland.sh) runs the same checks on the
# userland fallback.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ports_lib.sh"

# ---- topology: one bridge, one container, an outside host ---------------------------------
sysctl -qw net.ipv4.ip_forward=1
ip link add nbA type bridge; ip addr add 10.10.1.1/24 dev nbA; ip link set nbA up
mk_netns c1
ip link add vc1 type veth peer name eth0 netns c1; ip link set vc1 master nbA up
ip -n c1 addr add 10.10.1.2/24 dev eth0; ip -n c1 link set eth0 up; ip -n c1 route add default via 10.10.1.1
mk_netns outside
ip link add vout type veth peer name eth0 netns outside
ip addr add 192.0.2.1/24 dev vout; ip link set vout up
ip -n outside addr add 192.0.2.2/24 dev eth0; ip -n outside link set eth0 up
in_ns c1 python3 "$T/srv.py" c1 80 >"$T/srv-c1.log" 2>&1 &
on_exit "kill $!"
poll 10 grep -q ready "$T/srv-c1.log" || fail "server did not start"

N=${PORTS_SCALE_N:-5000}
FIRST=20000
holder_start
ok fwsync nbA,10.10.1.0/24
ok bench "$N" "$FIRST" 10.10.1.2 80
log "publish one port at a time, $N ports ($MODE): ${REPLY_#ok }"
first=$(echo "$REPLY_" | sed -E 's/.*mean_first100=([0-9.]+)ms.*/\1/')
last=$(echo "$REPLY_" | sed -E 's/.*mean_last100=([0-9.]+)ms.*/\1/')
# "one more costs the same as the first": the last 100 within 3x (+0.5 ms) of the first 100
python3 -c "import sys; f,l=$first,$last; sys.exit(0 if l <= 3*f + 0.5 else 1)" ||
  fail "publishing got slower with $N ports: first100 ${first}ms, last100 ${last}ms"
[ "$(nft list map inet netd ports4 | grep -c ' : 10.10.1.2 . 80')" -ge 1 ] || fail "no elements"
cnt=$(nft -j list map inet netd ports4 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len([x for x in d["nftables"] if "map" in x][0]["map"].get("elem",[])))')
expect "elements in ports4" "$cnt" "$N"
expect "rules in prerouting (no rule per port)" "$(nft list chain inet netd prerouting | grep -c 'netd:')" 4

t0=$(date +%s.%N)
expect "all $N answer from outside" "$(in_ns outside python3 "$T/cli.py" many 192.0.2.1 $FIRST $N c1)" "$N"
t1=$(date +%s.%N)
expect "all $N answer from the host (127.0.0.1)" "$(python3 "$T/cli.py" many 127.0.0.1 $FIRST $N c1)" "$N"
t2=$(date +%s.%N)
log "$N connections: outside $(python3 -c "print(round($t1-$t0,2))")s, localhost $(python3 -c "print(round($t2-$t1,2))")s"

nft flush ruleset
ok fwsync nbA,10.10.1.0/24
expect "all $N answer after nft flush + fwsync" "$(in_ns outside python3 "$T/cli.py" many 192.0.2.1 $FIRST $N c1)" "$N"
ok sync
[ "$MODE" = ebpf ] && ok purge
ok quit
log "ok ($MODE, $N ports)"
