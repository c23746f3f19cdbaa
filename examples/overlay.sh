#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The multi-host overlay: three netd hosts, one VXLAN network across them.
#
#   sudo examples/overlay.sh [BUILD_DIR]       # default: ./build
#
# A wrapper around the lab (examples/lab/lab): `lab up 3` builds an underlay
# bridge, etcd and three "hosts" (namespaces h1..h3, each with a netd of its
# own), one overlay network ov across them and a container on each, and
# shows them pinging each other; then this demo looks at one cross-host path
# (the VXLAN device, its FDB of remote hosts, the neighbour entries), runs
# `lab status`, draws the three hosts in one picture, and `lab down` removes
# it all (also when the demo fails or is interrupted). The lab runs inside
# this demo's own namespaces, so nothing of your host's network is touched.
# NETD_LAB=PATH runs another copy of the lab script.
set -euo pipefail
. "$(dirname "$0")/lib/narrate.sh"
demo_init overlay "$@"

lab=${NETD_LAB:-$src/examples/lab/lab}
if [ ! -x "$lab" ]; then
  section "the multi-host lab"
  note "examples/lab/lab is not in this tree yet (issue #18's multi-host lab, with the vxlan driver): this demo has nothing to run here"
  say "OVERLAY LAB NOT AVAILABLE in this build"
  exit 0
fi
# the lab's cgroups: a name of this demo's own (LAB_CG), so it never shares them with
# another lab running on the machine (whose `lab down` would drain them)
export LAB_CG=$DEMO_CGP-lab
export NETD_BUILD=$build LAB_DIR=$T/lab
# the lab in a process group of its own: its clean-up signals stay within it
lab() { setsid -w "$lab" "$@"; }
demo_on_exit "LAB_QUIET=1 setsid -w '$lab' down"

section "three hosts, etcd, one overlay network"
say "lab up builds it all and narrates as it goes; each host is a network namespace with its own netd"
step lab up 3
if grep -q '^overlay=missing-driver' "$LAB_DIR/state" 2>/dev/null; then
  note "this build has no vxlan driver yet: the hosts and etcd are up, but there is no overlay to show"
  step lab status
  step lab down
  say "OVERLAY DRIVER NOT AVAILABLE in this build"
  exit 0
fi

section "one path across hosts"
read -r _ _ ip2 < <(grep '^c2 ' "$LAB_DIR/containers")
read -r _ _ ip3 < <(grep '^c3 ' "$LAB_DIR/containers")
say "c1 on h1 pings c2 on h2 ($ip2): the frame leaves c1's veth into h1's overlay bridge, the VXLAN device wraps it in UDP to h2's underlay address"
step lab exec h1 netctl exec c1 ping -c2 -W2 "$ip2"
result "c1 on h1 reached c2 on h2 ($ip2) over the overlay"
step lab exec h1 netctl exec c1 ping -c2 -W2 "$ip3"
result "c1 on h1 reached c3 on h3 ($ip3) over the overlay"
vx=$(lab exec h1 ip -o link show type vxlan | awk -F': ' '{print $2}' | cut -d@ -f1 | head -1)
say "on h1, the VXLAN device $vx (a port of the overlay bridge): its VNI, the local VTEP address and the UDP port"
show "lab exec h1 ip -d link show $vx | grep -o 'vxlan id .* dstport [0-9]*'" -- \
  bash -c "setsid -w '$lab' exec h1 ip -d link show $vx | grep -o 'vxlan id .* dstport [0-9]*'"
say "its FDB: each remote container's MAC -> that host's underlay address (put there by netd from etcd, no flooding to learn it)"
step lab exec h1 bridge fdb show dev "$vx"
say "the same path, hop by hop, as h1's netd sees it:"
if lab exec h1 netctl explain --help >/dev/null 2>&1; then
  rc=0; step lab exec h1 netctl explain c1 "$ip2" || rc=$?
  [ $rc -eq 0 ] || note "netctl explain exited $rc"
else
  _demo_show "lab exec h1 netctl explain c1 $ip2"
  note "netctl explain is not in this build yet (issue #18)"
fi
say "the network is one object in etcd, seen by every host"
step lab exec h3 netctl network ls

section "the lab's own view"
step lab status

section "the picture: three hosts, one network"
if has_cmd topology; then
  hosts=()
  for h in h1 h2 h3; do hosts+=(-H "unix://$LAB_DIR/$h/netd.sock"); done
  say "netctl topology takes several -H: the hosts of the lab in one picture, the overlay drawn once"
  show "netctl topology -H unix://.../h1/netd.sock -H .../h2 -H .../h3 | jq -r -f examples/lib/topology.jq" -- \
    bash -c 'netctl topology "${@:2}" | jq -r -f "$1"' _ "$_demo_lib/topology.jq" "${hosts[@]}"
  out=${NETD_DEMO_OUT:-/tmp}/netd-demo-overlay-topology.svg
  if step netctl topology "${hosts[@]}" --format svg -o "$out" && [ -s "$out" ]; then
    result "topology picture written to $out (open it in a browser)"
  else
    note "netctl topology --format svg did not write $out"
  fi
else
  say "netctl topology is not in this build yet (issue #18): each host's view of ov instead"
  for h in h1 h2 h3; do
    show "lab exec $h netctl network inspect ov" -- \
      bash -c "setsid -w '$lab' exec $h netctl network inspect ov | jq -r '.[0].Containers // {} | to_entries[] | \"$h  \\(.value.Name)  \\(.value.IPv4Address)  \\(.value.MacAddress)\"'"
  done
fi

section "down"
step lab down
