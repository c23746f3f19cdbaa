#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/cni.sh end to end (tests/integration/demo_lib.sh): netd-cni ADD/CHECK/DEL against a namespace
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/demo_lib.sh"

demo_run cni
said "=> ADD gave pod1 10.40.0.3/24 on eth0 (gateway 10.40.0.1)" \
  "=> pod1 reached the container api at 10.40.0.2" \
  "=> pod1 resolved api through 10.40.0.1" \
  "=> CHECK pod1: as recorded" '"code": 100' \
  "=> fails (exit 1), as it should: CHECK finds eth0 down" \
  "=> DEL pod1: eth0 is gone from pod1, its address is free again" \
  "=> DEL again, and after the namespace is gone: success"
demo_picture cni
echo ok
