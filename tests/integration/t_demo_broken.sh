#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/broken.sh end to end (tests/integration/demo_lib.sh): a foreign drop-policy firewall and an internal network, explained
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/demo_lib.sh"

demo_run broken
said "=> outside reached site through a forward chain with policy drop" "=> site reached 192.0.2.2" \
  'oifname "br-web" counter' 'accept comment "netd: into br-web"' \
  "=> fails (exit 1), as it should: the owner's explicit drop wins over netd's accept" \
  "=> site reaches 192.0.2.2 again" \
  "=> fails (exit 1), as it should: an internal network has no route out" \
  "=> fails (exit 1), as it should: nothing enters an internal network" \
  "=> a container on vault reached safe"
demo_explained
if "$NETCTL_BIN" explain --help >/dev/null 2>&1; then
  # the owner's rule named as the one that drops; the internal network: no route, and netd's rule
  said "verdict: dropped" 'ip daddr 192.0.2.0/24 counter packets' 'drop comment "no containers to the lab net"' "verdict: no-route" \
    'oifname @internal_bridges' 'comment "netd:internal in"' "verdict: delivered"
fi
demo_picture broken
echo ok
