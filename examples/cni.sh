#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A CNI call: netd-cni as a container runtime runs it.
#
#   sudo examples/cni.sh [BUILD_DIR]           # default: ./build
#
# A runtime (Podman, containerd, CRI-O) makes the pod's network namespace
# itself, then execs the plugin with CNI_* in the environment and the
# network configuration on stdin. Here the "runtime" is this script: ADD
# attaches two pods to a netd network, the result JSON names the interface,
# the address and the name server; CHECK verifies (and catches a pod whose
# interface someone took down); DEL releases, and is idempotent. The pods
# reach netd's own containers, by address and by name. Runs in namespaces of
# its own; removes everything.
set -euo pipefail
. "$(dirname "$0")/lib/narrate.sh"
demo_init cni "$@"
demo_need nslookup
demo_netd
demo_image
cd "$T"    # the configuration files below are in the current directory

section "the network, and one of netd's own containers on it"
step netctl network create --subnet 10.40.0.0/24 -o com.docker.network.bridge.name=br-web web
step netctl run -d --name api --hostname api --net web busybox httpd -f -p 80 -h /etc
api=$(ip_of api web)

section "the plugin's configuration"
say "type netd: the runtime looks for a plugin binary called netd in CNI_PATH; 'network' names netd's network"
jq -n --arg s "$T/netd.sock" '{cniVersion: "1.0.0", name: "web", type: "netd", network: "web", socket: $s}' > web.json
step cat web.json
say "which CNI versions does it speak?"
show "echo '{\"cniVersion\":\"1.0.0\"}' | CNI_COMMAND=VERSION netd-cni" -- \
  bash -c "echo '{\"cniVersion\":\"1.0.0\"}' | env -i PATH=\"$PATH\" CNI_COMMAND=VERSION netd-cni"

# cni VERB POD [CONF]: exec the plugin as a runtime does; its stdout (the result,
# or the spec's error object) is shown and kept in out.json
cni() {
  local verb=$1 pod=$2 conf=${3:-web.json} rc=0
  _demo_show "CNI_COMMAND=$verb CNI_CONTAINERID=$pod CNI_NETNS=/run/netns/$pod CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni netd-cni < $conf"
  env -i PATH="$PATH" CNI_COMMAND="$verb" CNI_CONTAINERID="$pod" CNI_NETNS="/run/netns/$pod" \
    CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni netd-cni <"$conf" >out.json || rc=$?
  if [ -s out.json ]; then jq . out.json 2>/dev/null || cat out.json; fi
  [ $rc -eq 0 ] && [ ! -s out.json ] && note "no output, exit 0"
  return $rc
}

section "ADD"
say "the runtime makes the pod's namespace (netd never creates or deletes a CNI caller's namespace)"
step ip netns add pod1
step ip netns add pod2
demo_on_exit "env -i CNI_COMMAND=DEL CNI_CONTAINERID=pod2 CNI_NETNS=/run/netns/pod2 CNI_IFNAME=eth0 $build/cli/netd-cni < $T/web.json"
cni ADD pod1; cp out.json pod1.json
addr=$(jq -r '.ips[0].address' pod1.json)
dns=$(jq -r '.dns.nameservers[0] // empty' pod1.json)
result "ADD gave pod1 $addr on eth0 (gateway $(jq -r '.ips[0].gateway' pod1.json))"
cni ADD pod2 >/dev/null; cp out.json pod2.json
result "ADD gave pod2 $(jq -r '.ips[0].address' pod2.json)"
say "what it made: eth0 in the pod's namespace, with the address and a default route..."
step ip -n pod1 addr show dev eth0
step ip -n pod1 route
say "...and the host end of the veth, a port of br-web (the result's interfaces[0])"
step ip -br link show master br-web
say "netd records the pod as a caller-owned sandbox: netd's tools see it like its own"
step netctl sandbox ls
say "the pod and netd's container are on one network"
settle ip netns exec pod1 ping -c1 -W2 "$api"
step ip netns exec pod1 ping -c1 -W2 "$api"
result "pod1 reached the container api at $api"
if [ -n "$dns" ]; then
  say "names: netd's name server for the network is in the result (dns.nameservers: $dns); the runtime writes it into the pod's resolv.conf"
  step ip netns exec pod1 nslookup api "$dns"
  result "pod1 resolved api through $dns"
fi

section "CHECK"
say "CHECK takes the ADD's result as prevResult; silence and exit 0 mean all is as recorded"
jq --slurpfile p pod1.json '. + {prevResult: $p[0]}' web.json > pod1-check.json
cni CHECK pod1 pod1-check.json
result "CHECK pod1: as recorded"
say "someone takes the pod's interface down behind the runtime's back: CHECK notices (error 100 names the difference)"
step ip -n pod1 link set eth0 down
fails "CHECK finds eth0 down" cni CHECK pod1 pod1-check.json
step ip -n pod1 link set eth0 up

section "DEL"
cni DEL pod1
step ip -n pod1 link
result "DEL pod1: eth0 is gone from pod1, its address is free again"
say "DEL is idempotent: a runtime may call it again (also after deleting the namespace)"
cni DEL pod1
step ip netns del pod1
cni DEL pod1
result "DEL again, and after the namespace is gone: success"
step netctl sandbox ls

demo_topology
