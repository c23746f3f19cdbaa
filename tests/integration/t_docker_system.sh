#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Docker's system endpoints with the real docker CLI (each one that can be
# had) and curl: an events stream in the background seeing
# create/start/die/destroy (and network, image events; filters, --since
# replay), system df (a container's writes counted), container and system
# prune, info's fields, API version prefixes (accepted 1.24..current,
# refused outside with Docker's words), _ping's headers, network ls's host
# and none rows (read-only), out-of-scope features refused with a message.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
. "$(dirname "$0")/docker_clis.sh"
ctr_setup
nd_start
export DOCKER_HOST=unix://$ND_SOCK DOCKER_CONFIG=$T/docker-config

# ---- _ping and API versions (curl) -------------------------------------------------
cur=$(api GET /version | jq -r .ApiVersion)
min=$(api GET /version | jq -r .MinAPIVersion)
assert_eq "$min" 1.24 "MinAPIVersion"
[ "${cur#1.}" -ge 44 ] || fail "advertised API $cur: the newest docker clients refuse servers below 1.44"
for m in -G -I; do   # GET and HEAD
  h=$(curl -sS --max-time 10 -D - -o /dev/null $m --unix-socket "$ND_SOCK" http://netd/_ping | tr -d '\r')
  for want in "Api-Version: $cur" "Ostype: linux" "Docker-Experimental: false" "Builder-Version: 1" "Cache-Control: no-cache"; do
    grep -qi "^$want" <<<"$h" || fail "_ping ($m) lacks '$want': $h"
  done
done
assert_eq "$(api GET /_ping)" OK "_ping body"
for v in 1.24 1.30 1.41 1.43 1.44 "$cur"; do
  assert_eq "$(api_code GET /v$v/version)" 200 "GET /v$v/version"
  assert_eq "$(api GET /v$v/info | jq -r .OSType)" linux "GET /v$v/info"
done
assert_eq "$(api_code GET /v1.23/version)" 400 "/v1.23 refused"
[[ "$(api GET /v1.23/version | jq -r .message)" == "client version 1.23 is too old. Minimum supported API version is 1.24"* ]] || fail "too-old message: $(api GET /v1.23/version)"
next="1.$(( ${cur#1.} + 1 ))"
assert_eq "$(api GET /v$next/version | jq -r .message)" "client version $next is too new. Maximum supported API version is $cur" "too-new message"
assert_eq "$(api_code GET /v1.x/version)" 400 "/v1.x refused"
# version shapes: image summaries have VirtualSize before 1.44 only
assert_eq "$(api GET /v1.41/images/json | jq '.[0] | has("VirtualSize")')" true "VirtualSize at 1.41"
assert_eq "$(api GET /v$cur/images/json | jq '.[0] | has("VirtualSize")')" false "no VirtualSize at $cur"

# ---- info ---------------------------------------------------------------------------
info=$(api GET /info)
for k in Driver CgroupDriver CgroupVersion DefaultRuntime KernelVersion OperatingSystem Name ID ServerVersion; do
  [ -n "$(jq -r ".$k // empty" <<<"$info")" ] || fail "info.$k empty"
done
assert_eq "$(jq -r .Swarm.LocalNodeState <<<"$info")" inactive "info Swarm"
assert_eq "$(jq -r .CgroupDriver <<<"$info")" cgroupfs "info CgroupDriver"
cgv=1; [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && cgv=2
assert_eq "$(jq -r .CgroupVersion <<<"$info")" $cgv "info CgroupVersion"
assert_eq "$(jq -r .NCPU <<<"$info")" "$(nproc)" "info NCPU"
assert_eq "$(jq -r .Images <<<"$info")" 1 "info Images"
[ "$(jq -r '.Runtimes | length' <<<"$info")" -ge 1 ] || fail "info Runtimes empty"
[ "$(jq -r .MemTotal <<<"$info")" -gt 0 ] || fail "info MemTotal"

for D in "${clis[@]}"; do
  ver=$(cli_version "$D")
  log "docker $ver ($D)"
  out=$(dk info --format '{{.Driver}} {{.CgroupDriver}} {{.Swarm.LocalNodeState}}')
  [[ "$out" == *"cgroupfs inactive" ]] || fail "docker $ver: info: $out"
  assert_eq "$(dk version --format '{{.Server.APIVersion}}')" "$cur" "docker $ver: server API version"

  # ---- events: a stream in the background sees the life of a container ----------------
  t0=$(date +%s)
  ev=$T/ev.${ver}
  # timeout itself in the background (not dk's subshell): killing it ends docker too
  timeout 60 "$D" events --filter type=container --filter type=network \
    --format '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}' >"$ev" 2>&1 &
  evpid=$!
  on_exit "kill $evpid"
  # subscribed once a marker event of ours shows up in it
  mark() { dk network create evmark >/dev/null; dk network rm evmark >/dev/null; grep -aq "^create evmark" "$ev"; }
  poll 10 mark || fail "docker $ver: the events stream saw nothing: $(cat -v "$ev")"
  dk run --name evc bb sh -c 'exit 3' && fail "docker $ver: exit 3 not seen"
  dk rm evc >/dev/null
  poll 10 grep -aq "^destroy evc" "$ev" || fail "docker $ver: events stream: $(cat -v "$ev")"
  kill $evpid; wait $evpid 2>/dev/null || true
  got=$(grep -a " evc" "$ev" | awk '{print $1}' | paste -sd' ')
  assert_eq "$got" "create attach start die destroy" "docker $ver: event actions (as Docker: attach before start)"
  grep -aq "^die evc 3" "$ev" || fail "docker $ver: die without exitCode 3: $(cat "$ev")"
  # --since replays, --until ends the stream by itself; filters
  dk network create evn >/dev/null; dk network rm evn >/dev/null
  dk tag bb bb:evtag; dk rmi bb:evtag >/dev/null
  until=$(( $(date +%s) + 1 ))
  out=$(dk events --since "$t0" --until "$until" --format '{{.Type}} {{.Action}}')
  for want in "container create" "container start" "container die" "container destroy" "network create" \
              "network destroy" "network connect" "network disconnect" "image tag" "image untag"; do
    grep -qx "$want" <<<"$out" || fail "docker $ver: events --since: no '$want' in: $out"
  done
  out=$(dk events --since "$t0" --until "$until" --filter event=die --format '{{.Action}} {{.Actor.Attributes.name}}')
  # (t0 has a second's grain: the previous CLI's last events may be in it too)
  grep -qx "die evc" <<<"$out" && ! grep -qv "^die " <<<"$out" || fail "docker $ver: events --filter event=die: $out"
  out=$(dk events --since "$t0" --until "$until" --filter network=evn --format '{{.Action}}' | paste -sd' ')
  assert_eq "$out" "create destroy" "docker $ver: events --filter network=evn"
  out=$(dk events --since "$t0" --until "$until" --filter container=evc --filter type=container --format '{{.Action}}' | paste -sd' ')
  assert_eq "$out" "create attach start die destroy" "docker $ver: events --filter container=evc"

  # ---- system df: a container's writes are counted --------------------------------------
  dk run --name dfc bb dd if=/dev/zero of=/blob bs=1k count=2000 2>/dev/null
  df=$(api GET /system/df)
  rw=$(jq -r '.Containers[] | select(.Names[0] == "/dfc") | .SizeRw' <<<"$df")
  [ "$rw" -ge 2048000 ] && [ "$rw" -lt 4000000 ] || fail "docker $ver: system df SizeRw $rw for 2000 KiB written"
  [ "$(jq -r .LayersSize <<<"$df")" -gt 0 ] || fail "system df LayersSize"
  assert_eq "$(jq -r '.Images[0].Containers' <<<"$df")" 1 "system df: image used by 1 container"
  assert_eq "$(jq -c .BuildCache <<<"$df")" "[]" "system df BuildCache"
  out=$(dk system df)
  grep -q "^Containers *1 " <<<"$out" || fail "docker $ver: system df: $out"
  dk system df -v >/dev/null || fail "docker $ver: system df -v"

  # ---- container prune: stopped ones go, running ones stay --------------------------------
  dk run -d --name keep bb sleep 300 >/dev/null
  dk create --name pc1 bb true >/dev/null
  dk run --name pc2 bb true
  out=$(dk container prune -f)
  for n in dfc pc1 pc2; do
    [ -z "$(dk ps -aq --filter name=^$n\$)" ] || fail "docker $ver: container prune left $n"
  done
  grep -q "Deleted Containers" <<<"$out" || fail "docker $ver: container prune said: $out"
  assert_eq "$(dk ps -q --filter name=keep | wc -l)" 1 "docker $ver: container prune removed a running container"
  # system prune -f: stopped containers and unused networks; images in use stay
  dk create --name pc3 bb true >/dev/null
  dk network create unused >/dev/null
  dk system prune -f >/dev/null || fail "docker $ver: system prune -f"
  [ -z "$(dk ps -aq --filter name=pc3)" ] || fail "docker $ver: system prune left pc3"
  dk network inspect unused >/dev/null 2>&1 && fail "docker $ver: system prune left network unused"
  dk system prune -a -f >/dev/null || fail "docker $ver: system prune -a -f"
  dk image inspect bb >/dev/null || fail "docker $ver: system prune -a removed an image a running container uses"
  if [ "$(api_code GET /volumes)" = 200 ]; then
    dk system prune -a -f --volumes >/dev/null || fail "docker $ver: system prune --volumes"
  fi
  dk rm -f keep >/dev/null

  # ---- host and none rows: listed, inspectable, read-only ----------------------------------
  assert_eq "$(dk network ls --format '{{.Name}} {{.Driver}}' | sort | paste -sd,)" "bridge bridge,host host,none none" "docker $ver: network ls"
  assert_eq "$(dk network ls --filter type=custom -q | wc -l)" 0 "docker $ver: host/none are builtin"
  assert_eq "$(dk network inspect -f '{{.Name}} {{.Scope}}' host)" "host local" "docker $ver: inspect host"
  id=$(dk network ls --filter name=none -q)
  assert_eq "$(dk network inspect -f '{{.Name}}' "$id")" none "docker $ver: inspect none by id"
  out=$(dk network rm host 2>&1) && fail "docker $ver: network rm host succeeded"
  [[ "$out" == *"pre-defined network"* ]] || fail "docker $ver: rm host said: $out"
  out=$(dk network create none 2>&1) && fail "docker $ver: network create none succeeded"
  [[ "$out" == *"already exists"* ]] || fail "docker $ver: create none said: $out"
  dk create --name nc bb true >/dev/null
  out=$(dk network connect host nc 2>&1) && fail "docker $ver: connect to host succeeded"
  [[ "$out" == *"network mode"* ]] || fail "docker $ver: connect host said: $out"
  dk rm nc >/dev/null

  # ---- out of scope: a clear message, never a hang or a misleading 404 -------------------------
  mkdir -p "$T/ctx" && echo 'FROM bb' >"$T/ctx/Dockerfile"
  for cmd in "build $T/ctx" "swarm init" "service ls" "node ls" "secret ls" "config ls" "plugin ls"; do
    # DOCKER_BUILDKIT=0: a client with buildx would otherwise ask for BuildKit's session
    out=$(DOCKER_BUILDKIT=0 dk $cmd 2>&1) && fail "docker $ver: $cmd succeeded"
    [[ "$out" == *"netd does not support"* ]] || fail "docker $ver: '$cmd' said: $out"
  done
done
for p in /build /swarm /services /plugins /secrets /configs /nodes /tasks; do
  c=$(api_code POST "$p")
  [ "$c" = 501 ] || [ "$c" = 503 ] || fail "POST $p: $c"
done
log "ok"
