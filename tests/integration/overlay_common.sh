# SPDX-License-Identifier: Apache-2.0
# What overlay_lib.sh (plain hosts, files under $T) and overlay_lab_lib.sh
# (the lab's hosts, files under $LAB_DIR) share; sourced by them, which set
# OV_HOSTS to the directory holding host I's files in hI/ (netd.sock, netd.log).
#   ovctl I ARGS...              netctl against host I's netd
#   ov_api I METHOD PATH [JSON]  the API of host I
#   ov_sb I NAME                 a sandbox on host I
#   ov_ip I NAME NET             the sandbox's address on network NET
#   ov_log I [LINES]             the tail of host I's netd log, on stderr
ovctl() { local i=$1; shift; NETD_HOST=unix://$OV_HOSTS/h$i/netd.sock "$NETCTL_BIN" "$@"; }
ov_api() { # ov_api I METHOD PATH [JSON]
  local i=$1 m=$2 p=$3 b=${4:-}
  if [ -n "$b" ]; then
    curl -sf --unix-socket "$OV_HOSTS/h$i/netd.sock" -X "$m" -H 'Content-Type: application/json' -d "$b" "http://netd$p"
  else
    curl -sf --unix-socket "$OV_HOSTS/h$i/netd.sock" -X "$m" "http://netd$p"
  fi
}
ov_sb() { ovctl "$1" sandbox create --name "$2" >/dev/null; }
ov_ip() { ovctl "$1" sandbox inspect "$2" | jq -r --arg n "$3" '.[0].Networks[$n].IPv4Address | split("/")[0]'; }
ov_log() { tail -${2:-40} "$OV_HOSTS/h$1/netd.log" >&2; }
