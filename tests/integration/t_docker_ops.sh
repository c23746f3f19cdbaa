#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Container operations with the real docker CLI, each checked by its real
# effect: cp both ways (byte-identical, symlink escapes refused), stats that
# move, top, diff, rename, pause/unpause (a counter stops and resumes),
# update (cgroup values), logs --tail/--since/--until, ps filters and
# -n/-l/-s, container prune, --stop-signal/--stop-timeout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
# OPS_DOCKER picks the client (the suite runs Debian's; a newer one on PATH is run as well below)
D=${OPS_DOCKER:-$("$NETD_SRC/scripts/fetch-docker-cli.sh" 2>/dev/null || command -v docker || true)}
[ -n "$D" ] || skip "no docker CLI"
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
dk cp w:/etc/hostname "$T/hn"   # a bind mount of the container's: its view, not the image's file
assert_eq "$(cat "$T/hn")" "$(dk exec w cat /etc/hostname)" "cp of /etc/hostname (a mount in the container)"
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
out=$(dk top w); grep -q 'while' <<<"$out" || fail "top does not list the shell: $out"
out=$(dk top w aux); [[ "${out%%$'\n'*}" == *%CPU* ]] || fail "top aux: no %CPU column: $out"
set +e; dk top w -o pid >/dev/null 2>&1; rc=$?; set -e
[ $rc -ne 0 ] || fail "top with unsupported ps_args succeeded"
dk exec w sh -c 'rm /etc/motd 2>/dev/null || rm /bin/true; echo x >> /etc/passwd; touch /newfile'
out=$(dk diff w)
grep -qx 'A /newfile' <<<"$out" || fail "diff: no A /newfile: $out"
grep -qx 'C /etc/passwd' <<<"$out" || fail "diff: no C /etc/passwd: $out"
grep -qE '^D /(etc/motd|bin/true)$' <<<"$out" || fail "diff: no D: $out"

# ---- rename --------------------------------------------------------------------------------
dk rename w w2
assert_eq "$(dk inspect -f '{{.Name}}' w2)" /w2 "rename"
assert_eq "$(dk inspect -f '{{json .NetworkSettings.Networks.bridge.Aliases}}' w2)" '["w2"]' "rename: the endpoint's alias"
grep -qw w2 <<<"$(dk run --rm bb cat /etc/hosts)" || fail "a peer started after the rename does not know w2"
set +e; dk rename w2 stopped 2>"$T/err"; rc=$?; set -e
[ $rc -ne 0 ] && grep -q 'already in use' "$T/err" || fail "rename onto a taken name: rc=$rc $(cat "$T/err")"
dk rename w2 w

# ---- pause / unpause ---------------------------------------------------------------------------
dk pause w >/dev/null
assert_eq "$(dk inspect -f '{{.State.Status}} {{.State.Paused}}' w)" "paused true" "inspect while paused"
grep -q '^w .*(Paused)' <<<"$(dk ps --format '{{.Names}} {{.Status}}')" || fail "ps does not say Paused: $(dk ps)"
# not a synchronisation: the witness needs time to pass, in which a live counter moves ~10 times
c1=$(dk cp w:/tmp/count - | tar -xO); sleep 0.5; c2=$(dk cp w:/tmp/count - | tar -xO)
assert_eq "$c2" "$c1" "the counter moved while paused"
set +e; dk exec w true 2>"$T/err"; rc=$?; set -e
[ $rc -ne 0 ] && grep -qi paused "$T/err" || fail "exec into a paused container: rc=$rc $(cat "$T/err")"
dk unpause w >/dev/null
poll 5 eval '[ "$(dk cp w:/tmp/count - | tar -xO)" != "$c2" ]' || fail "the counter did not resume after unpause"
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
poll 20 eval '[ "$(dk stats --no-stream --format "{{.CPUPerc}}" w | tr -d "%" | cut -d. -f1)" -ge 20 ]' || \
  fail "stats: CPU does not show the busy loop: $(dk stats --no-stream --format '{{.CPUPerc}}' w)"
# network bytes move with packets
dk network create opsnet >/dev/null
dk run -d --name peer --network opsnet bb sleep 300 >/dev/null
dk network connect opsnet w
rx0=$(curl -s --unix-socket "$ND_SOCK" "http://d/containers/w/stats?stream=false&one-shot=true" | jq '[.networks[].tx_bytes] | add')
pip=$(dk inspect -f '{{.NetworkSettings.Networks.opsnet.IPAddress}}' peer)
dk exec w ping -c 20 -i 0.05 -s 1000 "$pip" >/dev/null
rx1=$(curl -s --unix-socket "$ND_SOCK" "http://d/containers/w/stats?stream=false&one-shot=true" | jq '[.networks[].tx_bytes] | add')
[ "$rx1" -ge $((rx0 + 20000)) ] || fail "stats: tx_bytes did not move with 20 pings of 1000 bytes ($rx0 -> $rx1)"
# memory moves with an allocation (a tmpfs-free way: a shell variable of 20 MB)
m0=$(curl -s --unix-socket "$ND_SOCK" "http://d/containers/w/stats?stream=false&one-shot=true" | jq .memory_stats.usage)
dk exec -d w sh -c 'head -c 30000000 /dev/zero > /tmp/fill; sleep 300'
poll 10 eval '[ "$(curl -s --unix-socket "$ND_SOCK" "http://d/containers/w/stats?stream=false&one-shot=true" | jq .memory_stats.usage)" -ge $((m0 + 20000000)) ]' || \
  fail "stats: memory usage did not grow with 30 MB written to /tmp"
# the stream: two samples in a row
n=$( (timeout 4 curl -sN --unix-socket "$ND_SOCK" "http://d/containers/w/stats" || true) | head -2 | jq -s 'length')
assert_eq "$n" 2 "stats stream"

dk rm -f peer >/dev/null

# ---- logs --tail / --since / --until ----------------------------------------------------------
dk run -d --name lg bb sh -c 'for i in 1 2 3 4 5; do echo line$i; done; sleep 300' >/dev/null
poll 10 eval '[ "$(dk logs lg 2>&1 | wc -l)" -eq 5 ]' || fail "logs: 5 lines expected: $(dk logs lg 2>&1)"
assert_eq "$(dk logs --tail 2 lg | tr '\n' ' ')" "line4 line5 " "logs --tail 2"
assert_eq "$(dk logs --tail all lg | wc -l)" 5 "logs --tail all"
assert_eq "$(dk logs --tail 0 lg | wc -l)" 0 "logs --tail 0"
mark=$(date +%s.%N)
dk exec lg sh -c 'echo late > /proc/1/fd/1'
poll 10 eval '[ "$(dk logs lg | wc -l)" -eq 6 ]' || fail "logs: the late line"
assert_eq "$(dk logs --since "$mark" lg | tr '\n' ' ')" "late " "logs --since (unix time)"
assert_eq "$(dk logs --until "$mark" lg | wc -l)" 5 "logs --until (unix time)"
assert_eq "$(dk logs --since 10m lg | wc -l)" 6 "logs --since 10m (relative)"
since_rfc=$(date -u -d "@${mark%.*}" +%Y-%m-%dT%H:%M:%SZ)
[ "$(dk logs --since "$since_rfc" lg | grep -c late)" -eq 1 ] || fail "logs --since RFC 3339"

# ---- --stop-signal / --stop-timeout -------------------------------------------------------------
dk run -d --name sig --stop-signal USR1 --stop-timeout 30 bb sh -c 'trap "echo got-usr1; exit 7" USR1; while :; do sleep 0.1; done' >/dev/null
assert_eq "$(dk inspect -f '{{.Config.StopSignal}} {{.Config.StopTimeout}}' sig)" "USR1 30" "stop signal/timeout recorded"
t0=$(date +%s%N); dk stop sig >/dev/null; t1=$(date +%s%N)
assert_eq "$(dk inspect -f '{{.State.ExitCode}}' sig)" 7 "stop sent the stop signal (the trap's exit code)"
[ $(( (t1 - t0) / 1000000 )) -lt 10000 ] || fail "stop waited for the timeout although the signal stopped it"
grep -q got-usr1 <<<"$(dk logs sig)" || fail "the trap did not run"
dk run -d --name slow --stop-timeout 1 bb sh -c 'trap "" TERM; while :; do sleep 0.1; done' >/dev/null
t0=$(date +%s%N); dk stop slow >/dev/null; t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
[ $ms -ge 900 ] && [ $ms -lt 5000 ] || fail "stop with --stop-timeout 1 took $ms ms"
assert_eq "$(dk inspect -f '{{.State.ExitCode}}' slow)" 137 "killed after the stop timeout"

# ---- ps filters, -n / -l / -s ---------------------------------------------------------------------
dk run --name ex3 bb sh -c 'exit 3' || true
dk create --name cr -l team=blue bb true >/dev/null
names() { dk ps -a "$@" --format '{{.Names}}' | sort | tr '\n' ' '; }
assert_eq "$(names --filter exited=3)" "ex3 " "ps --filter exited=3"
assert_eq "$(names --filter exited=137)" "slow " "ps --filter exited=137"
assert_eq "$(names --filter status=created)" "cr stopped " "ps --filter status=created"
assert_eq "$(names --filter status=running)" "lg w " "ps --filter status=running"
assert_eq "$(names --filter name=ex)" "ex3 " "ps --filter name"
id=$(dk inspect -f '{{.Id}}' cr)
assert_eq "$(names --filter id=${id:0:12})" "cr " "ps --filter id"
assert_eq "$(names --filter label=team)" "cr " "ps --filter label (exists)"
assert_eq "$(names --filter label=team=blue)" "cr " "ps --filter label=k=v"
assert_eq "$(names --filter network=opsnet)" "w " "ps --filter network"
assert_eq "$(names --filter ancestor=bb | wc -w)" 7 "ps --filter ancestor=bb"
assert_eq "$(names --filter ancestor=nosuchimage)" "" "ps --filter ancestor=nosuchimage"
assert_eq "$(names --filter before=ex3 --filter since=sig)" "slow " "ps --filter before/since"
assert_eq "$(names --filter volume=/data)" "" "ps --filter volume (no volumes)"
assert_eq "$(dk ps -a -n 2 --format '{{.Names}}' | tr '\n' ' ')" "cr ex3 " "ps -n 2"
assert_eq "$(dk ps -l --format '{{.Names}}')" cr "ps -l"
dk exec w sh -c 'head -c 2000000 /dev/zero > /big'
sz=$(curl -s --unix-socket "$ND_SOCK" "http://d/containers/json?size=1&filters=%7B%22name%22%3A%5B%22w%22%5D%7D" | jq '.[0].SizeRw')
[ "$sz" -ge 2000000 ] || fail "ps -s: SizeRw $sz"
grep -q MB <<<"$(dk ps -s --format '{{.Size}}' --filter name=w)" || fail "ps -s shows no size"

# ---- prune ----------------------------------------------------------------------------------------
dk container prune -f --filter label=team=blue >/dev/null
assert_eq "$(names --filter name=cr)" "" "prune --filter label removed cr"
[ -n "$(names --filter name=ex3)" ] || fail "prune --filter label removed an unlabelled container"
dk container prune -f --filter until=1h >/dev/null
[ -n "$(names --filter name=ex3)" ] || fail "prune --filter until=1h removed a container created just now"
out=$(dk container prune -f)
wid=$(dk inspect -f '{{.Id}}' w)
! grep -q "$wid" <<<"$out" || fail "prune removed a running container"
assert_eq "$(names --filter status=exited)" "" "prune removed every stopped container"
assert_eq "$(names | wc -w)" 2 "the running ones stay"

# ---- health checks ---------------------------------------------------------------------------------
dk run -d --name hc --health-cmd 'test -f /tmp/ok' --health-interval 200ms --health-retries 2 --health-timeout 2s bb sh -c 'touch /tmp/ok; sleep 300' >/dev/null
poll 15 eval '[ "$(dk inspect -f "{{.State.Health.Status}}" hc)" = healthy ]' || fail "health: not healthy: $(dk inspect -f '{{json .State.Health}}' hc)"
grep -q '(healthy)' <<<"$(dk ps --filter name=hc --format '{{.Status}}')" || fail "ps does not say (healthy)"
assert_eq "$(names --filter health=healthy)" "hc " "ps --filter health=healthy"
dk exec hc rm /tmp/ok
poll 15 eval '[ "$(dk inspect -f "{{.State.Health.Status}}" hc)" = unhealthy ]' || fail "health: not unhealthy after the file went"
[ "$(dk inspect -f '{{.State.Health.FailingStreak}}' hc)" -ge 2 ] || fail "health: FailingStreak"
grep -q '(unhealthy)' <<<"$(dk ps --filter name=hc --format '{{.Status}}')" || fail "ps does not say (unhealthy)"
# a check that hangs times out, and the next one still runs: two failures make it unhealthy
dk run -d --name hang --health-cmd 'sleep 100' --health-interval 200ms --health-timeout 300ms --health-retries 2 bb sleep 300 >/dev/null
poll 15 eval '[ "$(dk inspect -f "{{.State.Health.Status}}" hang)" = unhealthy ]' || fail "health: a hanging check never made it unhealthy: $(dk inspect -f '{{json .State.Health}}' hang)"
grep -q 'exceeded timeout' <<<"$(dk inspect -f '{{json .State.Health.Log}}' hang)" || fail "health: no timeout in the log"
dk rm -f hang >/dev/null

# ---- connect / disconnect of a stopped container: applied at its next start ---------------------------
dk network create later >/dev/null
dk create --name cs bb sleep 300 >/dev/null
dk network connect later cs
dk network disconnect bridge cs
assert_eq "$(dk inspect -f '{{.State.Status}}' cs)" created "connect did not start it"
dk start cs >/dev/null
assert_eq "$(dk inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' cs)" "later " "networks at start"
ifs=$(dk exec cs ip -o -4 addr show | awk '$2 != "lo" {print $4}')
[[ "$ifs" == 172.* ]] && [ "$(echo "$ifs" | wc -l)" -eq 1 ] || fail "inside: one address on the connected network expected: $ifs"
set +e; dk network connect later cs 2>/dev/null; rc=$?; set -e
[ $rc -ne 0 ] || fail "connecting twice succeeded"

dk rm -f w lg hc cs >/dev/null

# ---- the same through netctl ---------------------------------------------------------------------------
netctl run -d --name nc bb sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done' >/dev/null
netctl rename nc nc2 >/dev/null
assert_eq "$(netctl inspect nc2 | jq -r '.[0].Name')" /nc2 "netctl rename"
grep -q while <<<"$(netctl top nc2)" || fail "netctl top"
netctl exec nc2 touch /added
grep -qx 'A /added' <<<"$(netctl diff nc2)" || fail "netctl diff"
netctl update --memory 48m --pids-limit 33 nc2 >/dev/null
assert_eq "$(cg_file nc2 pids.max)" 33 "netctl update --pids-limit"
grep -q 'nc2' <<<"$(netctl stats --no-stream nc2)" || fail "netctl stats --no-stream"
netctl pause nc2 >/dev/null
assert_eq "$(netctl inspect nc2 | jq -r '.[0].State.Status')" paused "netctl pause"
netctl unpause nc2 >/dev/null
netctl rm -f nc2 >/dev/null
netctl create --name ncp bb true >/dev/null
grep -q . <<<"$(netctl container prune)" || fail "netctl container prune removed nothing"
[ -z "$(names --filter name=ncp)" ] || fail "netctl container prune left ncp"

# ---- the newest client too (OPS_DOCKER=... runs everything above with one) ---------------------------
N=/usr/local/bin/docker
if [ -z "${OPS_DOCKER:-}" ] && [ -x "$N" ] && [ "$N" != "$D" ]; then
  nk() { timeout -s KILL 60 "$N" "$@"; }
  log "and docker $(nk version --format '{{.Client.Version}}') ($N)"
  nk run -d --name nw bb sh -c 'echo a; echo b; echo c; sleep 300' >/dev/null
  nk cp "$T/blob" nw:/b && nk cp nw:/b "$T/blob.n" && cmp -s "$T/blob" "$T/blob.n" || fail "newest client: cp round trip"
  nk cp "$T/tree" nw:/t && nk cp nw:/t "$T/tree.n" && diff -r --no-dereference "$T/tree" "$T/tree.n" >/dev/null || fail "newest client: cp of a tree"
  grep -qx '[0-9]*' <<<"$(nk stats --no-stream --format '{{.PIDs}}' nw)" || fail "newest client: stats"
  grep -q sleep <<<"$(nk top nw)" || fail "newest client: top"
  grep -qx 'A /b' <<<"$(nk diff nw)" || fail "newest client: diff"
  assert_eq "$(nk logs --tail 1 nw)" c "newest client: logs --tail 1"
  nk pause nw >/dev/null
  assert_eq "$(nk ps --filter status=paused --format '{{.Names}}')" nw "newest client: ps --filter status=paused"
  nk unpause nw >/dev/null
  nk update --cpus 0.5 nw >/dev/null
  assert_eq "$(nk inspect -f '{{.HostConfig.NanoCpus}}' nw)" 500000000 "newest client: update --cpus"
  nk rename nw nw2 && nk rm -f nw2 >/dev/null
  nk create --name np bb true >/dev/null
  nk container prune -f >/dev/null
  assert_eq "$(nk ps -aq | wc -l)" 0 "newest client: prune"
fi
# figures from netd's own request log: how long the API side of each operation took
for op in "GET path=/containers/[^ ]*/archive" "PUT path=/containers/[^ ]*/archive" "POST path=/containers/[^ ]*/pause" \
          "POST path=/containers/[^ ]*/unpause" "GET path=/containers/[^ ]*/top" "GET path=/containers/[^ ]*/changes"; do
  grep -o "method=$op status=20[04] duration_us=[0-9]*" "$ND_LOG" | sed 's/.*=//' | sort -n |
    awk -v op="${op%% *} $(sed "s/\[^ \]\*/{id}/" <<<"${op#*path=}")" '{v[NR]=$1} END {if (NR) printf "# %-40s n=%d median=%.2f ms max=%.2f ms\n", op, NR, v[int((NR+1)/2)]/1000, v[NR]/1000}'
done
log "ok"
