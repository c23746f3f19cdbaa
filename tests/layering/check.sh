#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The build enforces netd's one-way layers: this shows that both guards fire
# on a deliberate back-edge (and stay quiet on the real tree).
#   1. a lower layer including an upper layer's header stops at #error;
#   2. a lower layer calling an upper layer's function fails its link check
#      (the layer's library linked whole against the layers below only).
# The probes are EXCLUDE_FROM_ALL targets of netd/CMakeLists.txt.
set -uo pipefail
build=${1:?usage: check.sh BUILD_DIR}
fail() { echo "FAIL: $*" >&2; exit 1; }
out=$(mktemp); trap 'rm -f "$out"' EXIT

# the real layers link on their own (positive control)
for l in core http net ctr api; do
  cmake --build "$build" --target "nd_${l}_linkcheck" >"$out" 2>&1 || { cat "$out"; fail "layer $l does not link against the layers below it"; }
done
echo "ok: every layer links whole against the layers below it"

cmake --build "$build" --target nd_layer_probe_include >"$out" 2>&1 && fail "net including ctr/ctr.h compiled"
grep -q 'the core, http and net layers sit below ctr' "$out" || { cat "$out"; fail "the include back-edge failed for another reason"; }
echo "ok: net including the ctr header stops at #error"

cmake --build "$build" --target nd_layer_probe_link >"$out" 2>&1 && fail "net calling ctr_start linked"
grep -q "undefined reference to .ctr_start" "$out" || { cat "$out"; fail "the link back-edge failed for another reason"; }
echo "ok: net calling into ctr fails to link"
echo "1 passed, 0 failed"
