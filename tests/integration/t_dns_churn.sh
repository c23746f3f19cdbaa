#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The embedded resolver while 200 containers start and stop: a client in a
# container's namespace asks in a loop (UDP, 1 s timeout) for a container
# that stays (exactly its address), its alias, its PTR-less peer on another
# network, and an alias the churning containers share (NXDOMAIN or
# addresses of the network); no query may time out or get a wrong answer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3   # Debian's, with python3-dnspython
$PY -c 'import dns.message' 2>/dev/null || skip "dnspython missing (python3-dnspython)"
N=${DNS_CHURN_N:-200}

ctr_setup
# an upstream on the host's loopback answers what is not netd's (NXDOMAIN)
$PY "$NETD_SRC/tests/integration/dns_upstream.py" 127.0.0.53 53 up "$T/up.ready" >"$T/up.log" 2>&1 &
on_exit "kill $! 2>/dev/null"
poll 10 test -f "$T/up.ready" || fail "upstream did not start: $(cat "$T/up.log")"
printf 'nameserver 127.0.0.53\n' >"$T/resolv.conf"
nd_start --dns-resolv-conf "$T/resolv.conf"
netctl network create --subnet 10.77.0.0/16 n1 >/dev/null
netctl network create n2 >/dev/null
netctl run -d --name asker --net n1 bb sleep 600 >/dev/null
netctl run -d --name stay --net n1 --network-alias keep bb sleep 600 >/dev/null
netctl network connect n2 asker
netctl run -d --name far --net n2 bb sleep 600 >/dev/null
ipn() { netctl inspect "$1" | jq -r ".[0].NetworkSettings.Networks.$2.IPAddress"; }
stay=$(ipn stay n1); far=$(ipn far n2)
SB=$(netctl inspect asker | jq -r '.[0].NetworkSettings.SandboxKey')

nsenter --net="$SB" -- $PY "$NETD_SRC/tests/integration/dns_client.py" loop "$T/stop" \
  "stay=$stay" "keep=$stay" "far=$far" "churn~10.77." >"$T/client.out" 2>"$T/client.err" &
client=$!
on_exit "touch $T/stop; kill $client 2>/dev/null"

log "$N containers start and stop (alias churn) while the client asks"
t0=$(date +%s)
seq "$N" | xargs -P 6 -I{} sh -c "'$NETCTL_BIN' run -d --rm --net n1 --network-alias churn --name ch{} bb sleep 1 >/dev/null || echo 'run ch{} failed' >>'$T/runs.err'"
poll 60 bash -c "[ \"\$('$NETCTL_BIN' ps -aq | wc -l)\" = 3 ]" || log "some churn containers are still there"
log "started and stopped in $(( $(date +%s) - t0 )) s"
touch "$T/stop"
rc=0; wait $client || rc=$?
cat "$T/client.out" >&2
head -5 "$T/client.err" >&2
[ ! -s "$T/runs.err" ] || { head -3 "$T/runs.err" >&2; fail "$(wc -l <"$T/runs.err") runs failed"; }
[ $rc = 0 ] || fail "the client saw timeouts or wrong answers"
n=$(awk '{print $2}' "$T/client.out"); [ "$n" -gt 200 ] || fail "only $n queries"
grep -c "container created" "$ND_LOG" | { read -r c; [ "$c" -ge "$N" ] || fail "only $c containers created"; }
log "ok"
