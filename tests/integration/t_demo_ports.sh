#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/ports.sh end to end (tests/integration/demo_lib.sh): a published port from outside (DNAT) and from localhost (eBPF)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/demo_lib.sh"

demo_run ports
said "=> outside reached site through 192.0.2.1:8080, and site saw the client's own address 192.0.2.2" \
  "=> fails (exit 28), as it should: netd drops direct inbound traffic to a bridge" \
  "elements = { tcp . 8080 : 10.30.0.2 . 80 }" \
  "=> fails (exit 125), as it should: 8080 is already published"
if grep -q '"ebpf"' <<<"$DEMO_OUT"; then
  said "=> 127.0.0.1:8080 reached site (it saw 10.30.0.1, the host's address on br-web)" "cgroup_inet4_connect"
else
  said "=> 127.0.0.1:8080 reached site through the userland proxy"
fi
demo_explained
demo_picture ports
echo ok
