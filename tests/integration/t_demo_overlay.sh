#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/overlay.sh end to end (tests/integration/demo_lib.sh): the multi-host lab
# up (etcd, three netd hosts, an overlay network), cross-host pings, the VXLAN
# device's FDB, lab status, the three hosts in one picture, lab down.
# NETD_LAB=PATH tests another copy of the lab script.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/demo_lib.sh"
[ -x "${NETD_LAB:-$NETD_SRC/examples/lab/lab}" ] || skip "examples/lab/lab is not in this tree"
[ -x "${ETCD_BIN:-/var/cache/netd-test/etcd}" ] || skip "no etcd at /var/cache/netd-test/etcd (scripts/fetch-etcd.sh)"
command -v etcdctl >/dev/null || skip "etcdctl missing (etcd-client)"

demo_run overlay
grep -q "NOT AVAILABLE in this build" <<<"$DEMO_OUT" && skip "$(grep -o 'OVERLAY [A-Z ]*NOT AVAILABLE in this build' <<<"$DEMO_OUT")"
said "=> c1 on h1 reached c2 on h2" "=> c1 on h1 reached c3 on h3" "vxlan id" "dst 192.168.77.1"
if "$NETCTL_BIN" topology --help >/dev/null 2>&1; then
  said "topology picture written to $T/out/netd-demo-overlay-topology.svg"
  grep -q '<svg' "$T/out/netd-demo-overlay-topology.svg" || fail "not an SVG"
fi
echo ok
