#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Three hosts, one etcd: `network create -d vxlan` on one host appears on
# every host (ls identical, inspect names the VNI); sandboxes on all three
# hosts reach each other by ping and TCP both ways, and so does a CNI
# attachment; the overlay's MTU follows
# the underlay's; a global network is refused cleanly without a cluster
# store; a name taken in the cluster is refused; delete goes everywhere.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/overlay_lab_lib.sh"
command -v python3 >/dev/null || skip "python3 missing"
ov_lab 3

log "create on h1, seen on h2 and h3"
ovctl 1 network create -d vxlan --subnet 10.200.0.0/16 ov >/dev/null || { ov_log 1; fail "create"; }
ls_of() { ovctl "$1" network ls --format json | jq -c '[.[] | select(.Scope == "global") | {Name, ID, Driver, Scope}]'; }
want=$(ls_of 1)
[ "$(jq length <<<"$want")" = 1 ] || fail "h1 lists $want"
same_ls() { [ "$(ls_of "$1")" = "$want" ]; }
for i in 2 3; do poll 5 same_ls $i || fail "h$i lists $(ls_of $i), h1 $want"; done
vni=$(ovctl 2 network inspect ov | jq -r '.[0].DriverState.VNI')
[ "$vni" -ge 4096 ] || fail "no VNI in inspect: $vni"
out=$(ovctl 3 network create -d overlay --subnet 10.201.0.0/16 ov 2>&1) && fail "a second 'ov' was created"
grep -qi "already exists" <<<"$out" || fail "unclear refusal: $out"

for i in 1 2 3; do   # no endpoint anywhere yet: no data plane anywhere
  [ -z "$(in_ns h$i ip -o link show | grep -E ': (ov|vx)-' || true)" ] || fail "h$i has overlay interfaces without endpoints"
done
log "sandboxes on three hosts, cross-host ping"
for i in 1 2 3; do ov_sb $i s$i; ovctl $i network connect ov s$i >/dev/null || { ov_log $i; fail "connect s$i"; }; done
for i in 1 2 3; do eval "ip$i=$(ov_ip $i s$i ov)"; done
[ "$ip1" != "$ip2" ] && [ "$ip2" != "$ip3" ] && [ "$ip1" != "$ip3" ] || fail "duplicate addresses: $ip1 $ip2 $ip3"
for a in 1 2 3; do for b in 1 2 3; do
  [ $a = $b ] && continue
  eval "dst=\$ip$b"
  poll 3 ov_x $a s$a ping -c1 -W1 "$dst" || fail "s$a (h$a) cannot ping s$b ($dst on h$b)"
done; done

peers=$(ovctl 2 network inspect ov | jq -r '[.[0].Peers[].IP] | sort | join(" ")')
assert_eq "$peers" "192.168.77.11 192.168.77.12 192.168.77.13" "inspect's Peers"

log "TCP both ways"
tcp_check() { # FROM_HOST FROM_SB TO_HOST TO_SB TO_IP
  ov_x $3 $4 python3 -c 'import socket;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(("0.0.0.0",7000));s.listen();c,_=s.accept();c.sendall(c.recv(100)[::-1]);c.close()' &
  local srv=$!
  listening() { grep -q ':7000' <<<"$(ov_x "$1" "$2" ss -ltn)"; }
  poll 5 listening $3 $4
  local got
  got=$(ov_x $1 $2 python3 -c 'import socket,sys;s=socket.create_connection((sys.argv[1],7000),timeout=3);s.sendall(b"overlay");print(s.recv(100).decode())' "$5")
  wait $srv || true
  assert_eq "$got" "yalrevo" "TCP h$1 -> h$3"
}
tcp_check 1 s1 2 s2 "$ip2"
tcp_check 2 s2 1 s1 "$ip1"

log "MTU: underlay 1500 - 50"
m=$(ovctl 1 network inspect ov | jq -r '.[0].DriverState.MTU')
assert_eq "$m" 1450 "overlay MTU"
ov_x 1 s1 ping -c2 -W2 -M do -s 1400 "$ip3" >/dev/null || fail "1,400-byte DF ping lost"

log "dual stack: IPv4 and IPv6 addresses taken in the store, ping6 across hosts"
ovctl 2 network create -d vxlan --subnet 10.202.0.0/16 --subnet fd00:202::/64 --ipv6 ov6 >/dev/null || { ov_log 2; fail "create ov6"; }
poll 5 ovctl 1 network inspect ov6 || fail "ov6 not on h1"
for i in 1 2; do ov_sb $i d$i; ovctl $i network connect ov6 d$i >/dev/null || { ov_log $i; fail "connect d$i to ov6"; }; done
d2v6=$(ovctl 2 sandbox inspect d2 | jq -r '.[0].Networks.ov6.IPv6Address' | cut -d/ -f1)
[[ $d2v6 == fd00:202:* ]] || fail "no IPv6 address on d2: $d2v6"
poll 5 ov_x 1 d1 ping -6 -c1 -W1 "$d2v6" || fail "d1 (h1) cannot ping6 d2 ($d2v6 on h2)"
poll 5 ov_x 2 d2 ping -c1 -W1 "$(ov_ip 1 d1 ov6)" || fail "d2 cannot ping d1 over IPv4"
keys=$(ETCDCTL e0 get --prefix "/netd/v1/ipam/$(ovctl 1 network inspect ov6 | jq -r '.[0].Id')/" --keys-only | grep -c . || true)
assert_eq "$keys" 4 "address keys of ov6 (two endpoints, two families)"
log "a connect asking for an IPv6 address another host holds is refused and takes nothing"
ov_sb 1 d3
out=$(ovctl 1 network connect --ip6 "$d2v6" ov6 d3 2>&1) && fail "h1 connected with h2's IPv6 address $d2v6"
grep -q "already in use" <<<"$out" || fail "unclear refusal: $out"
ov6keys() { ETCDCTL e0 get --prefix "/netd/v1/ipam/$(ovctl 1 network inspect ov6 | jq -r '.[0].Id')/" --keys-only | grep -c . || true; }
# the IPv4 address taken for it first goes back (its key deleted in a job)
poll 5 eval '[ "$(ov6keys)" = 4 ]' || fail "the refused connect left address keys: $(ov6keys) (want 4)"
ovctl 1 network connect ov6 d3 >/dev/null || fail "d3 connects without the wish"
assert_eq "$(ov6keys)" 6 "address keys of ov6 with d3"
ovctl 1 network disconnect ov6 d3
for i in 1 2; do ovctl $i network disconnect ov6 d$i; done
ovctl 1 network rm ov6 || fail "rm ov6"

log "a CNI ADD on h2 joins the overlay (address taken in the store first)"
. "$(dirname "$0")/cni_lib.sh"
# the plugin runs where the runtime would: on h2 (its mount namespace sees the netns)
lab exec h2 ip netns add cnic 2>/dev/null || lab exec h2 test -e /run/netns/cnic || fail "no netns for the CNI call"
on_exit "lab exec h2 ip netns del cnic"
conf=$(jq -nc --arg s "$LAB_DIR/h2/netd.sock" '{cniVersion:"1.0.0", name:"ovcni", type:"netd", network:"ov", socket:$s}')
cni_h2() { CNI_OUT=$(lab exec h2 env -i PATH="$PATH" CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_IFNAME="$3" CNI_NETNS="$4" \
  CNI_PATH="$CNI_REF" "$CNI_BIN" <<<"$5"); }
cni_h2 ADD cnic1 eth0 /run/netns/cnic "$conf" || { ov_log 2; fail "CNI ADD on the overlay: $CNI_OUT"; }
ipc=$(jq -r '.ips[0].address' <<<"$CNI_OUT" | cut -d/ -f1)
[[ $ipc == 10.200.* ]] || fail "CNI result: $CNI_OUT"
poll 5 ov_x 1 s1 ping -c1 -W1 "$ipc" || fail "s1 (h1) cannot reach the CNI container on h2"
cni_h2 DEL cnic1 eth0 /run/netns/cnic "$conf" || fail "CNI DEL: $CNI_OUT"

log "delete: refused while endpoints exist, then everywhere"
out=$(ovctl 2 network rm ov 2>&1) && fail "deleted with endpoints"
grep -qi "endpoint" <<<"$out" || fail "unclear refusal: $out"
for i in 1 2 3; do ovctl $i network disconnect ov s$i || fail "disconnect s$i"; done
for i in 1 2 3; do   # the last endpoint gone: so is the data plane
  [ -z "$(in_ns h$i ip -o link show | grep -E ': (ov|vx)-' || true)" ] || fail "h$i keeps overlay interfaces without endpoints"
done
removed() { ! grep -qi endpoint <<<"$(ovctl 2 network rm ov 2>&1)"; }
poll 5 removed || fail "endpoints still counted"
absent() { ! ovctl "$1" network inspect ov >/dev/null 2>&1; }
for i in 1 2 3; do poll 5 absent $i || fail "ov still on h$i"; done
[ -z "$(in_ns h3 ip -o link show | grep -E ': (ov|vx)-' || true)" ] || fail "overlay interfaces left on h3"

log "without a cluster store: refused with a clear message"
mk_netns solo
mkdir -p "$T/solo"
echo '{ "userland-proxy": true }' >"$T/solo/netd.json"
nsenter --net=/run/netns/solo -- "$NETD_BIN" --config "$T/solo/netd.json" --root "$T/solo/root" --exec-root "$T/solo/run" \
  --socket "$T/solo/netd.sock" >>"$T/solo/netd.log" 2>&1 &
solo=$!; on_exit "kill -KILL $solo 2>/dev/null || true"
poll 20 curl -sf --unix-socket "$T/solo/netd.sock" http://netd/_ping || fail "solo netd"
out=$(NETD_HOST=unix://$T/solo/netd.sock "$NETCTL_BIN" network create -d vxlan x 2>&1) && fail "global network without a store"
grep -q "cluster-store" <<<"$out" || fail "unclear: $out"
NETD_HOST=unix://$T/solo/netd.sock "$NETCTL_BIN" network create lan >/dev/null || fail "local network refused"
echo PASS
