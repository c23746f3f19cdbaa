#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main demo: installs what is needed, builds, starts netd inside a
# throwaway network namespace (your host's network is never touched), and
# shows what it does. Everything it made is removed at the end.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then exec sudo -E "$0" "$@"; fi
  echo "demo.sh: run as root (netd manages network namespaces)" >&2
  exit 1
fi
"$src/scripts/install-deps.sh"
"$src/scripts/build.sh"
mkdir -p /run/netns
# its own network, mount and pid namespaces: nothing it starts can outlive it
exec unshare --net --mount --pid --fork --mount-proc --propagation private -- \
  bash "$src/examples/demo.sh" "$src/build"
