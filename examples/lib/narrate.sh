# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# Shared by the examples/*.sh demos. A demo starts with
#
#   set -euo pipefail
#   . "$(dirname "$0")/lib/narrate.sh"
#   demo_init NAME "$@"          # root check, build check, own namespaces, trap
#   demo_netd                    # its own netd (eBPF on a cgroup of its own)
#
# and narrates with
#
#   section TITLE                 a heading (the demo pauses before it when run
#                                 on a terminal; NETD_DEMO_NONINTERACTIVE=1 never pauses)
#   say TEXT                      an explanation            (# TEXT)
#   step CMD...                   a command a student can retype, then its output;
#                                 the demo stops if it fails
#   step_fails WHY CMD...         a command that must fail; says WHY it does
#   fails WHY CMD...              the same, for a helper that prints its own command
#   show SHOWN -- CMD...          prints SHOWN as the command but runs CMD (for
#                                 helpers a student would not type)
#   result TEXT                   an outcome, checked (=> TEXT); tests grep these
#   demo_topology                 the closing picture: `netctl topology`, and its
#                                 SVG written to $NETD_DEMO_OUT/netd-demo-NAME-topology.svg
#                                 (default /tmp)
#
# Everything a demo makes lives in a network, mount and pid namespace of its
# own (the host's network is never touched) and in a scratch dir $T; the exit
# trap removes containers, sandboxes, namespaces, mounts, cgroups and $T, on
# success and on failure alike. Demo-specific cleanups: demo_on_exit CMD.

_demo_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$_demo_lib/../.." && pwd)

# ---- narration ------------------------------------------------------------------------
if [ -t 1 ]; then
  _b=$'\033[1m' _c=$'\033[36m' _g=$'\033[32m' _r=$'\033[31m' _y=$'\033[33m' _n=$'\033[0m'
else
  _b='' _c='' _g='' _r='' _y='' _n=''
fi
# a command line as a student would type it: words quoted only where needed
_demo_cmdline() {
  local a out=
  for a in "$@"; do
    if [[ $a =~ ^[][A-Za-z0-9_./:=@%+,^-]+$ ]]; then out+="$a "
    else out+="'${a//\'/\'\\\'\'}' "; fi
  done
  printf '%s' "${out% }"
}
say() { printf '\n%s# %s%s\n' "$_c" "$*" "$_n"; }
result() { printf '%s=> %s%s\n' "$_g" "$*" "$_n"; }
note() { printf '%s(%s)%s\n' "$_y" "$*" "$_n"; }
_demo_show() { printf '\n%s$ %s%s\n' "$_b" "$1" "$_n"; }
step() { _demo_show "$(_demo_cmdline "$@")"; "$@"; }
show() { # show SHOWN -- CMD...
  local shown=$1; shift; [ "$1" = -- ] && shift
  _demo_show "$shown"; "$@"
}
step_fails() { # step_fails WHY CMD...: CMD must fail
  _demo_show "$(_demo_cmdline "${@:2}")"
  fails "$@"
}
fails() { # fails WHY CMD...: as step_fails, for a CMD that shows itself
  local why=$1 rc=0; shift
  "$@" || rc=$?
  if [ $rc -eq 0 ]; then
    printf '%sunexpected: that worked, but it should not have (%s)%s\n' "$_r" "$why" "$_n" >&2
    exit 1
  fi
  result "fails (exit $rc), as it should: $why"
}
# pause between sections on a terminal, so a class can follow
pause() {
  [ "${NETD_DEMO_NONINTERACTIVE:-0}" = 1 ] && return 0
  [ -t 0 ] && [ -t 1 ] || return 0
  printf '%s-- Enter to go on --%s' "$_y" "$_n"
  # short reads in a loop: a Ctrl-C that lands just before read() blocks is only
  # acted on when read returns (bash runs traps between commands)
  local rc
  while :; do
    rc=0; read -r -t 1 _ || rc=$?
    [ $rc -gt 128 ] || break    # 0: Enter; 1: end of input; >128: timeout, read again
  done
}
_demo_sections=0
section() {
  [ $_demo_sections -gt 0 ] && pause
  _demo_sections=$((_demo_sections + 1))
  printf '\n%s== %s ==%s\n' "$_b$_c" "$*" "$_n"
}

# ---- set-up ---------------------------------------------------------------------------
_demo_cleanups=()
demo_on_exit() { _demo_cleanups+=("$*"); }

# demo_init NAME [BUILD_DIR]: run as root, from a build, inside namespaces of our own
demo_init() {
  DEMO_NAME=$1; shift
  local arg=${1:-$src/build}
  if [ "$arg" = -h ] || [ "$arg" = --help ]; then
    sed -n '3,/^set -/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0
  fi
  if [ ! -x "$arg/netd/netd" ] || [ ! -x "$arg/cli/netctl" ]; then
    echo "examples/$DEMO_NAME.sh: netd is not built in $arg." >&2
    echo "  Build it first (scripts/build.sh, or: cmake -S . -B build && cmake --build build)," >&2
    echo "  or name the build dir: examples/$DEMO_NAME.sh BUILD_DIR" >&2
    exit 1
  fi
  build=$(cd "$arg" && pwd)
  if [ "$(id -u)" != 0 ]; then
    echo "examples/$DEMO_NAME.sh: run as root (it makes network namespaces, bridges, firewall rules;" >&2
    echo "  all inside namespaces of its own: your host's network is never touched)" >&2
    exit 1
  fi
  local t
  for t in unshare nsenter ip nft jq curl; do
    command -v $t >/dev/null || { echo "examples/$DEMO_NAME.sh: $t is missing (see scripts/deps/)" >&2; exit 1; }
  done
  if [ -z "${ND_DEMO_INNER:-}" ]; then
    mkdir -p /run/netns
    # own network, mount and pid namespaces: nothing the demo starts can outlive it,
    # nothing it makes is visible to the host
    # (--kill-child: if unshare itself is killed, the demo gets SIGTERM and still cleans up;
    # unshare ignores SIGINT, and bash cannot trap what it inherits ignored: env gives the
    # demo Ctrl-C back)
    exec env ND_DEMO_INNER=1 unshare --net --mount --pid --fork --kill-child=SIGTERM --mount-proc \
      --propagation private -- env --default-signal=INT,QUIT bash "$0" "$build"
  fi
  unset ND_DEMO_INNER
  T=$(mktemp -d "/tmp/netd-demo-$DEMO_NAME.XXXXXX")
  DEMO_CGP=netd-demo-$DEMO_NAME-${T##*.}   # the containers' cgroup parent: ours alone
  export NETD_HOST=unix://$T/netd.sock
  export PATH=$build/cli:$PATH            # netctl and netd-cni, as a student has them
  trap _demo_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
  mount -t tmpfs -o mode=0755 netd-demo /run/netns
  ip link set lo up
  printf '%s%s%s\n' "$_b" "examples/$DEMO_NAME.sh: $(sed -n '3s/^# *//p' "$0")" "$_n"
  say "all of it happens in network, mount and pid namespaces of this demo's own: your host's network is not touched"
}

# demo_need TOOL...: stop with a clear message when a tool the demo uses is missing
demo_need() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || { echo "examples/$DEMO_NAME.sh: $t is missing (scripts/install-deps.sh installs it; see scripts/deps/examples.txt)" >&2; exit 1; }
  done
}

CG=
ND_PID=
# demo_netd [JSON-KEYS]: our own netd on $T; eBPF programs on a cgroup of ours
# (never the host's root cgroup) pinned on a bpffs of ours, else the userland proxy
demo_netd() {
  local extra=${1-} root=/sys/fs/cgroup/unified keys
  [ "$(stat -fc %T $root 2>/dev/null)" = cgroup2fs ] || root=/sys/fs/cgroup
  # NETD_DEMO_USERLAND=1: the userland proxy even where eBPF would work (to see the fallback)
  if [ -z "$CG" ] && [ "${NETD_DEMO_USERLAND:-0}" != 1 ] && [ "$(stat -fc %T $root 2>/dev/null)" = cgroup2fs ] && mkdir "$root/$DEMO_CGP-bpf" 2>/dev/null; then
    CG=$root/$DEMO_CGP-bpf
    mkdir -p "$T/bpf" && mount -t bpf bpf "$T/bpf"
  fi
  if [ -n "$CG" ]; then keys=$(printf '"bpf-cgroup": "%s", "bpf-pin-path": "%s"' "$CG" "$T/bpf/netd")
  else keys='"userland-proxy": true'; fi
  printf '{ %s, "cgroup-parent": "%s"%s }\n' "$keys" "$DEMO_CGP" "${extra:+, $extra}" > "$T/netd.json"
  # its own session: a Ctrl-C at the terminal stops the demo, whose cleanup then
  # asks this netd to remove the containers
  setsid "$build/netd/netd" --root "$T/root" --exec-root "$T/run" --socket "$T/netd.sock" \
    --config "$T/netd.json" --log-level info >>"$T/netd.log" 2>&1 &
  ND_PID=$!
  local i
  for i in $(seq 500); do
    curl -sf --unix-socket "$T/netd.sock" http://netd/_ping >/dev/null 2>&1 && return 0
    kill -0 "$ND_PID" 2>/dev/null || break
    sleep 0.02
  done
  echo "examples/$DEMO_NAME.sh: netd did not start:" >&2; tail -20 "$T/netd.log" >&2
  exit 1
}
# demo_incg CMD...: run CMD in netd's eBPF cgroup (a process of "the host" whose
# connect() the port programs see)
demo_incg() {
  if [ -n "$CG" ]; then bash -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG" "$@"; else "$@"; fi
}

# demo_image: a busybox image, made here from Debian's busybox-static (no registry)
demo_image() {
  [ -x /bin/busybox ] || { echo "examples/$DEMO_NAME.sh: /bin/busybox missing (apt-get install busybox-static)" >&2; exit 1; }
  "$src/scripts/mk-busybox-image.sh" "$T/busybox.tar" >/dev/null 2>&1
  netctl image import "$T/busybox.tar" busybox:latest >/dev/null
}

# demo_outside: "another host" — a namespace over a veth, 192.0.2.2 (outside)
# to our 192.0.2.1 (vout), forwarding on in our namespace
demo_outside() {
  sysctl -qw net.ipv4.ip_forward=1
  ip netns add outside
  ip -n outside link set lo up
  ip link add vout type veth peer name eth0 netns outside
  ip addr add 192.0.2.1/24 dev vout; ip link set vout up
  ip -n outside addr add 192.0.2.2/24 dev eth0; ip -n outside link set eth0 up
}

# ---- helpers a demo uses to look things up --------------------------------------------
ip_of() { # ip_of CONTAINER NETWORK
  netctl inspect "$1" | jq -r --arg n "$2" '.[0].NetworkSettings.Networks[$n].IPAddress'
}
bridge_of() { # bridge_of NETWORK: its Linux bridge
  local id; id=$(netctl network inspect "$1" | jq -r '.[0].Options["com.docker.network.bridge.name"] // empty')
  [ -n "$id" ] && { echo "$id"; return; }
  id=$(netctl network inspect "$1" | jq -r '.[0].Id[:12]')
  echo "br-$id"
}
# poll SECONDS CMD...: until CMD succeeds (bounded)
poll() {
  local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s%N)" -lt $deadline ] || return 1
    sleep 0.05
  done
}
# settle CMD...: poll CMD (up to 10 s) without showing it, before the step that
# shows it once: the first packets to a fresh container may wait on ARP on a
# loaded machine (a must-fail step is never settled)
settle() { poll 10 "$@" || true; }
# has_cmd WORDS...: this netctl knows the command (e.g. has_cmd explain)
has_cmd() { netctl "$@" --help >/dev/null 2>&1; }

# ---- explain and the picture (netctl explain / topology) ----------------------------------
# demo_explain ARGS...: `netctl explain ARGS` where this build has it, else a clear note
demo_explain() {
  if has_cmd explain; then
    local rc=0
    step netctl explain "$@" || rc=$?
    [ $rc -eq 0 ] || note "netctl explain exited $rc"
  else
    _demo_show "$(_demo_cmdline netctl explain "$@")"
    note "netctl explain is not in this build yet (issue #18); it would walk the path hop by hop from the live kernel state and name where the packet stops"
  fi
}

demo_topology() {
  section "the picture: what netd built"
  if has_cmd topology; then
    if netctl topology --help 2>&1 | grep -Eq -- '--format [a-z|]*text'; then
      step netctl topology --format text
    else
      say "netctl topology reads it all live (networks, their kernel devices, both ends of every interface); drawn as text:"
      show "netctl topology | jq -r -f examples/lib/topology.jq" -- \
        bash -c 'netctl topology | jq -r -f "$0"' "$_demo_lib/topology.jq"
    fi
    local out=${NETD_DEMO_OUT:-/tmp}/netd-demo-$DEMO_NAME-topology.svg
    say "the same as a picture, laid out by Graphviz (netctl topology --format dot gives the DOT text):"
    if step netctl topology --format svg -o "$out" && [ -s "$out" ]; then
      result "topology picture written to $out (open it in a browser)"
    else
      note "netctl topology --format svg did not write $out"
    fi
  else
    say "netctl topology is not in this build yet (issue #18): the same facts, from netctl network inspect"
    _demo_show "netctl network inspect \$(netctl network ls -q)"
    _demo_topology_text
  fi
}
# a text picture from `netctl network inspect`: network, its kernel device, its members
_demo_topology_text() {
  local ids; ids=$(netctl network ls -q)
  # shellcheck disable=SC2086
  netctl network inspect $ids | jq -r '
    .[] | select(.Driver != "host" and .Driver != "null" and .Driver != "none") |
    select(((.Containers // {}) | length) > 0 or .Name != "bridge") |
    "\(.Name)  [\(.Driver)\(if .Internal then ", internal" else "" end)] \(
      [.IPAM.Config[]? | .Subnet] | join(" "))  gw \([.IPAM.Config[]? | .Gateway // empty] | join(" "))" ,
    ((.Containers // {}) | to_entries[] | "   `-- \(.value.Name // .key[:12])  \(.value.IPv4Address // "")  \(.value.MacAddress // "")"),
    ""'
}

# ---- cleanup --------------------------------------------------------------------------
_demo_cleanup() {
  local rc=$? i
  set +e
  trap '' INT TERM HUP   # a second Ctrl-C must not cut the cleanup short
  for ((i=${#_demo_cleanups[@]}-1; i>=0; i--)); do timeout 120 bash -c "${_demo_cleanups[$i]}" >/dev/null 2>&1; done
  if [ -n "$ND_PID" ]; then
    # containers outlive netd by design: remove them through netd, so that their
    # monitors take their cgroups down; then sandboxes and networks
    local ids
    # (bounded: whatever is still running when these give up dies with the cgroups below)
    ids=$(timeout 10 netctl ps -aq 2>/dev/null); [ -n "$ids" ] && timeout 30 netctl rm -f $ids >/dev/null 2>&1
    ids=$(timeout 10 netctl sandbox ls -q 2>/dev/null); [ -n "$ids" ] && timeout 20 netctl sandbox rm $ids >/dev/null 2>&1
    if [ $rc -ne 0 ] && [ $rc -ne 130 ] && [ $rc -ne 143 ] && [ $rc -ne 129 ] && [ -f "$T/netd.log" ]; then
      echo "---- netd's log (last 30 lines) ----" >&2; tail -n 30 "$T/netd.log" >&2
    fi
    kill "$ND_PID" 2>/dev/null
    for i in $(seq 200); do kill -0 "$ND_PID" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$ND_PID" 2>/dev/null; wait "$ND_PID" 2>/dev/null
  fi
  for i in $(ip netns list 2>/dev/null | awk '{print $1}'); do ip netns del "$i"; done
  grep -F " $T" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
  # the cgroups: the containers' parent (in every hierarchy) and the eBPF one, emptied first
  local d pids
  while read -r d; do
    [ -n "$d" ] || continue
    for i in $(seq 100); do
      pids=$(cat "$d/cgroup.procs" 2>/dev/null); [ -z "$pids" ] && break
      kill -KILL $pids 2>/dev/null; sleep 0.05
    done
    rmdir "$d"
  done < <(find /sys/fs/cgroup -maxdepth 9 -depth -type d -path "*/$DEMO_CGP*" 2>/dev/null)
  rm -rf "$T"
  if [ $rc -eq 0 ]; then
    say "done: everything this demo made is gone (it all lived in namespaces of its own)"
  elif [ $rc -eq 130 ] || [ $rc -eq 143 ] || [ $rc -eq 129 ]; then
    printf '\n%sexamples/%s.sh interrupted; everything it made is removed%s\n' "$_r" "$DEMO_NAME" "$_n" >&2
  else
    printf '\n%sexamples/%s.sh stopped: the last command shown failed (exit %s); everything it made is removed%s\n' \
      "$_r" "$DEMO_NAME" "$rc" "$_n" >&2
  fi
  exit $rc
}
