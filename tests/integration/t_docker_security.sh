#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Security options through the real docker CLI and netctl, each checked by
# its effect inside the container (and through `docker exec`): capability
# masks (--cap-add/--cap-drop/ALL, --privileged), seccomp (default filter,
# unconfined, a Docker-format profile that blocks mkdir), no_new_privs,
# --device (a node the device cgroup lets the container open), --group-add,
# --ulimit, namespaced --sysctl; and the clear refusals (non-namespaced
# sysctl, a hard rlimit above netd's, AppArmor/SELinux profiles).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
# Debian's client (API 1.41) and any newer docker on PATH
CLIS=$("$NETD_SRC/scripts/fetch-docker-cli.sh" 2>/dev/null) || true
for c in /usr/local/bin/docker $(command -v docker); do
  [ -x "$c" ] && [[ " $CLIS " != *" $c "* ]] && CLIS="$CLIS $c"
done
[ -n "${CLIS// /}" ] || skip "no docker CLI"
ctr_setup
nd_start
mkdir -p "$T/dc"
export DOCKER_HOST=unix://$ND_SOCK DOCKER_CONFIG=$T/dc
dk() { timeout -s KILL 60 "$D" "$@"; }

st() { grep "^$1:" | awk '{print $2}'; }   # a /proc/self/status field
status() { dk run --rm "${@:2}" bb cat /proc/self/status | st "$1"; }
refused() {   # TEXT DOCKER-RUN-OPTIONS...: refused, the message says TEXT
  local text=$1; shift
  set +e; out=$(dk run --rm "$@" bb true 2>&1); rc=$?; set -e
  [ $rc -ne 0 ] || fail "docker run $* succeeded: it must be refused"
  [[ "$out" == *"$text"* ]] || fail "docker run $*: the refusal does not say '$text': $out"
}
bnd=$(st CapBnd </proc/self/status)     # netd's bounding set (it runs as this shell does)
mask() { printf '%016x' $(( $1 & 0x$bnd )); }

suite() {
# ---- capabilities ----------------------------------------------------------------
assert_eq "$(status CapEff)" 00000000a80425fb "Docker's default capabilities"
assert_eq "$(status CapEff --cap-add NET_ADMIN)" 00000000a80435fb "--cap-add NET_ADMIN"
assert_eq "$(status CapEff --cap-add cap_net_admin)" 00000000a80435fb "--cap-add cap_net_admin"
assert_eq "$(status CapBnd --cap-drop NET_RAW)" 00000000a80405fb "--cap-drop NET_RAW (bounding set)"
assert_eq "$(status CapEff --cap-drop ALL --cap-add CHOWN)" 0000000000000001 "--cap-drop ALL --cap-add CHOWN"
assert_eq "$(status CapEff --cap-drop ALL)" 0000000000000000 "--cap-drop ALL"
assert_eq "$(status CapEff --cap-add ALL --cap-drop MKNOD)" "$(mask $(( (1 << 41) - 1 - (1 << 27) )))" "--cap-add ALL --cap-drop MKNOD"
assert_eq "$(status CapEff --privileged)" "$(mask $(( (1 << 41) - 1 )))" "--privileged: every capability netd holds"
# NET_ADMIN really works: the container may change its own links
dk run --rm --cap-add NET_ADMIN bb ip link set lo mtu 1400 || fail "--cap-add NET_ADMIN: ip link set failed"
if dk run --rm bb ip link set lo mtu 1400 2>/dev/null; then fail "without NET_ADMIN ip link set worked"; fi
refused 'unknown capability' --cap-add NOPE
if ! (( (0x$bnd >> 24) & 1 )); then refused "netd itself does not hold" --cap-add SYS_RESOURCE; fi

# ---- seccomp and no_new_privs ---------------------------------------------------------------
assert_eq "$(status Seccomp)" 2 "default seccomp filter"
assert_eq "$(status Seccomp --security-opt seccomp=unconfined)" 0 "seccomp=unconfined"
assert_eq "$(status Seccomp --privileged)" 0 "--privileged: no seccomp filter"
assert_eq "$(status NoNewPrivs)" 1 "netd's default no_new_privs"
assert_eq "$(status NoNewPrivs --security-opt no-new-privileges)" 1 "no-new-privileges"
assert_eq "$(status NoNewPrivs --security-opt no-new-privileges:true)" 1 "no-new-privileges:true"
assert_eq "$(status NoNewPrivs --security-opt no-new-privileges=false)" 0 "no-new-privileges=false"
cat >"$T/nomkdir.json" <<'J'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "archMap": [ { "architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"] },
               { "architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"] } ],
  "syscalls": [
    { "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1 },
    { "names": ["rmdir", "unlinkat"], "action": "SCMP_ACT_ERRNO", "excludes": { "caps": ["CAP_SYS_ADMIN"] } },
    { "names": ["symlink", "symlinkat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [ { "index": 5, "value": 0, "op": "SCMP_CMP_EQ" } ],
      "includes": { "arches": ["s390x"] } }
  ]
}
J
out=$(dk run --rm --security-opt seccomp="$T/nomkdir.json" bb sh -c 'grep ^Seccomp: /proc/self/status; mkdir /x 2>&1; echo rc=$?; ln -s a /tmp/l && echo ln-ok')
[[ "$out" == *"Seccomp:"*2* ]] || fail "profile: no filter: $out"
[[ "$out" == *"Operation not permitted"* && "$out" == *rc=1* ]] || fail "profile: mkdir was not blocked with EPERM: $out"
[[ "$out" == *ln-ok* ]] || fail "profile: a rule for another arch blocked symlink: $out"
dk run --rm bb mkdir /x || fail "mkdir fails without the profile"
# the rule excluded by CAP_SYS_ADMIN: rmdir blocked without it, allowed with it
if dk run --rm --security-opt seccomp="$T/nomkdir.json" bb rmdir /home 2>/dev/null; then
  fail "profile: rmdir not blocked without CAP_SYS_ADMIN"
fi
dk run --rm --security-opt seccomp="$T/nomkdir.json" --cap-add SYS_ADMIN bb rmdir /home || fail "profile: rmdir blocked despite CAP_SYS_ADMIN (excludes.caps)"
# a real, long profile (containers/common's default: archMap, args, includes and
# excludes by caps, errno names) replaces netd's default filter: the container
# works, and unshare, which netd's default filter denies, is allowed by it
if [ -r /usr/share/containers/seccomp.json ]; then
  out=$(dk run --rm --cap-add SYS_ADMIN --security-opt seccomp=/usr/share/containers/seccomp.json bb \
    sh -c 'grep ^Seccomp: /proc/self/status; ls / | wc -l; unshare -m true && echo unshare-ok' 2>&1)
  [[ "$out" == *"Seccomp:"*2* && "$out" == *unshare-ok* ]] || fail "containers' seccomp.json: $(echo "$out" | paste -sd'|')"
  if dk run --rm --cap-add SYS_ADMIN bb unshare -m true 2>/dev/null; then fail "netd's default filter let unshare through"; fi
fi
echo '{"defaultAction": "SCMP_ACT_NOPE"}' >"$T/bad.json"
refused 'unknown action "SCMP_ACT_NOPE"' --security-opt seccomp="$T/bad.json"
refused "not support AppArmor" --security-opt apparmor=docker-default
refused "not support SELinux" --security-opt label=type:svirt_t
dk run --rm --security-opt apparmor=unconfined --security-opt label=disable bb true || fail "apparmor=unconfined / label=disable refused"

# ---- devices ----------------------------------------------------------------------------
[ -c /dev/fuse ] || skip "no /dev/fuse for the --device checks"
# without --device a node made with mknod cannot be opened: the device cgroup says no
if dk run --rm bb sh -c 'mknod /dev/k c 10 229 && dd if=/dev/k of=/dev/null count=0' 2>/dev/null; then
  fail "a container opened /dev/fuse (10:229) that it was not given"
fi
# docker's CLI checks --device against the server's OSType (the _ping header);
# until netd sends it, the same checks go through netctl run
devrun() { dk run --rm "$@"; }
set +e; out=$(dk run --rm --device /dev/null:/dev/n2 bb true 2>&1); set -e
if [[ "$out" == *"unknown server OS"* ]]; then
  log "docker --device needs OSType in /_ping: --device checked through netctl run"
  devrun() { netctl run --rm "$@"; }; DEVDK=
else DEVDK="--device /dev/fuse:/dev/myfuse:r"; fi
devrun --device /dev/fuse:/dev/myfuse:r bb sh -c 'test -c /dev/myfuse && dd if=/dev/myfuse of=/dev/null count=0 2>/dev/null' ||
  fail "--device /dev/fuse:/dev/myfuse:r: the node is not usable"
if devrun --device /dev/fuse:/dev/myfuse:r bb sh -c 'echo x > /dev/myfuse' 2>/dev/null; then
  fail "--device ...:r: the node was writable"
fi
set +e; out=$(devrun --device "$T" bb true 2>&1); set -e
[[ "$out" == *"not a device node"* ]] || fail "--device DIR: $out"
dk run --rm --privileged bb sh -c 'test -c /dev/fuse && dd if=/dev/fuse of=/dev/null count=0 2>/dev/null' ||
  fail "--privileged: the host's devices are not there"
# --privileged: /sys and /proc/sys writable, as Docker
dk run --rm --privileged bb sh -c 'grep -q "^sysfs /sys sysfs rw" /proc/mounts && echo 1 > /proc/sys/net/ipv4/ip_forward' ||
  fail "--privileged: /sys or /proc/sys is read-only"
if dk run --rm bb sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward' 2>/dev/null; then fail "/proc/sys writable without --privileged"; fi

# ---- groups, ulimits, sysctls -----------------------------------------------------------------
assert_eq "$(dk run --rm --group-add 1234 --group-add nogroup bb id -G)" "0 1234 65534" "--group-add"
refused "unable to find group nope" --group-add nope
assert_eq "$(dk run --rm --ulimit nofile=512:1024 bb sh -c 'ulimit -n; ulimit -Hn' | paste -sd' ')" "512 1024" "--ulimit nofile=512:1024"
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && ! (( (0x$bnd >> 24) & 1 )); then
  refused "CAP_SYS_RESOURCE" --ulimit nofile=1024:$((hard * 2))
fi
refused "invalid ulimit type: nope" --ulimit nope=1
shm=$(cat /proc/sys/kernel/shmmni)
assert_eq "$(dk run --rm --sysctl net.ipv4.ip_forward=1 --sysctl kernel.shmmni=1024 bb sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni' | paste -sd' ')" \
  "1 1024" "--sysctl net.ipv4.ip_forward=1 kernel.shmmni=1024"
assert_eq "$(cat /proc/sys/kernel/shmmni)" "$shm" "the host's kernel.shmmni changed"
# docker's CLI refuses kernel.panic itself: netd's own refusal, through the API
set +e; out=$(api POST /containers/create '{"Image":"bb","Cmd":["true"],"HostConfig":{"Sysctls":{"kernel.panic":"1"}}}' 2>&1); set -e
[[ "$out" == *"not a namespaced sysctl"* ]] || fail "Sysctls kernel.panic: not refused clearly: $out"
assert_eq "$(api_status POST /containers/create '{"Image":"bb","Cmd":["true"],"HostConfig":{"Sysctls":{"kernel.panic":"1"}}}')" 400 "Sysctls kernel.panic"
refused "net.* sysctl would change it" --network host --sysctl net.ipv4.ip_forward=1

# ---- the same through docker exec ----------------------------------------------------------------
dk run -d --name s1 --cap-drop ALL --cap-add CHOWN --cap-add NET_ADMIN --security-opt seccomp="$T/nomkdir.json" \
  --security-opt no-new-privileges=false --group-add 1234 --ulimit nofile=256:512 --sysctl net.ipv4.ip_forward=1 \
  $DEVDK --init bb sleep 300 >/dev/null
out=$(dk exec s1 sh -c 'grep -E "^(CapEff|Seccomp|NoNewPrivs):" /proc/self/status | tr -s "\t " " "; id -G; ulimit -n; cat /proc/sys/net/ipv4/ip_forward; mkdir /y 2>&1; test -z "$1" || dd if=/dev/myfuse of=/dev/null count=0 2>/dev/null && echo dev-ok' sh "$DEVDK")
log "exec: $(echo "$out" | paste -sd'|')"
[[ "$out" == *"CapEff: 0000000000001001"* ]] || fail "exec: capabilities differ from the container's: $out"
[[ "$out" == *"Seccomp: 2"* && "$out" == *"Operation not permitted"* ]] || fail "exec: the profile is not applied: $out"
[[ "$out" == *"NoNewPrivs: 0"* ]] || fail "exec: no_new_privs differs: $out"
[[ "$out" == *"0 1234"* ]] || fail "exec: --group-add missing: $out"
[[ "$(echo "$out" | sed -n 5p)" == 256 ]] || fail "exec: --ulimit missing: $out"
[[ "$out" == *dev-ok* ]] || fail "exec: the device is not usable: $out"
assert_eq "$(dk exec s1 cat /proc/1/status | st CapBnd)" 0000000000001001 "the --init PID 1 keeps the container's bounding set"
assert_eq "$(dk inspect -f '{{json .HostConfig.CapAdd}} {{json .HostConfig.GroupAdd}} {{json .HostConfig.Sysctls}}' s1 | sed 's/"CAP_/"/g')" \
  '["CHOWN","NET_ADMIN"] ["1234"] {"net.ipv4.ip_forward":"1"}' "inspect shows the options"
dk rm -f s1 >/dev/null

}

for D in $CLIS; do
  log "docker $(dk version --format '{{.Client.Version}}') ($D)"
  suite
done

# ---- netctl run ------------------------------------------------------------------------------------
out=$(netctl run --rm --cap-drop ALL --cap-add NET_ADMIN --security-opt seccomp="$T/nomkdir.json" --group-add 1234 \
  --ulimit nofile=300:600 --sysctl net.ipv4.ip_forward=1 --device /dev/fuse:/dev/myfuse:r bb \
  sh -c 'grep -E "^(CapEff|Seccomp|NoNewPrivs):" /proc/self/status | tr -s "\t " " "; id -G; ulimit -n; cat /proc/sys/net/ipv4/ip_forward; mkdir /y 2>&1; test -c /dev/myfuse && echo dev-ok')
log "netctl: $(echo "$out" | paste -sd'|')"
[[ "$out" == *"CapEff: 0000000000001000"* && "$out" == *"Seccomp: 2"* && "$out" == *"NoNewPrivs: 1"* ]] || fail "netctl run: $out"
[[ "$out" == *"0 1234"* && "$out" == *"Operation not permitted"* && "$out" == *dev-ok* ]] || fail "netctl run: $out"
[[ "$(echo "$out" | sed -n 5p)" == 300 && "$(echo "$out" | sed -n 6p)" == 1 ]] || fail "netctl run: ulimit/sysctl: $out"
assert_eq "$(netctl run --rm --privileged bb cat /proc/self/status | st Seccomp)" 0 "netctl run --privileged"
assert_eq "$(netctl run --rm --security-opt no-new-privileges=false bb cat /proc/self/status | st NoNewPrivs)" 0 "netctl --security-opt"
set +e; out=$(netctl run --rm --sysctl kernel.panic=1 bb true 2>&1); rc=$?; set -e
[ $rc -ne 0 ] && [[ "$out" == *"not a namespaced sysctl"* ]] || fail "netctl run --sysctl kernel.panic: $out"
assert_eq "$(dk ps -aq | wc -l)" 0 "a container was left behind"
log "ok"
