#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# netctl commit: a container's changes (a new file, a deleted file, a
# replaced directory) become one new layer that a new container sees exactly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"

ctr_setup
nd_start
netctl run -d --name c1 --net none bb sh -c \
  'echo hello > /hello; rm /etc/group; rm -rf /usr; mkdir -p /usr/x; echo y > /usr/x/y; sleep 300' >/dev/null
poll 10 bash -c "[ -n \"\$($NETCTL_BIN exec c1 cat /usr/x/y 2>/dev/null)\" ]" || fail "container did not make its changes"
id=$(netctl commit -m "added hello" c1 bb:committed)
[[ "$id" == sha256:* ]] || fail "commit printed no image id: $id"
layers_base=$(netctl image inspect bb | jq '.[0].RootFS.Layers | length')
layers_new=$(netctl image inspect bb:committed | jq '.[0].RootFS.Layers | length')
assert_eq "$layers_new" "$((layers_base + 1))" "one new layer"
assert_eq "$(netctl run --rm --net none bb:committed cat /hello)" "hello" "new file"
set +e; netctl run --rm --net none bb:committed cat /etc/group >/dev/null 2>&1; rc=$?; set -e
[ $rc -ne 0 ] || fail "deleted file is back in the committed image"
assert_eq "$(netctl run --rm --net none bb:committed ls /usr)" "x" "replaced directory (opaque)"
[[ "$(netctl image history bb:committed)" == *"added hello"* ]] || fail "commit message not in history"
set +e; out=$(netctl commit nosuch x:y 2>&1); rc=$?; set -e
[ $rc -ne 0 ] && [[ "$out" == *"no such container"* ]] || fail "commit of a missing container: $out"
netctl rm -f c1 >/dev/null
echo ok
