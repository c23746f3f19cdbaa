# Helpers for the container tests (sourced after lib.sh): a busybox image
# "bb" imported into the test's image store before netd starts, and checks
# that nothing of ours is left in the kernel.
command -v jq >/dev/null || skip "jq missing"
[ -x /bin/busybox ] || skip "/bin/busybox missing (package busybox-static)"
[ -d /sys/fs/cgroup ] || skip "no /sys/fs/cgroup"

ctr_setup() {
  "$NETD_SRC/scripts/mk-busybox-image.sh" "$T/bb.tar" 2>/dev/null
  "$NETD_BUILD/images/nd-images-test" --root "$ND_ROOT/images" import "$T/bb.tar" bb >/dev/null
  # every cgroup of ours goes, whatever happened
  on_exit 'find /sys/fs/cgroup -maxdepth 4 -type d -name netd 2>/dev/null | while read -r d; do find "$d" -mindepth 1 -depth -type d -exec rmdir {} \; ; done'
}

# cgroup dirs of containers (64-hex names under a "netd" parent)
# cgroup dirs of this test's containers (other tests may run containers at the same time)
ctr_cgroups() {
  local ids; ids=$(grep -o 'container created id=[0-9a-f]*' "$ND_LOG" 2>/dev/null | cut -d= -f2 | sort -u | paste -sd'|')
  [ -n "$ids" ] || return 0
  find /sys/fs/cgroup -maxdepth 8 -type d -regextype egrep -regex ".*/netd/($ids)[0-9a-f]{52}" 2>/dev/null | sort
}
ctr_mounts() { grep -cE " $T/(root|run)/" /proc/self/mounts || true; }
ctr_veths() { ip -o link show type veth 2>/dev/null | wc -l; }
