#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Docker SDK for Python (Debian's python3-docker) against netd: images
# list/save/load/tag/remove, containers run (attached: output, exit code;
# detached), logs, exec_run, labels, stop, remove; networks create (IPAM),
# connect with an address (a peer pings it), disconnect, remove; an events
# stream seeing all of it, and a since/until replay; df, prune.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
/usr/bin/python3 -c 'import docker' 2>/dev/null || skip "python3-docker missing (scripts/deps/base.txt)"
ctr_setup
nd_start
timeout -s KILL 90 /usr/bin/python3 "$NETD_SRC/tests/integration/docker_sdk_flows.py" "$ND_SOCK" ||
  fail "the Docker SDK flows failed"
log "ok"
