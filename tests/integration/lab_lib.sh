# SPDX-License-Identifier: Apache-2.0
# The multi-host lab (examples/lab/lab) inside a test: its state under $T,
# its namespaces in the test's own /run/netns, removed at exit. Source after
# lib.sh (and etcd_lib.sh for etcd_need).
#   lab_up N [env...]   e.g. lab_up 3 LAB_MTU=1400
#   lab CMD...          the lab script with the test's settings (lab exec h1 ...)
#   lab_netctl HOST ... netctl on a host
export LAB_DIR=$T/lab LAB_QUIET=${LAB_QUIET-1} NETD_BUILD LAB_CG=netd-lab-${T##*.}
LAB_BIN=$NETD_SRC/examples/lab/lab
lab() { "$LAB_BIN" "$@"; }
lab_netctl() { local h=$1; shift; "$LAB_BIN" exec "$h" netctl "$@"; }
lab_up() {
  local n=$1; shift
  on_exit "LAB_QUIET=1 '$LAB_BIN' down"
  env "$@" "$LAB_BIN" up "$n"
}
# what a lab leaves behind, for a before/after comparison
lab_footprint() {
  echo "netns: $(ip netns list 2>/dev/null | awk '{print $1}' | sort | tr '\n' ' ')"
  echo "mounts: $(grep -cE 'netd-lab|/lab/|bpf' /proc/self/mounts || true)"
  echo "cgroups: $(find /sys/fs/cgroup -maxdepth 8 -type d \( -name 'netd-lab*' \) 2>/dev/null | sort | tr '\n' ' ')"
  echo "procs: $(pgrep -f "$LAB_DIR" 2>/dev/null | tr '\n' ' ')"
  echo "links: $(ip -o link 2>/dev/null | wc -l)"
}
