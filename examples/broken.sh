#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Broken on purpose: two ways traffic does not get through, and how to see why.
#
#   sudo examples/broken.sh [BUILD_DIR]        # default: ./build
#
# (a) A host firewall of someone else's: an nftables table with a forward
#     chain whose policy is drop, as firewalld, ufw or `iptables -P FORWARD
#     DROP` leave a host. Every base chain on a hook must accept a packet, so
#     it would drop all container traffic; netd answers the default verdict
#     with accept rules for its own bridges, appended to that chain, and
#     traffic flows. Then the owner adds an explicit drop: that one wins, and
#     `netctl explain` names the rule that stops the packet.
# (b) An internal network: no default route, no way out, nothing in; explained.
# Runs in namespaces of its own (the firewall too); removes everything.
set -euo pipefail
. "$(dirname "$0")/lib/narrate.sh"
demo_init broken "$@"
demo_outside

section "(a) a host firewall that is not netd's"
say "the host's own firewall, before netd starts: a forward chain with policy drop (and ssh allowed in, say)"
cat >"$T/hostfw.nft" <<'EOF'
table inet hostfw {
	chain input {
		type filter hook input priority filter; policy accept;
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
	}
}
EOF
step cat "$T/hostfw.nft"
step nft -f "$T/hostfw.nft"
demo_on_exit "nft delete table inet hostfw"
demo_netd
demo_image
say "netd notices the drop policy when it starts, and says what it did about it"
show "netctl info --format json | jq .Firewall" -- bash -c "netctl info --format json | jq .Firewall"

step netctl network create --subnet 10.60.0.0/24 -o com.docker.network.bridge.name=br-web web
cgi='#!/bin/sh
a=${REMOTE_ADDR#"["}; a=${a%"]"}
printf "Content-Type: text/plain\n\n%s %s\n" "$(hostname)" "${a#::ffff:}"'
srv='mkdir -p /www/cgi-bin && printf "%s\n" "$CGI" >/www/cgi-bin/ip && chmod +x /www/cgi-bin/ip && exec httpd -f -p 80 -h /www'
show "netctl run -d --name site --hostname site --net web -p 8080:80 busybox httpd ..." -- \
  netctl run -d --name site --hostname site --net web -p 8080:80 -e CGI="$cgi" busybox sh -c "$srv"
say "netd appended one accept rule per direction for each of its bridges to the owner's chain (tagged 'netd: ...'); nothing else of the owner's is touched"
step nft list chain inet hostfw forward
say "so the published port works from the outside host (192.0.2.2), through the drop policy..."
poll 10 ip netns exec outside curl -sf --max-time 1 http://192.0.2.1:8080/cgi-bin/ip
step ip netns exec outside curl -s --max-time 3 http://192.0.2.1:8080/cgi-bin/ip
result "outside reached site through a forward chain with policy drop"
demo_explain 192.0.2.2 host:8080
say "...and the container reaches the outside host"
settle netctl exec site ping -c1 -W2 192.0.2.2
step netctl exec site ping -c1 -W2 192.0.2.2
result "site reached 192.0.2.2"
demo_explain site 192.0.2.2

section "(a) broken: the owner's explicit drop"
say "the firewall's owner now forbids containers on br-web to talk to 192.0.2.0/24; an explicit rule, before netd's"
step nft insert rule inet hostfw forward iifname br-web ip daddr 192.0.2.0/24 counter drop comment '"no containers to the lab net"'
step nft list chain inet hostfw forward
step_fails "the owner's explicit drop wins over netd's accept" netctl exec site ping -c1 -W1 192.0.2.2
say "what stops it, hop by hop, and which rule:"
demo_explain site 192.0.2.2
say "the rule's counter went up: that is where the packet died"
show "nft list chain inet hostfw forward | grep 'lab net'" -- bash -c "nft list chain inet hostfw forward | grep 'lab net'"
say "the owner removes the rule: traffic flows again"
handle=$(nft -a list chain inet hostfw forward | sed -n 's/.*lab net.*# handle \([0-9]*\).*/\1/p')
step nft delete rule inet hostfw forward handle "$handle"
settle netctl exec site ping -c1 -W2 192.0.2.2
step netctl exec site ping -c1 -W2 192.0.2.2
result "site reaches 192.0.2.2 again"

section "(b) an internal network"
step netctl network create --internal --subnet 10.60.1.0/24 -o com.docker.network.bridge.name=br-vault vault
step netctl run -d --name safe --hostname safe --net vault busybox httpd -f -p 80 -h /etc
safe=$(ip_of safe vault)
say "an internal network gives its containers no default route: there is no way out"
step netctl exec safe ip route
step_fails "an internal network has no route out" netctl exec safe ping -c1 -W1 192.0.2.2
demo_explain safe 192.0.2.2
say "and nothing from elsewhere comes in: netd drops traffic into and out of internal bridges (sets internal_bridges)"
step_fails "nothing enters an internal network" netctl exec site ping -c1 -W1 "$safe"
demo_explain site safe
show "nft list chain inet netd forward | grep internal" -- bash -c "nft list chain inet netd forward | grep internal"
say "inside it, containers still talk to each other"
step netctl run --rm --net vault busybox wget -qO- "http://$safe/hostname"
result "a container on vault reached safe"

demo_topology
