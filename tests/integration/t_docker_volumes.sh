#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Volumes and mounts with the real docker CLI (Debian's client, and a newer
# docker on PATH when there is one), each checked by its effect: file
# contents on both sides of a bind mount and of a named volume after the
# container is gone, read-only binds refusing writes, --read-only refusing a
# write to / while --tmpfs /tmp takes one, the image's content copied into a
# new volume, a volume in use refused (409), rm -v, prune, --volumes-from,
# local-driver volumes with -o (tmpfs, bind); then the same through netctl.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
clis=()
c=$("$NETD_SRC/scripts/fetch-docker-cli.sh" 2>/dev/null) && clis+=("$c")
for c in /usr/local/bin/docker $(command -v docker || true); do
  [ -x "$c" ] && [[ " ${clis[*]} " != *" $c "* ]] && clis+=("$c")
done
[ ${#clis[@]} -gt 0 ] || skip "no docker CLI"
ctr_setup
nd_start
mkdir -p "$T/dc"
export DOCKER_HOST=unix://$ND_SOCK DOCKER_CONFIG=$T/dc
dk() { timeout -s KILL 60 "$D" "$@"; }
fails() {  # CMD...: must fail
  set +e; out=$("$@" 2>&1); local rc=$?; set -e
  [ $rc -ne 0 ] || fail "succeeded, should not: $*"
}

flow() {  # P: a prefix for the names of this CLI's objects
  local P=$1 H=$T/host-$1
  mkdir -p "$H"
  echo from-host > "$H/in"

  # bind mount: both directions, and through ro
  dk run --rm -v "$H:/mnt" bb sh -c 'cat /mnt/in > /mnt/copy; echo from-ctr > /mnt/out' || fail "bind run"
  assert_eq "$(cat "$H/out")" from-ctr "a container's write through a bind mount"
  assert_eq "$(cat "$H/copy")" from-host "the host's file read through a bind mount"
  fails dk run --rm -v "$H:/mnt:ro" bb sh -c 'echo x > /mnt/ro-write'
  [ ! -e "$H/ro-write" ] || fail "a write through a :ro bind reached the host"
  assert_eq "$(dk run --rm -v "$H:/mnt:ro" bb cat /mnt/in)" from-host "reading through a :ro bind"
  dk run --rm --mount "type=bind,source=$H,target=/m,readonly" bb test -f /m/in || fail "--mount type=bind,readonly"
  fails dk run --rm --mount "type=bind,source=$H,target=/m,readonly" bb touch /m/x
  # a missing host path: -v makes it, --mount refuses
  dk run --rm -v "$H/made/by/v:/x" bb true || fail "-v with a missing host dir"
  [ -d "$H/made/by/v" ] || fail "-v did not create the missing host dir"
  fails dk run --rm --mount "type=bind,source=$H/nope,target=/x" bb true
  [[ "$out" == *"does not exist"* ]] || fail "--mount of a missing source: $out"
  [ ! -e "$H/nope" ] || fail "--mount created its missing source"
  # SELinux labels are refused, clearly
  fails dk run --rm -v "$H:/mnt:z" bb true
  [[ "$out" == *SELinux* ]] || fail "-v ...:z not refused clearly: $out"
  # bind propagation: rshared is accepted and shows in inspect
  dk create --name "${P}prop" --mount "type=bind,source=$H,target=/p,bind-propagation=rslave" bb true >/dev/null
  assert_eq "$(dk inspect -f '{{range .Mounts}}{{.Propagation}}{{end}}' "${P}prop")" rslave "propagation in inspect"
  dk rm "${P}prop" >/dev/null
  # a mount under the bind's source: there by default (recursive, read-only
  # all the way down with readonly), absent with bind-recursive=disabled,
  # writable with bind-recursive=writable
  mkdir -p "$H/sub" && mount -t tmpfs -o size=1m sub "$H/sub" && on_exit "umount -l '$H/sub' 2>/dev/null"
  echo s > "$H/sub/s"
  assert_eq "$(dk run --rm -v "$H:/m" bb cat /m/sub/s)" s "a submount through a recursive bind"
  fails dk run --rm --mount "type=bind,source=$H,target=/m,readonly" bb touch /m/sub/x
  if dk run --help 2>/dev/null | grep -q . && dk run --rm --mount "type=bind,source=$H,target=/m,bind-recursive=disabled" bb true 2>/dev/null; then
    dk run --rm --mount "type=bind,source=$H,target=/m,bind-recursive=disabled" bb test ! -e /m/sub/s || fail "bind-recursive=disabled shows the submount"
    dk run --rm --mount "type=bind,source=$H,target=/m,readonly,bind-recursive=writable" bb touch /m/sub/x || fail "bind-recursive=writable: the submount is read-only"
    fails dk run --rm --mount "type=bind,source=$H,target=/m,readonly,bind-recursive=writable" bb touch /m/x
  else
    dk run --rm --mount "type=bind,source=$H,target=/m,bind-nonrecursive" bb test ! -e /m/sub/s || fail "bind-nonrecursive shows the submount"
  fi
  umount -l "$H/sub"
  mi=$(dk run --rm --mount "type=bind,source=$H,target=/p,bind-propagation=rshared" bb grep " /p " /proc/self/mountinfo)
  [[ "$mi" == *shared:* ]] || fail "bind-propagation=rshared is not shared: $mi"
  mi=$(dk run --rm -v "$H:/p" bb grep " /p " /proc/self/mountinfo)
  [[ "$mi" != *shared:* && "$mi" != *master:* ]] || fail "a default bind is not private: $mi"

  # a named volume: made on first use, with the image's content at that path
  dk run --rm -v "${P}data:/etc" bb sh -c 'echo kept > /etc/mine' || fail "named volume run"
  assert_eq "$(dk volume inspect -f '{{.Driver}}' "${P}data")" local "the volume was created on first use"
  mp=$(dk volume inspect -f '{{.Mountpoint}}' "${P}data")
  [ -s "$mp/passwd" ] || fail "the image's /etc was not copied into the new volume"
  assert_eq "$(cat "$mp/mine")" kept "a volume's file on the host"
  assert_eq "$(dk run --rm -v "${P}data:/v" bb cat /v/mine)" kept "a volume's file after the container is gone"
  dk volume ls --format '{{.Name}}' | grep -qx "${P}data" || fail "volume ls"
  # in use: 409, even by a stopped container
  dk create --name "${P}user" -v "${P}data:/v" bb true >/dev/null
  fails dk volume rm "${P}data"
  [[ "$out" == *"in use"* ]] || fail "removing a volume in use: $out"
  st=$(api_status DELETE "/volumes/${P}data")
  assert_eq "$st" 409 "DELETE of a volume in use"
  dk rm "${P}user" >/dev/null
  dk volume rm "${P}data" >/dev/null || fail "volume rm"
  [ ! -e "$mp" ] || fail "the removed volume's directory is still there"

  # anonymous volumes: rm -v removes them, plain rm keeps them
  dk create --name "${P}anon" -v /data bb true >/dev/null
  anon=$(dk inspect -f '{{range .Mounts}}{{.Name}}{{end}}' "${P}anon")
  [ ${#anon} -eq 64 ] || fail "anonymous volume name: '$anon'"
  dk rm -v "${P}anon" >/dev/null
  fails dk volume inspect "$anon"
  dk create --name "${P}anon2" -v /data bb true >/dev/null
  anon2=$(dk inspect -f '{{range .Mounts}}{{.Name}}{{end}}' "${P}anon2")
  dk rm "${P}anon2" >/dev/null
  dk volume inspect "$anon2" >/dev/null || fail "rm without -v removed the anonymous volume"
  # run --rm removes its anonymous volumes
  before=$(dk volume ls -q | wc -l)
  dk run --rm -v /scratch bb true
  assert_eq "$(dk volume ls -q | wc -l)" "$before" "run --rm left its anonymous volume"

  # prune: unused volumes go, volumes in use stay
  dk volume create "${P}keep" >/dev/null
  dk volume create "${P}unused" >/dev/null
  dk create --name "${P}holder" -v "${P}keep:/k" bb true >/dev/null
  dk volume prune -f --filter all=true >/dev/null 2>&1 || dk volume prune -f >/dev/null
  fails dk volume inspect "${P}unused"
  fails dk volume inspect "$anon2"
  dk volume inspect "${P}keep" >/dev/null || fail "prune removed a volume in use"

  # --volumes-from, with :ro
  dk run --rm --volumes-from "${P}holder" bb sh -c 'echo shared > /k/f' || fail "volumes-from"
  assert_eq "$(dk run --rm -v "${P}keep:/x" bb cat /x/f)" shared "a file written through --volumes-from"
  fails dk run --rm --volumes-from "${P}holder:ro" bb sh -c 'echo x > /k/g'
  dk rm "${P}holder" >/dev/null
  dk volume rm "${P}keep" >/dev/null

  # --read-only: / refuses writes, --tmpfs /tmp takes them; --mount type=tmpfs
  fails dk run --rm --read-only bb touch /file
  [[ "$out" == *"Read-only file system"* ]] || fail "--read-only: $out"
  dk run --rm --read-only --tmpfs /tmp bb sh -c 'echo t > /tmp/t && cat /tmp/t' >/dev/null || fail "--tmpfs under --read-only"
  assert_eq "$(dk run --rm --tmpfs /tmp:size=1m bb sh -c 'grep " /tmp " /proc/mounts | cut -d" " -f3,4')" \
    "tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k" "--tmpfs options"
  assert_eq "$(dk run --rm --mount type=tmpfs,target=/t,tmpfs-size=2m bb sh -c 'grep " /t " /proc/mounts | cut -d" " -f3')" \
    tmpfs "--mount type=tmpfs"

  # the local driver's options: a tmpfs volume and a bind-like volume
  dk volume create -d local -o type=tmpfs -o device=tmpfs -o o=size=2m "${P}tv" >/dev/null
  assert_eq "$(dk run --rm -v "${P}tv:/t" bb sh -c 'grep " /t " /proc/mounts | cut -d" " -f3')" tmpfs "tmpfs volume"
  mkdir -p "$H/dev"
  dk volume create -o type=none -o device="$H/dev" -o o=bind "${P}bv" >/dev/null
  dk run --rm -v "${P}bv:/b" bb sh -c 'echo through-volume > /b/f'
  assert_eq "$(cat "$H/dev/f")" through-volume "a bind-like volume writes to its device"
  dk volume rm "${P}tv" "${P}bv" >/dev/null
  [ -f "$H/dev/f" ] || fail "removing a bind-like volume deleted its device's files"
  fails dk volume create -o size=1m "${P}bad"
}

for D in "${clis[@]}"; do
  log "docker $(dk version --format '{{.Client.Version}}') ($D)"
  flow "p$(printf '%s' "$D" | md5sum | cut -c1-6)"
done

# netctl
H=$T/host-netctl
mkdir -p "$H"
echo hi > "$H/in"
assert_eq "$(netctl run --rm -v "$H:/m:ro" bb cat /m/in)" hi "netctl run -v"
netctl run --rm --mount "type=bind,source=$H,target=/m" bb sh -c 'echo n > /m/n'
assert_eq "$(cat "$H/n")" n "netctl run --mount"
fails netctl run --rm --read-only bb touch /x
netctl run --rm --read-only --tmpfs /tmp bb touch /tmp/x || fail "netctl --tmpfs under --read-only"
netctl volume create nv >/dev/null
netctl run --rm -v nv:/v bb sh -c 'echo nv > /v/f'
assert_eq "$(netctl run --rm -v nv:/v bb cat /v/f)" nv "netctl: a volume's file after its container"
netctl volume ls | grep -q nv || fail "netctl volume ls"
assert_eq "$(netctl volume inspect nv | jq -r '.[0].Name')" nv "netctl volume inspect"
netctl volume rm nv >/dev/null
fails netctl volume inspect nv
# volumes outlive netd: a restart finds the record and the data
netctl volume create nvr >/dev/null
netctl run --rm -v nvr:/v bb sh -c 'echo r > /v/f'
netctl volume create nvgone >/dev/null
nd_stop
# as a netd killed mid-way leaves them: a removal's trash, a record whose
# directory was never made
mkdir -p "$ND_ROOT/volumes/.trash-killed/sub" && echo x > "$ND_ROOT/volumes/.trash-killed/sub/f"
rm -rf "$ND_ROOT/volumes/nvgone"
nd_start
assert_eq "$(netctl run --rm -v nvr:/v bb cat /v/f)" r "a volume's data across a netd restart"
poll 10 test ! -e "$ND_ROOT/volumes/.trash-killed" || fail "a removal's trash survived a restart"
netctl run --rm -v nvgone:/v bb touch /v/ok || fail "a volume whose directory was lost"
netctl volume rm nvgone >/dev/null
netctl volume rm nvr >/dev/null
netctl create --name nanon -v /d bb true >/dev/null
na=$(netctl inspect nanon | jq -r '.[0].Mounts[0].Name')
netctl rm -v nanon >/dev/null
fails netctl volume inspect "$na"
netctl volume create nv2 >/dev/null
netctl volume prune -a -f >/dev/null
fails netctl volume inspect nv2

# bad input is refused, naming what is wrong, and creates nothing
D=${clis[0]}
nvol=$(dk volume ls -q | wc -l); nctr=$(dk ps -aq | wc -l)
fails dk run --rm -v 'bad!name:/x' bb true
[[ "$out" == *"invalid characters"* ]] || fail "a bad volume name: $out"
fails dk run --rm -v "$T:/x" -v "$T/dc:/x/" bb true
[[ "$out" == *"Duplicate mount point"* ]] || fail "a duplicate mount point: $out"
fails dk run --rm --mount type=volume,source=nc,target=/x,volume-nocopy bb true
[[ "$out" == *NoCopy* ]] || fail "volume-nocopy: $out"
fails dk run --rm -v "$T:/x:rw,ro" bb true
fails dk run --rm --tmpfs /t:bogus bb true
[[ "$out" == *bogus* ]] || fail "a bad tmpfs option: $out"
fails dk volume create -d nosuchdriver v1
fails dk volume create -o type=tmpfs v2
[[ "$out" == *device* ]] || fail "local options without device: $out"
assert_eq "$(dk volume ls -q | wc -l)" "$nvol" "a refused request made a volume"
assert_eq "$(dk ps -aq | wc -l)" "$nctr" "a refused request made a container"

# the image's VOLUME entries: an image whose config declares /etc a volume
# (docker save, config edited, docker load) gets an anonymous volume there,
# filled with the image's /etc
D=${clis[0]}
mkdir -p "$T/img"
dk save bb | tar -C "$T/img" -xf -
cfg=$(jq -r '.[0].Config' "$T/img/manifest.json")
jq -c '.config.Volumes = {"/etc": {}}' "$T/img/$cfg" > "$T/img/new.json"
sum=$(sha256sum "$T/img/new.json" | cut -c1-64)
mv "$T/img/new.json" "$T/img/blobs/sha256/$sum"
jq -c --arg c "blobs/sha256/$sum" '.[0].Config = $c | .[0].RepoTags = ["bbvol:latest"]' "$T/img/manifest.json" > "$T/img/m.json"
mv "$T/img/m.json" "$T/img/manifest.json"
rm -f "$T/img/repositories" "$T/img/index.json" "$T/img/oci-layout"   # the docker save form only
tar -C "$T/img" -cf "$T/bbvol.tar" .
dk load -i "$T/bbvol.tar" >/dev/null
dk create --name imgvol bbvol sh -c 'echo hi > /etc/added' >/dev/null
src=$(dk inspect -f '{{range .Mounts}}{{if eq .Destination "/etc"}}{{.Source}}{{end}}{{end}}' imgvol)
[ -n "$src" ] || fail "the image's VOLUME /etc gave no mount: $(dk inspect -f '{{json .Mounts}}' imgvol)"
dk start -a imgvol >/dev/null
[ -s "$src/passwd" ] || fail "the image's /etc was not copied into its anonymous volume"
assert_eq "$(cat "$src/added")" hi "a write into the image's VOLUME"
assert_eq "$(dk inspect -f '{{range .Mounts}}{{.Type}} {{.RW}}{{end}}' imgvol)" "volume true" "Mounts in inspect"
dk rm -v imgvol >/dev/null
[ ! -e "$src" ] || fail "rm -v left the image's anonymous volume"

# the Docker SDK for Python, where it is installed
if python3 -c 'import docker' 2>/dev/null; then
  mkdir -p "$T/sdk"
  python3 - "$ND_SOCK" "$T/sdk" <<'PY' || fail "docker SDK volume flow"
import sys, docker
c = docker.DockerClient(base_url="unix://" + sys.argv[1], version="auto")
def run(cmd, volumes):
    ct = c.containers.create("bb", cmd, volumes=volumes)
    ct.start()
    assert ct.wait()["StatusCode"] == 0
    out = ct.logs()
    ct.remove(v=True)
    return out
c.volumes.create("sdkvol", labels={"k": "v"})
out = run(["sh", "-c", "echo sdk > /v/f; cat /v/f"], {"sdkvol": {"bind": "/v", "mode": "rw"}})
assert out == b"sdk\n", out
out = run(["cat", "/v/f"], ["sdkvol:/v:ro", sys.argv[2] + ":/h"])
assert out == b"sdk\n", out
run(["sh", "-c", "echo b > /h/b"], [sys.argv[2] + ":/h"])
assert open(sys.argv[2] + "/b").read() == "b\n"
assert [v.name for v in c.volumes.list(filters={"label": "k=v"})] == ["sdkvol"]
c.volumes.get("sdkvol").remove()
assert not [v for v in c.volumes.list() if v.name == "sdkvol"]
PY
else
  log "no python3-docker: the SDK flow is not run"
fi

# path safety: a mount point behind a symlink a container planted (an
# absolute host path) lands inside the container's root, never on the host
mkdir -p "$T/esc"
netctl volume create trap >/dev/null
netctl run --rm -v trap:/a bb ln -s "$T/esc" /a/x
assert_eq "$(netctl run --rm -v trap:/a -v "$H:/a/x/y" bb cat /a/x/y/in)" hi "a bind through a symlinked mount point"
[ -z "$(ls -A "$T/esc")" ] || fail "a mount point behind a symlink escaped to the host: $(ls -A "$T/esc")"
netctl volume rm trap >/dev/null

# netd --cleanup undoes the local driver's mounts (the volumes stay)
netctl volume create -o type=tmpfs -o device=tmpfs -o o=size=1m cv >/dev/null
netctl run --rm -v cv:/c bb true
grep -q " $ND_ROOT/volumes/cv/_data tmpfs" /proc/self/mounts || fail "the tmpfs volume is not mounted on its _data"
nd_stop
out=$("$NETD_BIN" --root "$ND_ROOT" --exec-root "$ND_EXEC" --socket "$ND_SOCK" --config "$T/netd-test.json" --cleanup 2>&1) \
  || fail "netd --cleanup: $out"
[[ "$out" == *"removed volume mount $ND_ROOT/volumes/cv/_data"* ]] || fail "--cleanup did not say it unmounted the volume: $out"
! grep -q " $ND_ROOT/volumes/cv/_data " /proc/self/mounts || fail "--cleanup left the volume's mount"
log "ok"
