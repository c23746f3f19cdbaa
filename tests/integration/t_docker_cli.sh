#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The real docker CLI against netd (DOCKER_HOST=unix://$ND_SOCK; dockerd is
# never started): attached run (--rm, exit codes, stdout/stderr, piped stdin),
# run -it through a pty, exec (-i, -it, exit codes, the container's seccomp
# and capabilities), attach, start -a, NetworkMode "default". With Debian's
# docker.io client (fetched into a cache, never installed:
# scripts/fetch-docker-cli.sh) and with any other docker on PATH of another
# version. Skipped only when no docker CLI can be had.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
command -v python3 >/dev/null || skip "python3 missing (the pty driver)"
PTY="python3 $NETD_SRC/tests/integration/pty_run.py --timeout 30"

clis=() notes=()
if deb=$("$NETD_SRC/scripts/fetch-docker-cli.sh" 2>"$T/fetch.err"); then
  clis+=("$deb")
else
  notes+=("Debian's docker.io client: $(cat "$T/fetch.err")")
fi
cli_version() { DOCKER_CONFIG=$T/docker-config "$1" version --format '{{.Client.Version}}' 2>/dev/null || true; }
mkdir -p "$T/docker-config"
if other=$(command -v docker); then
  if [ ${#clis[@]} -eq 0 ] || [ "$(cli_version "$other")" != "$(cli_version "${clis[0]}")" ]; then
    clis+=("$other")
  fi
fi
[ ${#clis[@]} -gt 0 ] || skip "no docker CLI: ${notes[*]:-none on PATH}"
for n in "${notes[@]}"; do log "note: $n"; done

ctr_setup
nd_start
export DOCKER_HOST=unix://$ND_SOCK DOCKER_CONFIG=$T/docker-config
# a hang is a failure, never a blocked suite; KILL: docker run forwards TERM
# to the container and keeps waiting
dk() { timeout -s KILL 60 "$D" "$@"; }

for D in "${clis[@]}"; do
  ver=$(cli_version "$D")
  log "docker $ver ($D)"
  dk version --format '{{.Server.APIVersion}}' >/dev/null || fail "docker $ver: version"

  # attached run: output, exit code, --rm waits for the removal
  assert_eq "$(dk run --rm bb echo hi)" hi "docker $ver: run --rm echo"
  assert_eq "$(dk ps -aq | wc -l)" 0 "docker $ver: run --rm left a container"
  set +e; dk run --rm bb sh -c 'exit 3'; rc=$?; set -e
  assert_eq "$rc" 3 "docker $ver: run --rm exit code"
  set +e; dk run --name r1 bb sh -c 'echo o; echo e >&2; exit 2' >"$T/o" 2>"$T/e"; rc=$?; set -e
  assert_eq "$rc:$(cat "$T/o"):$(cat "$T/e")" "2:o:e" "docker $ver: run stdout/stderr/exit"
  dk rm r1 >/dev/null
  # NetworkMode "default" (no --network) is netd's bridge
  addr=$(dk run --rm bb ip -o -4 addr show eth0)
  gw=$(netctl network inspect bridge | jq -r '.[0].IPAM.Config[0].Subnet' | cut -d. -f1-2)
  [[ "$addr" == *"inet $gw."* ]] || fail "docker $ver: default network: $addr (bridge $gw.x)"
  assert_eq "$(printf 'b\na\n' | dk run -i --rm bb sort)" $'a\nb' "docker $ver: run -i with piped stdin"

  # run -it, driven as a user at a terminal
  set +e
  out=$($PTY --expect '# ' --send 'echo in-$((6*7)); stty size\n' --expect 'in-42' --send 'exit 7\n' -- "$D" run -it --rm bb sh); rc=$?
  set -e
  assert_eq "$rc" 7 "docker $ver: run -it exit code ($out)"
  [[ "$out" == *"24 80"* ]] || fail "docker $ver: run -it terminal size: $out"

  # exec
  dk run -d --name d1 bb sleep 300 >/dev/null
  st=$(dk exec d1 cat /proc/self/status)
  init=$(dk exec d1 cat /proc/1/status)
  assert_eq "$(awk '$1=="Seccomp:"{print $2}' <<<"$st")" 2 "docker $ver: exec Seccomp"
  assert_eq "$(awk '$1=="CapEff:"{print $2}' <<<"$st")" "$(awk '$1=="CapEff:"{print $2}' <<<"$init")" "docker $ver: exec CapEff"
  set +e
  dk exec d1 sh -c 'exit 4'; rc=$?
  dk exec d1 nope 2>"$T/e"; rc2=$?
  set -e
  assert_eq "$rc:$rc2" "4:127" "docker $ver: exec exit codes"
  grep -q 'executable file not found' "$T/e" || fail "docker $ver: exec 127 message: $(cat "$T/e")"
  assert_eq "$(echo data | dk exec -i d1 cat)" data "docker $ver: exec -i half-close"
  set +e
  out=$($PTY --rows 30 --cols 100 --expect '# ' --send 'tty; stty size\n' --expect '30 100' --send 'exit 9\n' -- "$D" exec -it d1 sh); rc=$?
  set -e
  assert_eq "$rc" 9 "docker $ver: exec -it exit code ($out)"
  [[ "$out" == *"/dev/pts/"* ]] || fail "docker $ver: exec -it terminal: $out"
  dk rm -f d1 >/dev/null

  # attach to a running tty container; start -a
  dk run -d -it --name a1 bb sh >/dev/null
  set +e
  out=$($PTY --send '\n' --expect '# ' --send 'echo att-$((2+3))\n' --expect 'att-5' --send 'exit 4\n' -- "$D" attach a1); rc=$?
  set -e
  assert_eq "$rc" 4 "docker $ver: attach exit code ($out)"
  dk rm -f a1 >/dev/null
  dk create --name s1 bb sh -c 'echo started-a; exit 6' >/dev/null
  set +e; out=$(dk start -a s1); rc=$?; set -e
  assert_eq "$rc:$out" "6:started-a" "docker $ver: start -a"
  dk rm s1 >/dev/null
  assert_eq "$(dk ps -aq | wc -l)" 0 "docker $ver: containers left"
done
log "ok: ${#clis[@]} docker CLI(s)"
