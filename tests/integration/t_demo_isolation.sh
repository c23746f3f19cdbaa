#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/isolation.sh end to end (tests/integration/demo_lib.sh): networks isolated, ICC off, the nft rules, explain of a blocked pair
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/demo_lib.sh"

demo_run isolation
said "=> fails (exit 1), as it should: networks are isolated from each other" \
  "=> r1 reaches its gateway 10.20.1.1" \
  "=> fails (exit 1), as it should: inter-container communication is off on quiet" \
  "=> q1 still reaches its gateway" \
  "=> r1, now on blue too, reached b1" \
  "=> fails (exit 1), as it should: red stays isolated from blue" \
  '$ nft list table inet netd' 'iifname . oifname @noicc_pairs' 'comment "netd:icc off"'
said "isolated on"
demo_explained
if "$NETCTL_BIN" explain --help >/dev/null 2>&1; then
  said "verdict: dropped" "netd:isolation" "both isolated (icc off)"
fi
demo_picture isolation
echo ok
