#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# eBPF pins have owners. 20 start/stop cycles of netd, each with a throwaway
# --root/--exec-root in a throwaway network namespace and a container
# publishing a port (so the programs are attached and used); after each stop
# the test deletes that root, exec root and namespace. The 21st netd removes
# the pins and links of all 20: the test cgroup then carries only its 8
# programs and the bpffs only its folder. The default pin path is used (a
# bpffs of the test's own mounted on /sys/fs/bpf in the test's private mount
# namespace), as on a host. Then: a netd that merely crashed (exec root still
# there) keeps its pins, and published ports keep working, while another
# netd starts; restarted, it re-adopts them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"

command -v bpftool >/dev/null || skip "bpftool (the witness) is not installed"
command -v curl >/dev/null || skip "curl missing"
CYCLES=${BPF_OWNERS_CYCLES:-20}
# BPF_OWNERS_OLD_BIN=<a netd from before pins had owners>: the throwaway
# instances run it (old layout, /sys/fs/bpf/netd-<hash>), the later ones
# this build: their folders are removed by netns cookie all the same
OLD_BIN=${BPF_OWNERS_OLD_BIN:-$NETD_BIN}

nd_test_bpf
[ -n "$ND_TEST_CG" ] || skip "no cgroup2 dir / bpffs for the eBPF programs"
CG=$ND_TEST_CG
# this shell (and the clients it starts) in the test cgroup: the programs act there
echo $$ > "$CG/cgroup.procs"
on_exit "echo \$\$ > '$(dirname "$CG")/cgroup.procs'"
# a bpffs of our own where netd pins by default (private mount namespace)
mount -t bpf bpf /sys/fs/bpf || skip "cannot mount a bpffs on /sys/fs/bpf"
on_exit "umount -l /sys/fs/bpf"
PINS=/sys/fs/bpf/netd
printf '{ "bpf-cgroup": "%s" }\n' "$CG" > "$T/cfg.json"

"$NETD_SRC/scripts/mk-busybox-image.sh" "$T/bb.tar" 2>/dev/null
on_exit 'find /sys/fs/cgroup -maxdepth 4 -type d -name netd 2>/dev/null | while read -r d; do find "$d" -mindepth 1 -depth -type d -exec rmdir {} \; ; done'

progs() { bpftool cgroup show "$CG" | grep -c ' nd_' || true; }
folders() { ls "$PINS" 2>/dev/null | paste -sd' '; ls -d /sys/fs/bpf/netd-* 2>/dev/null || true; }

# instance I: dirs under $T/o$I, netns ndo$I; start_i I: start its netd there
declare -A PIDS
start_i() {
  local i=$1 d=$T/o$1
  mkdir -p "$d/root"
  [ -d "$d/root/images" ] || "$NETD_BUILD/tests/tools/nd-images-test" --root "$d/root/images" import "$T/bb.tar" bb >/dev/null
  [ -e "/run/netns/ndo$i" ] || mk_netns "ndo$i"
  nsenter --net="/run/netns/ndo$i" -- "${2:-$NETD_BIN}" --root "$d/root" --exec-root "$d/run" --socket "$d/sock" \
    --config "$T/cfg.json" --log-level debug >>"$d/log" 2>&1 &
  PIDS[$i]=$!
  poll 20 curl -sf --unix-socket "$d/sock" http://netd/_ping || { cat "$d/log" >&2; fail "netd $i did not answer"; }
}
ctl_i() { local i=$1; shift; NETD_HOST=unix://$T/o$i/sock "$NETCTL_BIN" "$@"; }
get_i() { nsenter --net="/run/netns/ndo$1" -- curl -sS --max-time 3 "http://127.0.0.1:8080/cgi-bin/ip" 2>&1; }
run_web() { ctl_i "$1" run -d --name web --hostname "w$1" -p 8080:80 -e CGI="$WEB_CGI" bb sh -c "$WEB_SRV" >/dev/null; }
stop_i() { kill -"${2:-TERM}" "${PIDS[$1]}"; wait "${PIDS[$1]}" 2>/dev/null || true; }
# the throwaway part: exec root (and its mounts), root, namespace
throw_away() {
  local i=$1 d=$T/o$1
  grep -F " $d/" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l
  ip netns del "ndo$i"
  rm -rf "$d"
}

log "$CYCLES throwaway netd instances"
for i in $(seq "$CYCLES"); do
  start_i "$i" "$OLD_BIN"
  run_web "$i"
  poll 20 has "^w$i " get_i "$i" || fail "netd $i: published port: $(get_i "$i")"
  [ "$(progs)" -ge 8 ] || fail "netd $i: no programs on the cgroup"
  ctl_i "$i" rm -f web >/dev/null
  stop_i "$i"
  throw_away "$i"
done
log "after $CYCLES throwaway runs: $(progs) programs, pin folders: $(folders)"

n=$((CYCLES + 1))
start_i $n
id=$(curl -s --unix-socket "$T/o$n/sock" http://netd/info | jq -r .ID)
only_live() { [ "$(progs)" = 8 ] && [ "$(folders)" = "${id:0:16}" ]; }
poll 20 only_live || fail "after netd $n started: $(progs) programs on the cgroup (want 8), pin folders '$(folders)' (want '${id:0:16}')"
# and they are its own: its pinned links are the ones attached
for l in "$PINS/${id:0:16}"/link_*; do
  pid=$(bpftool link show pinned "$l" | sed -nE 's/.* prog ([0-9]+).*/\1/p')
  has -w "$pid" bpftool cgroup show "$CG" || fail "$l (prog $pid) is not attached to the cgroup"
done
grep -q "ports: removed eBPF link" "$T/o$n/log" || fail "removals not logged at info"

log "a crashed netd keeps its pins while another starts, and re-adopts them"
run_web $n
poll 20 has "^w$n " get_i $n || fail "netd $n: published port: $(get_i $n)"
stop_i $n KILL
m=$((n + 1))
start_i $m
poll 20 has "^w$n " get_i $n || fail "netd $n dead: its port stopped working after netd $m started"
[ "$(progs)" = 16 ] || fail "netd $n's programs were removed while its exec root exists: $(progs) programs"
[ -d "$PINS/${id:0:16}" ] || fail "netd $n's pin folder was removed while its exec root exists"
start_i $n
poll 20 has "^w$n " get_i $n || fail "netd $n restarted: its port: $(get_i $n)"
assert_eq "$(progs)" 16 "programs after the restart (re-adopted, not added)"
ctl_i $n rm -f web >/dev/null
stop_i $n; stop_i $m

if [ "$OLD_BIN" != "$NETD_BIN" ]; then
  log "old layout: a netd that crashed before the upgrade finds its pins moved into its folder"
  o=$((m + 1))
  start_i $o "$OLD_BIN"
  run_web $o
  poll 20 has "^w$o " get_i $o || fail "old netd $o: published port"
  old_dirs=$(ls -d /sys/fs/bpf/netd-* | wc -l)
  nprogs=$(progs)
  stop_i $o KILL
  start_i $o
  oid=$(curl -s --unix-socket "$T/o$o/sock" http://netd/info | jq -r .ID)
  [ -e "$PINS/${oid:0:16}/nd_ports" ] || fail "old-layout pins not moved to $PINS/${oid:0:16}: $(ls -R /sys/fs/bpf)"
  [ "$(ls -d /sys/fs/bpf/netd-* 2>/dev/null | wc -l)" -lt "$old_dirs" ] || fail "old-layout folder left"
  poll 20 has "^w$o " get_i $o || fail "upgraded netd $o: published port: $(get_i $o)"
  assert_eq "$(progs)" "$nprogs" "programs after the upgrade (re-adopted, not added)"
  ctl_i $o rm -f web >/dev/null
  stop_i $o
fi
log "ok"
