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
# examples/demo.sh runs itself in network, mount and pid namespaces of its own:
# nothing it starts can outlive it, nothing it makes touches the host's network
exec "$src/examples/demo.sh" "$src/build"
