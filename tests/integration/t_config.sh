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
echo ok
