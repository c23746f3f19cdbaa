#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A real caller end to end: Debian's podman with its CNI network backend
# (containers.conf, CNI config dir, plugin dir and storage all the test's
# own, never the machine's) and a conflist naming the netd plugin. `podman
# run --network NAME -p 8080:80` gets its address from netd, reaches a netd
# container on the same network by address and by name, publishes 8080 to an "outside" namespace
# with the client's address kept, and `podman rm -f` leaves nothing in netd,
# the kernel or the firewall.
#
# Runtime: runc with podman's cgroupfs manager. crun 1.8 (podman's default
# on Debian) refuses this machine's hybrid cgroup layout ("cgroups in hybrid
# mode not supported, drop all controllers from cgroupv2"), also with
# --cgroups=disabled; runc handles it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
. "$(dirname "$0")/cni_lib.sh"
command -v podman >/dev/null || skip "podman is not installed (package podman)"
command -v runc >/dev/null || skip "runc is not installed (package runc): crun refuses hybrid cgroups"
command -v curl >/dev/null || skip "curl missing"

ctr_setup
nd_start
netctl network create --subnet 10.91.0.0/24 pmnet >/dev/null

# ---- podman, entirely the test's own ------------------------------------------------------
PM=$T/pm
mkdir -p "$PM/net.d" "$PM/bin" "$PM/tmp"
ln -s "$CNI_BIN" "$PM/bin/netd"
cat > "$PM/net.d/pmnet.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "pmnet",
 "plugins": [{"type": "netd", "network": "pmnet", "socket": "$ND_SOCK",
              "runtimeHoldsPorts": true, "capabilities": {"portMappings": true, "aliases": true}}]}
EOF
cat > "$PM/containers.conf" <<EOF
[containers]
netns = "private"
[network]
network_backend = "cni"
cni_plugin_dirs = ["$PM/bin", "/usr/lib/cni"]
network_config_dir = "$PM/net.d"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PM/events.log"
runtime = "runc"
tmp_dir = "$PM/tmp"
EOF
export CONTAINERS_CONF=$PM/containers.conf
export CONTAINERS_REGISTRIES_CONF=$PM/registries.conf
: > "$PM/registries.conf"
P() { podman --root "$PM/root" --runroot "$PM/run" --storage-driver vfs --cgroup-manager cgroupfs "$@"; }
pm_cleanup() {
  P rm -af -t 0 >/dev/null 2>&1
  P system reset -f >/dev/null 2>&1
  find /sys/fs/cgroup -maxdepth 3 -type d -name libpod_parent 2>/dev/null | while read -r d; do
    find "$d" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null; rmdir "$d" 2>/dev/null; done
}
on_exit pm_cleanup
P import "$T/bb.tar" localhost/bb:latest >/dev/null || fail "podman import"
has -x pmnet P network ls --format '{{.Name}}' || fail "podman does not see the conflist: $(P --log-level debug network ls 2>&1 | grep -i 'cni\|warn')"

# ---- a netd container on the same network ----------------------------------------------------
netctl run -d --name srv --net pmnet -e CGI="$WEB_CGI" bb sh -c "$WEB_SRV" >/dev/null
srv_ip=$(netctl inspect srv | jq -r '.[0].NetworkSettings.Networks.pmnet.IPAddress')
[[ $srv_ip == 10.91.0.* ]] || fail "netd container address: $srv_ip"

# ---- podman run --network pmnet -p 8080:80 --------------------------------------------------
outside_setup
veths0=$(ctr_veths)
P run -d --name pc --hostname pc --network pmnet -p 8080:80 -e CGI="$WEB_CGI" localhost/bb sh -c "$WEB_SRV" >/dev/null \
  || fail "podman run with the netd plugin failed"
pc_ip=$(P inspect pc --format '{{(index .NetworkSettings.Networks "pmnet").IPAddress}}')
[[ $pc_ip == 10.91.0.* ]] || fail "podman container address $pc_ip is not from netd's network"
api GET /endpoints | jq -e --arg a "$pc_ip/24" 'map(select(.IPv4Address == $a)) | length == 1' >/dev/null \
  || fail "netd does not record $pc_ip: $(api GET /endpoints)"
# the podman container reaches the netd container by address (and back)
poll 10 P exec pc wget -qO- "http://$srv_ip/cgi-bin/ip" || fail "pc cannot reach srv at $srv_ip"
assert_eq "$(P exec pc wget -qO- "http://$srv_ip/cgi-bin/ip" | cut -d' ' -f2)" "$pc_ip" "srv sees pc's own address"
poll 10 netctl exec srv wget -qO- "http://$pc_ip/cgi-bin/ip" || fail "srv cannot reach pc at $pc_ip"
# ... and by name: netd's name server, which the CNI result gave podman for resolv.conf
has "nameserver 10.91.0.1" P exec pc cat /etc/resolv.conf || fail "podman did not take netd's name server: $(P exec pc cat /etc/resolv.conf)"
assert_eq "$(P exec pc wget -qO- http://srv/cgi-bin/ip | cut -d' ' -f2)" "$pc_ip" "pc reaches srv by name"
# the published port from the outside host, the client's address kept
poll 10 in_ns outside curl -sf --max-time 1 http://192.0.2.1:8080/cgi-bin/ip || fail "8080 not reachable from outside: $(get_out 192.0.2.1:8080)"
assert_eq "$(get_out 192.0.2.1:8080)" "pc 192.0.2.2" "outside -> podman container, client's address kept"
has 8080 nft list table inet netd || fail "no nft element for 8080"

# ---- podman rm -f: nothing left ---------------------------------------------------------------
P rm -f -t 0 pc >/dev/null || fail "podman rm -f"
api GET /endpoints | jq -e --arg a "$pc_ip/24" 'map(select(.IPv4Address == $a)) | length == 0' >/dev/null \
  || fail "netd still records $pc_ip after podman rm"
assert_eq "$(api GET /sandboxes | jq '[.[] | select(.CallerOwned)] | length')" 0 "caller-owned sandboxes after rm"
! has 8080 nft list table inet netd || fail "8080 still in nft after podman rm"
poll 10 bash -c "[ \$(ip -o link show type veth | wc -l) = $veths0 ]" || fail "veths after podman rm: $(ctr_veths), want $veths0"
in_ns outside curl -sf --max-time 1 http://192.0.2.1:8080/cgi-bin/ip >/dev/null 2>&1 && fail "8080 still answers after rm"

# ---- aliases: a CNI attachment's names in netd's hosts-based names --------------------------
mk_netns al
mkdir -p "$T/www"; echo hello-from-webby > "$T/www/x"
cni ADD alias-ctr eth0 /run/netns/al "$(jq -nc --arg s "$ND_SOCK" '{cniVersion:"1.1.0", name:"pmnet", type:"netd", network:"pmnet", socket:$s, runtimeConfig:{aliases:{pmnet:["webby"]}}}')" \
  || fail "ADD with aliases: $CNI_OUT"
in_ns al busybox httpd -f -p 80 -h "$T/www" & hp=$!; on_exit "kill $hp"
assert_eq "$(netctl run --rm --net pmnet bb wget -qO- http://webby/x)" hello-from-webby "a netd container reaches the CNI attachment by its alias"
cni DEL alias-ctr eth0 /run/netns/al "$(jq -nc --arg s "$ND_SOCK" '{cniVersion:"1.1.0", name:"pmnet", type:"netd", network:"pmnet", socket:$s}')" || fail "DEL alias-ctr"
netctl rm -f srv >/dev/null
echo PASS
