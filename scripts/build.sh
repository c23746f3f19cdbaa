#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configures and builds netd into build/ (and, with --asan, a sanitizer
# build into build-asan/). Usage: scripts/build.sh [--asan]
# Warnings are errors here (and so in scripts/test.sh and CI); a plain
# `cmake` leaves -Werror off.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNETD_WERROR=ON -DBUILD_TESTING=ON >/dev/null
cmake --build "$src/build" -j"$jobs"
if [ "${1-}" = "--asan" ]; then
  cmake -S "$src" -B "$src/build-asan" -DCMAKE_BUILD_TYPE=Debug -DNETD_SANITIZE=ON -DNETD_WERROR=ON -DBUILD_TESTING=ON >/dev/null
  cmake --build "$src/build-asan" -j"$jobs"
fi
