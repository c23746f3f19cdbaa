# SPDX-License-Identifier: Apache-2.0
# Helpers for the container tests (sourced after lib.sh): a busybox image
# "bb" imported into the test's image store before netd starts, and checks
# that nothing of ours is left in the kernel.
command -v jq >/dev/null || skip "jq missing"
[ -x /bin/busybox ] || skip "/bin/busybox missing (package busybox-static)"
[ -d /sys/fs/cgroup ] || skip "no /sys/fs/cgroup"

ctr_setup() {
  "$NETD_SRC/scripts/mk-busybox-image.sh" "$T/bb.tar" 2>/dev/null
  "$NETD_BUILD/tests/tools/nd-images-test" --root "$ND_ROOT/images" import "$T/bb.tar" bb >/dev/null
  # every cgroup of this test's containers goes, whatever happened (only
  # ours: tests running at the same time share the parents, and an empty
  # container cgroup of theirs, made a moment before its process joins it,
  # must not be removed under them). A container still running at the end
  # (netd leaves them to their shims when it stops) is killed first: the pid
  # namespace's end would kill it anyway, but after this rmdir.
  on_exit 'ctr_cgroups | sort -r | while read -r d; do cg_drain "$d" 2>/dev/null || true; done'
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

# ---- published-port helpers ---------------------------------------------------------
# outside_setup: the "outside host", a namespace over a veth: host 192.0.2.1 and
# 2001:db8::1 (vout), outside 192.0.2.2 and 2001:db8::2. Turns forwarding on.
outside_setup() {
  sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  mk_netns outside
  ip link add vout type veth peer name eth0 netns outside
  ip addr add 192.0.2.1/24 dev vout; ip addr add 2001:db8::1/64 dev vout nodad; ip link set vout up
  ip -n outside addr add 192.0.2.2/24 dev eth0; ip -n outside addr add 2001:db8::2/64 dev eth0 nodad
  ip -n outside link set eth0 up
}
# busybox httpd with a CGI that answers "<hostname> <the client's address>":
#   netctl run -d ... -e CGI="$WEB_CGI" bb sh -c "$WEB_SRV"
WEB_CGI='#!/bin/sh
echo Content-Type: text/plain
echo
a=${REMOTE_ADDR#"["}; a=${a%"]"}
echo "$(hostname) ${a#::ffff:}"'
WEB_SRV='mkdir -p /www/cgi-bin && printf "%s\n" "$CGI" >/www/cgi-bin/ip && chmod +x /www/cgi-bin/ip && exec httpd -f -p 80 -h /www'
get_out() { in_ns outside curl -sS --max-time 3 "http://$1/cgi-bin/ip" 2>&1; }  # from the outside host
