#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Names: containers find each other by name and alias.
#
#   sudo examples/dns.sh [BUILD_DIR]           # default: ./build
#
# On a user-defined network every container is known by its name, its short
# id and its aliases, also as NAME.NETWORK. Inside each container the
# resolver is netd's embedded one at 127.0.0.11 (in the container's own
# namespace); a container started later is resolvable at once, and names are
# per network: a container on another network is not found. netd also
# answers the same names on each network's gateway (what CNI pods use).
# Runs in namespaces of its own; removes everything (no query leaves them).
set -euo pipefail
. "$(dirname "$0")/lib/narrate.sh"
demo_init dns "$@"
demo_need dig
demo_netd
demo_image

section "a network and two containers, one with an alias"
step netctl network create --subnet 10.50.0.0/24 -o com.docker.network.bridge.name=br-app app
say "db gets an alias: 'database' is a second name for it on app (an alias is given when an endpoint is made)"
if netctl run --help 2>&1 | grep -q -- --network-alias; then
  step netctl run -d --name db --hostname db --net app --network-alias database busybox httpd -f -p 80 -h /etc
else
  note "this netctl run has no --network-alias yet: the alias is given when the container is connected"
  step netctl create --name db --hostname db --net app busybox httpd -f -p 80 -h /etc
  step netctl network disconnect app db
  step netctl network connect --alias database app db
  step netctl start db
fi
step netctl run -d --name web --hostname web --net app busybox sleep 600
db=$(ip_of db app)
say "the names netd knows db by on app:"
show "netctl inspect db | jq '.[0].NetworkSettings.Networks.app | {Aliases, DNSNames}'" -- \
  bash -c "netctl inspect db | jq '.[0].NetworkSettings.Networks.app | {Aliases, DNSNames}'"

section "what a container asks"
step netctl exec web cat /etc/resolv.conf
NS=()
if netctl exec web grep -q '^nameserver 127.0.0.11' /etc/resolv.conf 2>/dev/null; then
  say "127.0.0.11 is netd's embedded resolver: it answers inside the container's own network namespace"
else
  NS=(10.50.0.1)
  note "this build has no embedded resolver at 127.0.0.11 yet (issue #18): the container's resolv.conf is the host's; below, the container asks netd's name server on the network's gateway, 10.50.0.1, by hand"
fi

section "by name and by alias"
step netctl exec web nslookup db "${NS[@]}"
settle netctl exec web ping -c1 -W2 db
step netctl exec web ping -c1 -W2 db
result "web reached db by name ($db)"
step netctl exec web nslookup database "${NS[@]}"
step netctl exec web wget -qO- http://database/hostname
result "web reached db by its alias 'database'"
step netctl exec web nslookup db.app "${NS[@]}"
result "NAME.NETWORK resolves too"

section "a container started later"
step netctl run -d --name cache --hostname cache --net app busybox sleep 600
cache=$(ip_of cache app)
say "web, started before it, resolves it at once: netd answers from its live records, no file is rewritten"
step netctl exec web nslookup cache "${NS[@]}"
result "web resolved cache ($cache), started after it, at once"

section "names are per network"
step netctl network create --subnet 10.50.1.0/24 -o com.docker.network.bridge.name=br-ops ops
step netctl run -d --name monitor --net ops busybox sleep 600
if [ ${#NS[@]} -eq 0 ]; then
  say "monitor is on ops, not on app: web's resolver does not know it, and asks its upstreams (none reachable from this demo's namespaces: SERVFAIL)"
  step_fails "monitor is not a name on app" netctl exec web nslookup monitor
fi
say "app's name server on its gateway says so outright (REFUSED: not a name of app)"
step_fails "monitor is not a name on app" netctl exec web nslookup monitor 10.50.0.1
say "the same names from the host, asking each network's name server on its gateway with dig:"
step dig +short @10.50.0.1 db
step dig +short @10.50.0.1 database.app
step dig +short @10.50.1.1 monitor

demo_topology
