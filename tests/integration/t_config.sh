#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# netd's config file: default address pools replace Docker's, and a bad
# config is refused with a clear error.
. "$(dirname "$0")/lib.sh"

nd_test_bpf
cat > "$T/netd.json" <<JSON
{ "log-level": "debug", $(nd_test_bpf_json),
  "default-address-pools": [ { "base": "10.123.0.0/16", "size": 24 } ] }
JSON
nd_start --config "$T/netd.json"
assert_eq "$(netctl network inspect bridge | jq -r '.[0].IPAM.Config[0].Subnet')" "10.123.0.0/24" "default network from the configured pool"
netctl network create a >/dev/null
assert_eq "$(netctl network inspect a | jq -r '.[0].IPAM.Config[0].Subnet')" "10.123.1.0/24" "next subnet from the configured pool"
nd_stop

echo '{ "default-address-pools": [ { "base": "10.123.0.5/16", "size": 24 } ] }' > "$T/bad.json"
set +e
out=$("$NETD_BIN" --root "$T/r2" --exec-root "$T/x2" --socket "$T/s2.sock" --config "$T/bad.json" 2>&1); rc=$?
set -e
[ $rc -ne 0 ] && [[ "$out" == *"host bits"* ]] || fail "bad pool base accepted: $out"
# the same through flags (every key is one), and a flag wins over the file
ND_ROOT=$T/root2 ND_EXEC=$T/run2
nd_start --config "$T/netd.json" --default-address-pool base=10.77.0.0/16,size=24
assert_eq "$(netctl network inspect bridge | jq -r '.[0].IPAM.Config[0].Subnet')" "10.77.0.0/24" "pool from the flag over the file's"
nd_stop

# refused at start, nothing made: each with a message naming the key
bad() {   # WHAT EXPECTED-TEXT ARGS...
  local what=$1 want=$2; shift 2
  set +e; out=$("$NETD_BIN" --root "$T/r3" --exec-root "$T/x3" --socket "$T/s3.sock" "$@" 2>&1); rc=$?; set -e
  [ $rc -ne 0 ] && [[ "$out" == *"$want"* ]] || fail "$what accepted or unclear: $out"
  [ ! -e "$T/r3" ] && [ ! -e "$T/s3.sock" ] || fail "$what: a refused start left files"
}
bad "a missing shim" "shim-path" --shim-path /nonexistent/netd-shim
bad "a bad storage driver" "storage-driver" --storage-driver zfs
bad "a bad userland-proxy value" "userland-proxy" --userland-proxy maybe
bad "a bad pool flag" "default-address-pool" --default-address-pool 10.0.0.0/8
bad "a cluster store that is not etcd://" "cluster-store" --cluster-store http://10.0.0.1:2379 --cluster-advertise 10.0.0.2
bad "a cluster store without cluster-advertise" "cluster-advertise" --cluster-store etcd://10.0.0.1:2379
bad "a cluster lease TTL of 0" "cluster-lease-ttl" --cluster-store etcd://10.0.0.1:2379 --cluster-advertise 10.0.0.2 --cluster-lease-ttl 0
echo '{ "cluster-store": ["etcd://10.0.0.1:2379"] }' > "$T/bad5.json"
bad "a list for cluster-store" "cluster-store" --config "$T/bad5.json"
echo '{ "userland-proxy": "yes" }' > "$T/bad2.json"
bad "a string for a boolean key" "userland-proxy" --config "$T/bad2.json"
echo '{ "shim-path": 3 }' > "$T/bad3.json"
bad "a number for a string key" "shim-path" --config "$T/bad3.json"
echo '{ "no-such-key": 1 }' > "$T/bad4.json"
bad "an unknown key" "no-such-key" --config "$T/bad4.json"
echo ok
