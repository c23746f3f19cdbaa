#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# netctl explain on macvlan networks (sandboxes, no containers needed):
# private mode drops frames between two children of one parent, bridge mode
# hands them over, and a frame to the LAN's router leaves through the
# parent. Each verdict is compared with a real ping; each hop's command is
# run (`ip -d link show` shows the mode explain names).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/macvlan_lib.sh"
. "$(dirname "$0")/explain_lib.sh"

nd_start
for p in pbr ppr; do mv_upstream $p; done
ip -n up addr add 10.2.0.1/24 dev br0; ip -n up addr add 10.3.0.1/24 dev br0
mk() { netctl network create -d macvlan -o parent=$1 -o macvlan_mode=$2 --subnet $3 --gateway ${3%.0/24}.1 $4 >/dev/null; }
mk pbr bridge 10.2.0.0/24 mbr
mk ppr private 10.3.0.0/24 mpr
for n in mbr mpr; do
  for i in 1 2; do netctl sandbox create --name $n$i >/dev/null; netctl network connect $n $n$i; done
done
ping_from_sb() { # SANDBOX ADDR: a real ping's fate
  local rc=0 out; out=$(sbx "$1" ping -c 1 -W 1 "$2" 2>&1) || rc=$?
  fate_of "$rc" "$out"
}
expect "private mode, child to child" mpr1 mpr2 ping_from_sb mpr1 "$(ep_of mpr2 mpr IPv4Address)"
jq -e '.verdict.reason | test("private")' <<<"$EX" >/dev/null || fail "private mode not named: $(ex_show)"
expect "bridge mode, child to child" mbr1 mbr2 ping_from_sb mbr1 "$(ep_of mbr2 mbr IPv4Address)"
expect "private mode, to the LAN's router" mpr1 10.3.0.1 ping_from_sb mpr1 10.3.0.1
for n in mbr mpr; do for i in 1 2; do netctl sandbox rm $n$i >/dev/null; done; done
