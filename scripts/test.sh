#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every test netd has: installs what is needed, builds, runs the unit
# tests under AddressSanitizer+UBSan, then all tests (unit and integration,
# as root, each integration test in throwaway network namespaces).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then exec sudo -E "$0" "$@"; fi
  echo "test.sh: run as root (integration tests use network namespaces)" >&2
  exit 1
fi
"$src/scripts/install-deps.sh"
"$src/scripts/spdx.sh"    # every source file says its licence
"$src/scripts/build.sh" --asan
echo "== unit tests (ASan + UBSan) =="
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$src/build-asan" -L unit --output-on-failure -j"$(nproc)"
echo "== all tests =="
ctest --test-dir "$src/build" --output-on-failure --timeout 900
