#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Names across hosts (the overlay x the embedded DNS): a container on h1
# resolves, through its 127.0.0.11, a container on h2 of the same overlay
# network by name, alias and short id, and pings it by name; a name on
# another network of h2 is not answered; when the remote container is
# renamed, h1 answers its new name and not the old one; when it goes, its
# name goes on h1 too (NXDOMAIN), without a restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/overlay_lab_lib.sh"
ov_lab 2
"$NETD_SRC/scripts/mk-busybox-image.sh" "$T/bb.tar" 2>/dev/null
for i in 1 2; do ovctl $i image import "$T/bb.tar" bb >/dev/null || fail "image import on h$i"; done

ovctl 1 network create -d overlay --subnet 10.231.0.0/16 ov >/dev/null || { ov_log 1; fail "create"; }
poll 5 ovctl 2 network inspect ov || fail "ov not on h2"
ovctl 2 network create other >/dev/null || fail "local network on h2"

ovctl 2 run -d --name far --net ov --network-alias faraway bb sleep 600 >/dev/null || { ov_log 2; fail "run far on h2"; }
ovctl 2 run -d --name hidden --net other bb sleep 600 >/dev/null || fail "run hidden on h2"
farip=$(ovctl 2 inspect far | jq -r '.[0].NetworkSettings.Networks.ov.IPAddress')
farid=$(ovctl 2 inspect far | jq -r '.[0].Id' | cut -c1-12)
[[ $farip == 10.231.* ]] || fail "far has no overlay address ($farip)"
ovctl 1 run -d --name near --net ov bb sleep 600 >/dev/null || { ov_log 1; fail "run near on h1"; }

# the name is answered on h1 from the cluster store (poll: the record
# crosses the store's watch), then by alias and short id
lookup() { ovctl 1 exec near nslookup "$1" 127.0.0.11 2>&1; }
far_answered() { lookup far | grep -q "Address.*$farip"; }
poll 5 far_answered ||
  fail "far not resolved on h1: $(lookup far)"
lookup faraway | grep -q "Address.*$farip" || fail "alias faraway: $(lookup faraway)"
lookup "$farid" | grep -q "Address.*$farip" || fail "short id $farid: $(lookup "$farid")"
out=$(ovctl 1 exec near ping -c 1 -W 2 far 2>&1) || fail "ping far by name from h1: $out"
grep -q "$farip" <<<"$out" || fail "ping far went to the wrong address: $out"
# a container of another network (on h2 only) is not a name here
hidip=$(ovctl 2 inspect hidden | jq -r '.[0].NetworkSettings.Networks.other.IPAddress')
out=$(lookup hidden || true)
grep -q "can't find hidden" <<<"$out" || fail "hidden answered on h1: $out"
! grep -q "Address.*$hidip" <<<"$out" || fail "h2's hidden ($hidip) answered on h1: $out"

# the topology of h1 names the overlay's kernel objects: its VXLAN device (with the VNI) and bridge
topo=$(ovctl 1 topology --format json) || fail "topology on h1"
vni=$(ovctl 1 network inspect ov | jq -r '.[0].DriverState.VNI')
vx=$(jq -r --argjson v "$vni" '.Hosts[0].Networks[] | select(.Name=="ov") | .Links[] | select(.Kind=="vxlan" and .VNI==$v) | .Name' <<<"$topo")
[ -n "$vx" ] && in_ns h1 ip -d link show "$vx" | grep -q "vxlan id $vni" || fail "topology's vxlan device ($vx, VNI $vni) not in h1's kernel"

log "the remote container is renamed: h1 answers the new name, not the old one"
ovctl 2 rename far distant || fail "rename far on h2"
distant_answered() { lookup distant | grep -q "Address.*$farip"; }
poll 5 distant_answered || fail "new name distant not resolved on h1: $(lookup distant)"
poll 5 eval '! far_answered' || fail "old name far still answered on h1 after rename: $(lookup far)"
lookup faraway | grep -q "Address.*$farip" || fail "alias faraway lost by the rename: $(lookup faraway)"

log "the remote container goes: its name goes on h1"
ovctl 2 rm -f distant >/dev/null || fail "rm distant"
poll 5 eval '! distant_answered' ||
  fail "distant still answered on h1 after rm: $(lookup distant)"
log "ok: names of containers on other hosts resolve and go"
