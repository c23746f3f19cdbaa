#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# netd with a cluster store: /info (and netctl info) shows the store, its
# health, the lease and the advertise address; etcd going away turns it
# unhealthy with a message naming the store while local networks keep
# working, and it heals when etcd returns, without a restart; a restarted
# netd keeps its lease. Without cluster-store netd starts as before; bad
# cluster options are refused at start naming the key.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd_lib.sh"
etcd_need
cl() { netctl info --format json | jq -r "$1"; }   # cl JQ-PATH: a field of /info

ip addr add 10.97.0.1/32 dev lo
etcd_start e1 10.97.0.1

# ---- without a cluster store: as before
nd_start
info=$(netctl info --format json)
assert_eq "$(jq -r '.ClusterStore' <<<"$info")" "" "no ClusterStore without the option"
assert_eq "$(jq -r 'has("Cluster")' <<<"$info")" false "no Cluster object without the option"
nd_stop

# ---- with one; the advertise address from an interface
ip link add adv0 type veth peer name adv1
ip addr add 192.0.2.10/24 dev adv0
ip link set adv0 up
nd_start --cluster-store etcd://10.97.0.1:2379 --cluster-advertise adv0 --cluster-lease-ttl 3
# no window after start in which global work would be refused "not connected yet"
assert_eq "$(cl .Cluster.Healthy)" true "healthy as soon as netd answers"
info=$(netctl info --format json)
assert_eq "$(jq -r .ClusterStore <<<"$info")" "etcd://10.97.0.1:2379" "ClusterStore"
assert_eq "$(jq -r .ClusterAdvertise <<<"$info")" "192.0.2.10" "ClusterAdvertise from the interface's address"
assert_eq "$(jq -r .Cluster.Advertise <<<"$info")" "192.0.2.10" "Cluster.Advertise"
assert_eq "$(jq -r .Cluster.LeaseTTL <<<"$info")" 3 "Cluster.LeaseTTL"
lease=$(jq -r .Cluster.Lease <<<"$info")
[ "$lease" != 0 ] || fail "no lease: $info"
has -x "$lease" ETCDCTL e1 lease list || fail "lease $lease not in etcd: $(ETCDCTL e1 lease list)"
has "Healthy" netctl info || fail "netctl info does not show the cluster"
log "cluster: $(jq -c .Cluster <<<"$info")"

# ---- a slow etcd is waited for, not taken for an outage: stopped for 1.5 s
# while a global network is created, the create answers once etcd does
epid=${_etcd_pid[e1]}
kill -STOP "$epid"
(sleep 1.5; kill -CONT "$epid") &   # the slowness itself, not a synchronisation
cont=$!
t0=$(date +%s%N)
out=$(netctl network create -d vxlan --subnet 10.251.0.0/16 slowov 2>&1) || { kill -CONT "$epid"; fail "a global create failed while etcd was slow: $out"; }
ms=$(ms_since "$t0")
wait $cont
[ "$ms" -ge 1000 ] || fail "the create did not wait for etcd ($ms ms)"
log "a global network created in $ms ms while etcd was stopped for 1.5 s"
poll 5 has -x true cl .Cluster.Healthy || fail "not healthy after etcd went on"
netctl network rm slowov >/dev/null || fail "rm slowov"

# ---- etcd goes away: unhealthy, the store named; local networks unaffected
etcd_kill e1
t0=$(date +%s%N)
poll 5 has -x false cl .Cluster.Healthy || fail "still healthy without etcd"
log "unhealthy $(ms_since "$t0") ms after etcd died (lease TTL 3 s, keepalive every 1 s)"
err=$(netctl info --format json | jq -r .Cluster.Error)
[[ "$err" == *"cluster store etcd://10.97.0.1:2379"* ]] || fail "the error does not name the store: $err"
netctl network create loc >/dev/null
has loc netctl network ls || fail "a local network could not be made without etcd"
# etcd comes back: healthy again, same netd
eval "etcd_start e1 10.97.0.1"
t0=$(date +%s%N)
poll 10 has -x true cl .Cluster.Healthy || fail "not healthy again after etcd returned"
log "healthy again $(ms_since "$t0") ms after etcd answered"

# ---- a netd restart within the TTL keeps its lease
lease=$(netctl info --format json | jq -r .Cluster.Lease)
nd_stop
nd_start --cluster-store etcd://10.97.0.1:2379 --cluster-advertise adv0 --cluster-lease-ttl 3
poll 5 has -x true cl .Cluster.Healthy || fail "not healthy after restart"
poll 3 has -x "$lease" cl .Cluster.Lease || fail "the lease was not kept across a restart: $lease -> $(netctl info --format json | jq -r .Cluster.Lease)"
# a stop is quick (the watch and session threads end within a second)
t0=$(date +%s%N)
nd_stop
ms=$(ms_since "$t0")
[ "$ms" -lt 3000 ] || fail "netd took $ms ms to stop"
log "netd with a cluster store stopped in $ms ms"

# ---- a netd that dies: its lease (and every key under it) expires within TTL + 1 s
nd_start --cluster-store etcd://10.97.0.1:2379 --cluster-advertise adv0 --cluster-lease-ttl 3
poll 5 has -x true cl .Cluster.Healthy || fail "not healthy"
lease=$(cl .Cluster.Lease)
ETCDCTL e1 put /netd/v1/test/leased x --lease="$lease" >/dev/null
nd_kill
t0=$(date +%s%N)
poll 6 bash -c "! ETCDCTL_API=3 etcdctl --endpoints 10.97.0.1:2379 lease list | grep -qx $lease" || fail "the dead netd's lease is still there"
ms=$(ms_since "$t0")
[ "$ms" -le 4000 ] || fail "lease of a dead netd expired after $ms ms (TTL 3 s)"
[ -z "$(ETCDCTL e1 get /netd/v1/test/leased)" ] || fail "a key under the dead netd's lease survived"
log "a killed netd's lease expired ${ms} ms after the kill (TTL 3 s)"

# ---- etcd down when netd starts: netd starts anyway (the wait for etcd's
# first answer is bounded), says unreachable, and connects when etcd comes
etcd_kill e1
ND_ROOT=$T/root-b ND_EXEC=$T/run-b
t0=$(date +%s%N)
nd_start --cluster-store etcd://10.97.0.1:2379 --cluster-advertise adv0 --cluster-lease-ttl 3
ms=$(ms_since "$t0")
[ "$ms" -lt 4000 ] || fail "netd took $ms ms to start with etcd down"
log "netd started in $ms ms with etcd down"
assert_eq "$(cl .Cluster.State)" unreachable "state with etcd down at start"
netctl network create loc2 >/dev/null || fail "no local network with etcd down at start"
eval "etcd_start e1 10.97.0.1"
poll 10 has -x true cl .Cluster.Healthy || fail "not healthy once etcd came"
[ "$(cl .Cluster.Lease)" != 0 ] || fail "no lease once etcd came"
nd_stop

# ---- refused at start, naming the option
bad() {   # WHAT EXPECTED-TEXT ARGS...
  local what=$1 want=$2; shift 2
  set +e; out=$("$NETD_BIN" --root "$T/r3" --exec-root "$T/x3" --socket "$T/s3.sock" "$@" 2>&1); rc=$?; set -e
  [ $rc -ne 0 ] && [[ "$out" == *"$want"* ]] || fail "$what accepted or unclear: $out"
  log "$what: $out"
}
bad "an http:// store" "cluster-store" --cluster-store http://10.97.0.1:2379 --cluster-advertise 10.0.0.1
bad "a bad port" "cluster-store" --cluster-store etcd://10.97.0.1:99999 --cluster-advertise 10.0.0.1
bad "no port" "cluster-store" --cluster-store etcd://10.97.0.1 --cluster-advertise 10.0.0.1
bad "an empty second endpoint" "cluster-store" --cluster-store etcd://10.97.0.1:2379, --cluster-advertise 10.0.0.1
bad "a store without advertise" "cluster-advertise" --cluster-store etcd://10.97.0.1:2379
bad "advertise without a store" "cluster-store" --cluster-advertise 10.0.0.1
bad "a bad advertise" "cluster-advertise" --cluster-store etcd://10.97.0.1:2379 --cluster-advertise "10.0.0.1/24"
bad "a lease TTL of 1" "cluster-lease-ttl" --cluster-store etcd://10.97.0.1:2379 --cluster-advertise 10.0.0.1 --cluster-lease-ttl 1
bad "a missing CA file" "cluster-store-cacert" --cluster-store etcd://10.97.0.1:2379 --cluster-advertise 10.0.0.1 --cluster-store-cacert /nonexistent.pem
bad "a cert without key" "cluster-store-key" --cluster-store etcd://10.97.0.1:2379 --cluster-advertise 10.0.0.1 --cluster-store-cacert /etc/hostname --cluster-store-cert /etc/hostname
bad "an advertise interface that does not exist" "cluster-advertise nosuch0" --cluster-store etcd://10.97.0.1:2379 --cluster-advertise nosuch0
echo ok
