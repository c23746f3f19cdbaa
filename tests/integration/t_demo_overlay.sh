#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/overlay.sh end to end (tests/integration/demo_lib.sh): the multi-host lab
# up, cross-host pings over the overlay, lab status, lab down
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/demo_lib.sh"
[ -x "$NETD_SRC/examples/lab/lab" ] || skip "examples/lab/lab is not in this tree"

demo_run overlay
said "=> c1 on host 1 reached c2 on host 2" "=> c1 on host 1 reached c3 on host 3"
echo ok
