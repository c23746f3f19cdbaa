# SPDX-License-Identifier: Apache-2.0
# CNI harness for the t_cni*.sh tests: execs the plugin as a runtime does
# (CNI_* environment, the configuration on stdin, the result or the spec's
# error object on stdout). Source after lib.sh.
CNI_BIN=${CNI_BIN:-$NETD_BUILD/cli/netd-cni}
CNI_REF=${CNI_REF:-/usr/lib/cni}
[ -x "$CNI_BIN" ] || fail "no plugin at $CNI_BIN"

# cni_conf VERSION [EXTRA-JSON]: the netd plugin's configuration
cni_conf() {
  jq -nc --arg v "$1" --arg s "$ND_SOCK" --argjson x "${2:-{\}}" \
    '{cniVersion:$v, name:"cnitest", type:"netd", network:"cninet", socket:$s} + $x'
}

# cni CMD CID IFNAME NETNS CONF: runs the plugin; stdout in $CNI_OUT, exit code returned
CNI_OUT=
cni() {
  local rc=0
  CNI_OUT=$(env -i PATH="$PATH" CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_IFNAME="$3" CNI_NETNS="$4" \
            CNI_PATH="$CNI_REF" ${CNI_ARGS:+CNI_ARGS="$CNI_ARGS"} "$CNI_BIN" <<<"$5") || rc=$?
  return $rc
}

# cni_plugin BIN CMD CID IFNAME NETNS CONF: any plugin (the reference ones)
cni_plugin() {
  local rc=0 bin=$1; shift
  CNI_OUT=$(env -i PATH="$PATH" CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_IFNAME="$3" CNI_NETNS="$4" \
            CNI_PATH="$CNI_REF" "$bin" <<<"$5") || rc=$?
  return $rc
}

# cni_expect_code CODE CMD CID IFNAME NETNS CONF: fails unless the plugin fails with CODE
cni_expect_code() {
  local want=$1; shift
  if cni "$@"; then fail "$1 $2 succeeded, want error $want: $CNI_OUT"; fi
  local got
  got=$(jq -r .code <<<"$CNI_OUT" 2>/dev/null) || fail "$1 $2: not an error object: $CNI_OUT"
  [ "$got" = "$want" ] || fail "$1 $2: error code $got, want $want: $CNI_OUT"
  [ -n "$(jq -r '.msg // empty' <<<"$CNI_OUT")" ] || fail "$1 $2: error without msg: $CNI_OUT"
}

# what netd holds: endpoints, sandboxes, claimed addresses, published ports
nd_counts() {
  local eps sbs
  eps=$(api GET /endpoints | jq length)
  sbs=$(api GET /sandboxes | jq '[.[] | select(.CallerOwned == true)] | length')
  echo "eps=$eps sbs=$sbs"
}
