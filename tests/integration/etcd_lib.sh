# SPDX-License-Identifier: Apache-2.0
# etcd for the integration tests: Debian's etcd-server 3.4 binary, unpacked
# by scripts/fetch-etcd.sh into /var/cache/netd-test/etcd (never installed:
# the package would start a service on this machine). Source after lib.sh.
#   etcd_start NAME ADDR [etcd flags...]   data under $T/etcd-NAME, client port 2379 on ADDR
#   etcd_stop NAME / etcd_kill NAME        SIGTERM / SIGKILL, data kept (etcd_start resumes it)
#   ETCDCTL NAME args...                   etcdctl against that etcd
ETCD_BIN=${ETCD_BIN:-${XDG_CACHE_HOME:-/var/cache}/netd-test/etcd}
ETCD_TOOL=$NETD_BUILD/tests/tools/nd-etcd-test
declare -A _etcd_pid _etcd_addr _etcd_args
etcd_need() {
  [ -x "$ETCD_BIN" ] || skip "no etcd server at $ETCD_BIN (run scripts/fetch-etcd.sh)"
  command -v etcdctl >/dev/null || skip "etcdctl missing (apt-get install etcd-client)"
  [ -x "$ETCD_TOOL" ] || skip "$ETCD_TOOL not built"
}
etcd_start() {
  local name=$1 addr=$2; shift 2
  local scheme=http
  [[ " $* " == *" --cert-file"* ]] && scheme=https
  _etcd_addr[$name]=$addr
  _etcd_args[$name]="$*"
  mkdir -p "$T/etcd-$name"
  # its data on a tmpfs (the test's own mount namespace): a disk busy with
  # other work stalls etcd's fsyncs for seconds, and tests are not about disks
  if ! mountpoint -q "$T/etcd-$name"; then mount -t tmpfs -o size=256m etcd-test "$T/etcd-$name"; fi
  "$ETCD_BIN" --name "$name" --data-dir "$T/etcd-$name/data" \
    --listen-client-urls "$scheme://$addr:2379" --advertise-client-urls "$scheme://$addr:2379" \
    --listen-peer-urls "http://$addr:2380" --initial-advertise-peer-urls "http://$addr:2380" \
    --initial-cluster "$name=http://$addr:2380" \
    "$@" >>"$T/etcd-$name/log" 2>&1 &
  _etcd_pid[$name]=$!
  on_exit "kill -KILL ${_etcd_pid[$name]}"
  if [ $scheme = http ]; then
    poll 20 curl -sf "http://$addr:2379/health" || { tail -20 "$T/etcd-$name/log" >&2; fail "etcd $name did not come up on $addr"; }
  fi
}
etcd_stop() {
  local name=$1 pid=${_etcd_pid[$1]}
  kill -TERM "$pid" 2>/dev/null || true
  poll 10 bash -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
etcd_kill() {
  local pid=${_etcd_pid[$1]}
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
etcd_restart() { local name=$1; etcd_kill "$name"; eval "etcd_start $name ${_etcd_addr[$name]} ${_etcd_args[$name]}"; }
ETCDCTL() { local name=$1; shift; ETCDCTL_API=3 etcdctl --endpoints "${_etcd_addr[$name]}:2379" "$@"; }
# ms_since START_NS: milliseconds since a $(date +%s%N)
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
