#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/bridge.sh end to end (tests/integration/demo_lib.sh): two containers on a bridge, by address and by name, the veths and the fdb
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/demo_lib.sh"

demo_run bridge
said "=> beta reached alpha by address (10.10.0.2)" "=> beta reached alpha by name" \
  "=> the bridge learned alpha (02:42:0a:0a:00:02) and beta (02:42:0a:0a:00:03)" \
  "master br-web"
demo_picture bridge
echo ok
