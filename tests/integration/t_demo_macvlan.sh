#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/macvlan.sh end to end (tests/integration/demo_lib.sh): containers as hosts of a LAN, host access
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/demo_lib.sh"

demo_run macvlan
said "=> the LAN and the container (192.168.50.128) reach each other, no NAT" \
  "=> fails (exit 1), as it should: the kernel passes no frame between a macvlan parent and its children" \
  "=> with host access the host reaches its macvlan container"
demo_picture macvlan
echo ok
