# SPDX-License-Identifier: Apache-2.0
# Overlay tests on the multi-host lab (examples/lab/lab through lab_lib.sh):
# an underlay bridge br0 in namespace lab-u (192.168.77.0/24, etcd on .2),
# hosts h1..hN = namespaces lab-hN (eth0 192.168.77.1N), each with a netd of
# its own (own mount namespace, root, socket, cgroup, bpffs) on that etcd.
# Source after lib.sh:
#   ov_lab N [UNDERLAY_MTU]      lab up, without its demo network (OV_TTL: lease TTL)
#   ovctl, ov_api, ov_sb, ov_ip, ov_log (overlay_common.sh)
#   ov_nd_start/kill/stop I      host I's netd
#   ov_etcd stop|start           the cluster store away and back
#   ov_x I NAME CMD...           runs CMD in sandbox NAME of host I
#   in_ns hI CMD...              CMD in host I's network namespace (lab-hI)
. "$(dirname "${BASH_SOURCE[0]}")/etcd_lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lab_lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/overlay_common.sh"
OV_HOSTS=$LAB_DIR
OV_TTL=${OV_TTL:-3}
OV_ETCD=192.168.77.2
ov_lab() {
  local n=$1 mtu=${2:-1500}
  etcd_need
  command -v jq >/dev/null || skip "jq missing"
  [ -x /bin/busybox ] || skip "/bin/busybox missing (the lab needs busybox-static)"
  # OV_KEEP=DIR: the hosts' netd logs are copied there at the end (debugging)
  [ -z "${OV_KEEP:-}" ] || on_exit "mkdir -p '$OV_KEEP'; for l in $LAB_DIR/h*/netd.log; do cp \$l '$OV_KEEP'/\$(basename \$(dirname \$l)).log; done"
  lab_up "$n" LAB_MTU="$mtu" LAB_TTL="$OV_TTL" LAB_OVERLAY=0 LAB_NET=192.168.77 LAB_LOG_LEVEL=debug >/dev/null ||
    fail "lab up failed"
}
ov_nd_start() { LAB_LOG_LEVEL=debug lab netd h$1 start >/dev/null; }
ov_nd_kill() { lab netd h$1 kill >/dev/null; }
ov_nd_stop() { lab netd h$1 stop >/dev/null; }
ov_etcd() { lab etcd "$1" >/dev/null; }
ETCDCTL() { shift; nsenter --net=/run/netns/lab-u -- env ETCDCTL_API=3 etcdctl --endpoints "$OV_ETCD:2379" "$@"; }
# sandboxes live in the host's mount namespace: run there (lab exec)
ov_x() { local i=$1 s=$2; shift 2; lab exec h$i netctl sandbox exec "$s" -- "$@"; }
ov_netd_log() { echo "$LAB_DIR/h$1/netd.log"; }
# the lab's hosts are lab-hN; any other name as lib.sh's in_ns
in_ns() { local ns=$1; shift; case $ns in h[0-9]*) ns=lab-$ns ;; esac; nsenter --net=/run/netns/"$ns" -- "$@"; }
