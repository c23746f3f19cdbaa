# SPDX-License-Identifier: Apache-2.0
# A plain multi-host setup for tests that need every host's files in the
# test's own mount namespace (sandbox netns paths, sockets under $T/hN);
# the overlay tests themselves use the lab (overlay_lab_lib.sh). Inside the
# test's own namespaces:
# an underlay bridge ul0 (192.168.77.1/24) with etcd on it, and N "hosts"
# h1..hN (network namespaces, eth0 = 192.168.77.1<i>/24 on ul0), each with a
# netd of its own started with --cluster-store/--cluster-advertise.
# Source after lib.sh:
#   ov_lab N [UNDERLAY_MTU]      build it (etcd e0, netd on every host)
#   ovctl, ov_api, ov_sb, ov_ip, ov_log (overlay_common.sh)
#   ov_nd_start I / ov_nd_kill I / ov_nd_stop I
#   ov_x I NAME CMD...           runs CMD in sandbox NAME of host I
. "$(dirname "${BASH_SOURCE[0]}")/etcd_lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/overlay_common.sh"
OV_HOSTS=$T
OV_TTL=${OV_TTL:-3}
OV_ETCD=192.168.77.1
declare -A _ov_pid
ov_lab() {
  local n=$1 mtu=${2:-1500}
  etcd_need
  # OV_KEEP=DIR: the hosts' netd logs are copied there at the end (debugging)
  [ -z "${OV_KEEP:-}" ] || on_exit "mkdir -p '$OV_KEEP'; for l in $T/h*/netd.log; do cp \$l '$OV_KEEP'/\$(basename \$(dirname \$l)).log; done"
  command -v jq >/dev/null || skip "jq missing"
  ip link add ul0 mtu "$mtu" type bridge
  ip addr add $OV_ETCD/24 dev ul0
  ip link set ul0 up
  etcd_start e0 $OV_ETCD
  nd_test_bpf
  local i
  for i in $(seq 1 "$n"); do
    mk_netns h$i
    ip link add u$i mtu "$mtu" type veth peer name eth0 mtu "$mtu" netns h$i
    ip link set u$i master ul0 up
    ip -n h$i addr add 192.168.77.1$i/24 dev eth0
    ip -n h$i link set eth0 up
    ov_nd_start "$i"
  done
}
ov_nd_start() {
  local i=$1 d=$T/h$1
  mkdir -p "$d/root" "$d/run"
  # a test's own preparation of a host before its first netd (e.g. images)
  if declare -F ov_pre_start >/dev/null && [ ! -e "$d/.prepared" ]; then ov_pre_start "$i"; touch "$d/.prepared"; fi
  if [ -n "$ND_TEST_CG" ]; then
    mkdir -p "$ND_TEST_CG/h$i"
    printf '{ "bpf-cgroup": "%s", "bpf-pin-path": "%s" }\n' "$ND_TEST_CG/h$i" "$T/bpf/h$i" >"$d/netd.json"
  else
    printf '{ "userland-proxy": true }\n' >"$d/netd.json"
  fi
  nsenter --net=/run/netns/h$i -- "$NETD_BIN" --config "$d/netd.json" --root "$d/root" --exec-root "$d/run" \
    --socket "$d/netd.sock" --log-level debug --cluster-store "etcd://$OV_ETCD:2379" \
    --cluster-advertise 192.168.77.1$i --cluster-lease-ttl "$OV_TTL" "${@:2}" >>"$d/netd.log" 2>&1 &
  _ov_pid[$i]=$!
  on_exit "kill -KILL ${_ov_pid[$i]} 2>/dev/null || true"
  poll 20 curl -sf --unix-socket "$d/netd.sock" http://netd/_ping || { tail -30 "$d/netd.log" >&2; fail "netd on h$i did not answer"; }
}
ov_nd_kill() {
  kill -KILL "${_ov_pid[$1]}" 2>/dev/null || true
  wait "${_ov_pid[$1]}" 2>/dev/null || true
}
ov_nd_stop() {
  local pid=${_ov_pid[$1]}
  kill -TERM "$pid" 2>/dev/null || true
  poll 10 bash -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
ov_x() { local i=$1 s=$2; shift 2; ovctl "$i" sandbox exec "$s" -- "$@"; }
