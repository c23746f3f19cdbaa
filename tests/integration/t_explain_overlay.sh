#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# netctl explain across lab hosts on a vxlan overlay (overlay_lib.sh: two
# "hosts", each a namespace with a netd of its own, one etcd): a sandbox on
# h1 to a sandbox on h2 goes through the veth, ov-<id>'s FDB, out of
# vx-<id> to h2's VTEP; an address no endpoint of the overlay has is
# dropped (no ARP answer); a sandbox on the same host is delivered by the
# bridge. Each verdict is compared with a real ping; each hop's command is
# run inside h1 (where that netd lives).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/overlay_lib.sh"
. "$(dirname "$0")/explain_lib.sh"
ov_lab 2
# the cluster store answers a moment after netd starts
poll 20 bash -c "NETD_HOST=unix://$T/h1/netd.sock $NETCTL_BIN network create -d vxlan --subnet 10.200.0.0/16 ov" ||
  { ov_log 1; fail "create"; }
poll 10 bash -c "NETD_HOST=unix://$T/h2/netd.sock $NETCTL_BIN network inspect ov >/dev/null 2>&1" || fail "ov not on h2"
ov_sb 1 s1; ov_sb 1 s3; ov_sb 2 s2
ovctl 1 network connect ov s1 >/dev/null; ovctl 1 network connect ov s3 >/dev/null; ovctl 2 network connect ov s2 >/dev/null
ip2=$(ov_ip 2 s2 ov); ip3=$(ov_ip 1 s3 ov)
poll 10 ov_x 1 s1 ping -c1 -W1 "$ip2" || fail "s1 cannot reach s2 over the overlay"

# explain and the hop commands on h1
netctl() { ovctl 1 "$@"; }
EX_IN=h1
ping_ov() { local rc=0 out; out=$(ov_x 1 s1 ping -c 1 -W 1 "$1" 2>&1) || rc=$?; fate_of "$rc" "$out"; }
expect "h1 -> h2 over the overlay" s1 "$ip2" ping_ov "$ip2"
log "$(ovctl 1 explain s1 "$ip2")"
jq -e '.hops[] | select(.kind == "vxlan-fdb" and .object == "dst 192.168.77.12")' <<<"$EX" >/dev/null ||
  fail "h2's VTEP not named: $(ex_show)"
expect "an address no endpoint has" s1 10.200.77.77 ping_ov 10.200.77.77
expect "same host, same overlay" s1 "$ip3" ping_ov "$ip3"
ping_h1() { local rc=0 out; out=$(in_ns h1 ping -c 1 -W 1 "$1" 2>&1) || rc=$?; fate_of "$rc" "$out"; }
# from the host, the echo arrives but its reply does not come back (the
# gateway address is h2's too): the witness is s2's eth0 receive counter
rx_s2() { nsenter --net="$(ovctl 2 sandbox inspect s2 | jq -r '.[0].NetnsPath')" ip -s -j link show eth0 | jq '.[0].stats64.rx.packets'; }
arrives_h1() { # ADDR: delivered when s2 received the echo request
  local r0; r0=$(rx_s2); in_ns h1 ping -c 1 -W 1 "$1" >/dev/null 2>&1 || true
  if [ "$(rx_s2)" -gt "$r0" ]; then echo delivered; else echo dropped; fi
}
expect "the host h1 -> h2's sandbox (the echo arrives)" host "$ip2" arrives_h1 "$ip2"
jq -e '.verdict.reason | test("reply")' <<<"$EX" >/dev/null || fail "the reply's way is not told: $(ex_show)"
jq -e '.hops[] | select(.kind == "vxlan-fdb" and .object == "dst 192.168.77.12")' <<<"$EX" >/dev/null ||
  fail "h2's VTEP not named from the host: $(ex_show)"
expect "the host h1 -> an address no endpoint has" host 10.200.77.77 ping_h1 10.200.77.77
