#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs one integration test script in its own network namespace (the test's
# "host") and its own private mount namespace, so that every interface, nft
# table, netns and mount the test makes dies with it even if cleanup fails.
set -u
script=$1
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: integration tests need root (network namespaces, netlink, mounts)"
  exit 77
fi
command -v unshare >/dev/null || { echo "SKIP: unshare (util-linux) missing"; exit 77; }
mkdir -p /run/netns
# own pid namespace too: when the test ends, every process it left dies with it
exec timeout -k 10 "${NETD_TEST_TIMEOUT:-400}" \
  unshare --net --mount --pid --fork --mount-proc --propagation private -- bash -c '
  set -e
  # our own view of named namespaces: nothing of the host is visible or touched
  mount -t tmpfs -o mode=0755 netd-test-netns /run/netns
  ip link set lo up
  exec bash "$0"
' "$script"
