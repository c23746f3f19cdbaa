#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Docker compatibility beyond run/exec/attach (t_docker_cli.sh has those),
# with the real docker CLI: nothing silently dropped (an option netd cannot
# honour is refused with 400 naming the field, and nothing is created),
# labels (inspect, ps --filter label=), network aliases.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
D=$("$NETD_SRC/scripts/fetch-docker-cli.sh" 2>/dev/null) || D=$(command -v docker) || skip "no docker CLI"
ctr_setup
nd_start
mkdir -p "$T/dc"
export DOCKER_HOST=unix://$ND_SOCK DOCKER_CONFIG=$T/dc
dk() { timeout -s KILL 60 "$D" "$@"; }
log "docker $(dk version --format '{{.Client.Version}}') ($D)"

# refused, naming the field; no container is left behind
refused() {   # FIELD DOCKER-RUN-OPTIONS...
  local field=$1; shift
  set +e; out=$(dk run --rm "$@" bb true 2>&1); rc=$?; set -e
  [ $rc -ne 0 ] || fail "docker run $* succeeded: netd cannot honour it"
  [[ "$out" == *"$field"* ]] || fail "docker run $*: the refusal does not name $field: $out"
}
refused HostConfig.IpcMode --ipc host
refused HostConfig.ShmSize --shm-size 1m
refused Domainname --domainname example.org
assert_eq "$(dk ps -aq | wc -l)" 0 "a refused create left a container"

# labels: the user's over the image's, shown and filtered on
dk run -d --name lab -l k=v -l a=b bb sleep 300 >/dev/null
dk run -d --name other -l k=w bb sleep 300 >/dev/null
assert_eq "$(dk inspect -f '{{index .Config.Labels "k"}}' lab)" v "label in inspect"
assert_eq "$(dk ps --filter label=k=v --format '{{.Names}}')" lab "ps --filter label=k=v"
assert_eq "$(dk ps --filter label=k --format '{{.Names}}' | sort | tr '\n' ' ')" "lab other " "ps --filter label=k"
assert_eq "$(dk ps --filter label=k=v --filter label=a=b --format '{{.Names}}')" lab "two label filters: both must hold"
assert_eq "$(dk ps --filter label=k=x --format '{{.Names}}')" "" "ps --filter label=k=x"

# --network-alias: recorded on the endpoint and resolvable by peers
dk network create n1 >/dev/null
dk run -d --network n1 --network-alias www --name al bb sleep 300 >/dev/null
assert_eq "$(dk inspect -f '{{json .NetworkSettings.Networks.n1.Aliases}}' al)" '["al","www"]' "aliases in inspect"
dk run --rm --network n1 bb ping -c1 -W2 www >/dev/null || fail "a peer does not resolve the alias www"
dk rm -f lab other al >/dev/null
log "ok"
