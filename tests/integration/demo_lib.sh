# SPDX-License-Identifier: Apache-2.0
# Runs an examples/*.sh demo end to end, as a student would (sourced after
# lib.sh by the t_demo_*.sh tests): non-interactively, from the build under
# test, and checks that it exits 0, that its narrated outcomes are there, that
# it drew the closing picture, and that nothing it made is left: no netns,
# link, mount or nft table in this test's namespace (the demo runs in
# namespaces of its own and must not touch it), no cgroup, scratch dir or
# process of its own anywhere.
command -v jq >/dev/null || skip "jq missing"
command -v nft >/dev/null || skip "nft missing"
[ -x /bin/busybox ] || skip "/bin/busybox missing (package busybox-static)"

DEMO_OUT=
_demo_state() {
  echo "netns: $(ip netns list 2>/dev/null | awk '{print $1}' | sort | paste -sd' ')"
  echo "links: $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | sort | paste -sd' ')"
  echo "nft: $(nft list tables 2>/dev/null | sort | paste -sd' ')"
  echo "mounts: $(awk '{print $2}' /proc/self/mounts | sort | paste -sd' ')"
}
# what a demo NAME leaves anywhere: its cgroups, its scratch dirs, its daemons
demo_leftovers() {
  find /sys/fs/cgroup -maxdepth 9 -type d -name "netd-demo-$1-*" 2>/dev/null
  find /tmp -maxdepth 1 -type d -name "netd-demo-$1.*" 2>/dev/null
  local p
  for p in $(pgrep -x netd; pgrep -x netd-shim); do
    [ "$p" = "${ND_PID:-}" ] || echo "process $p: $(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null)"
  done
}

# demo_run NAME: runs examples/NAME.sh; its output in $DEMO_OUT, fails unless it exits 0
demo_run() {
  local name=$1 before after rc=0 t0 t1
  mkdir -p "$T/out"
  before=$(_demo_state)
  [ -z "$(demo_leftovers "$name")" ] || fail "leftovers of an earlier examples/$name.sh: $(demo_leftovers "$name")"
  t0=$(date +%s%N)
  NETD_DEMO_NONINTERACTIVE=1 NETD_DEMO_OUT=$T/out timeout -k 5 150 \
    "$NETD_SRC/examples/$name.sh" "$NETD_BUILD" </dev/null >"$T/$name.out" 2>&1 || rc=$?
  t1=$(date +%s%N)
  DEMO_OUT=$(sed 's/\x1b\[[0-9;]*m//g' "$T/$name.out")
  log "examples/$name.sh: exit $rc in $(( (t1 - t0) / 1000000 )) ms, $(wc -l <"$T/$name.out") lines"
  if [ $rc -ne 0 ]; then
    echo "---- examples/$name.sh output (last 60 lines) ----" >&2; tail -n 60 "$T/$name.out" >&2
    fail "examples/$name.sh exited $rc"
  fi
  after=$(_demo_state)
  [ "$after" = "$before" ] || fail "examples/$name.sh changed the test's namespace:
before: $before
after:  $after"
  local left
  left=$(demo_leftovers "$name")
  [ -z "$left" ] || fail "examples/$name.sh left: $left"
  grep -q "done: everything this demo made is gone" <<<"$DEMO_OUT" || fail "examples/$name.sh did not finish its narration"
}
# said LINE...: each LINE (fixed text) is in the demo's output
said() {
  local l
  for l in "$@"; do grep -qF -- "$l" <<<"$DEMO_OUT" || fail "examples output lacks: $l"; done
}
# demo_picture NAME: the closing picture — netctl topology's text and SVG where
# the build has the command, else the demo says it does not
demo_picture() {
  if "$NETCTL_BIN" topology --help >/dev/null 2>&1; then
    said "$ netctl topology | jq -r -f examples/lib/topology.jq" "topology picture written to $T/out/netd-demo-$1-topology.svg"
    grep -q '<svg' "$T/out/netd-demo-$1-topology.svg" || fail "not an SVG: $T/out/netd-demo-$1-topology.svg"
  else
    said "netctl topology is not in this build yet"
  fi
}
# demo_explained: the demo ran netctl explain, or said it is missing
demo_explained() {
  if "$NETCTL_BIN" explain --help >/dev/null 2>&1; then
    said "$ netctl explain"
  else
    said "netctl explain is not in this build yet"
  fi
}
