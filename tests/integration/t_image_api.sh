#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Images over the API and netctl: import, ls, inspect, history, tag, rm,
# save/load round trip (same ID, skopeo reads the archive), bad archives
# change nothing, unknown images are 404, prune.
. "$(dirname "$0")/lib.sh"

[ -x /bin/busybox ] || skip "busybox-static missing (/bin/busybox)"
"$NETD_SRC/scripts/mk-busybox-image.sh" "$T/bb.tar" 2>/dev/null
nd_start

# import over the API (timed), then it lists
t0=$(date +%s%N)
id=$(netctl image import "$T/bb.tar" bb:latest)
log "import of $(du -h "$T/bb.tar" | cut -f1) busybox tar over the API: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
[[ "$id" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "import printed '$id'"
out=$(netctl image ls)
[[ "$out" == *REPOSITORY*TAG*"IMAGE ID"*CREATED*SIZE* ]] || fail "ls header: $out"
echo "$out" | grep -Eq "^bb +latest +${id:7:12} " || fail "ls lacks bb:latest: $out"
assert_eq "$(netctl images -q)" "${id:7:12}" "images -q"
assert_eq "$(netctl image ls --format json | jq -r '.[0].RepoTags[0]')" "bb:latest" "ls json"
# import from stdin (gzip), untagged: a second, dangling image (its config has another time)
id2=$(gzip -c "$T/bb.tar" | netctl image import -m "from stdin" -)
[[ "$id2" =~ ^sha256:[0-9a-f]{64}$ && "$id2" != "$id" ]] || fail "stdin import printed '$id2'"
assert_eq "$(netctl image ls --filter dangling=true -q)" "${id2:7:12}" "dangling filter"
assert_eq "$(netctl image history -q "$id2" | head -1)" "${id2:7:12}" "history -q"
netctl image history --format json "$id2" | jq -e '.[0].Comment == "from stdin"' >/dev/null || fail "import message"
out=$(netctl image ls)
grep -Eq "^<none> +<none> +${id2:7:12} " <<<"$out" || fail "untagged row ${id2:7:12}: $out"
assert_eq "$(netctl image rm "$id2")" "Deleted: $id2" "rm by full ID"

# inspect and history
netctl image inspect bb | jq -e --arg id "$id" '.[0].Id == $id and (.[0].RootFS.Layers | length) == 1
  and .[0].RepoTags == ["bb:latest"] and .[0].Os == "linux"' >/dev/null || fail "inspect: $(netctl image inspect bb)"
netctl image inspect "${id:7:12}" >/dev/null || fail "inspect by short ID"
api GET "/images/$id/json" | jq -e '.RootFS.Type == "layers"' >/dev/null || fail "inspect by full ID over the API"
api GET /images/bb:latest/history | jq -e 'length >= 1 and .[0].Tags == ["bb:latest"]' >/dev/null || fail "history API"
[[ "$(netctl image history bb)" == *"CREATED BY"* ]] || fail "history table"

# tag: names with slashes and a registry port go through the greedy path
netctl image tag bb:latest localhost:5000/team/bb:v1
netctl image tag bb bb:two
netctl image inspect localhost:5000/team/bb:v1 | jq -e --arg id "$id" '.[0].Id == $id' >/dev/null || fail "tag with slashes"
assert_eq "$(netctl image ls --format json | jq -r '.[0].RepoTags | sort | join(",")')" \
  "bb:latest,bb:two,localhost:5000/team/bb:v1" "tags"
assert_eq "$(netctl image ls | grep -c "${id:7:12}")" 3 "one row per tag"
# rm by ID with several tags needs -f; rm of a tag untags
set +e; out=$(netctl image rm "${id:7:12}" 2>&1); rc=$?; set -e
[ $rc -ne 0 ] && [[ "$out" == *"must be forced"* ]] || fail "rm by ID of a multi-tag image: $out"
assert_eq "$(netctl image rm bb:two)" "Untagged: bb:two" "rm a tag"
assert_eq "$(netctl image rm localhost:5000/team/bb:v1)" "Untagged: localhost:5000/team/bb:v1" "rm a slashed tag"

# save -o, rm, load -i: same ID; skopeo reads the archive
netctl image save -o "$T/saved.tar" bb:latest
[ -s "$T/saved.tar" ] || fail "save wrote nothing"
ls "$T"/saved.tar.tmp-* >/dev/null 2>&1 && fail "save left a temp file"
skopeo inspect "oci-archive:$T/saved.tar" >/dev/null 2>&1 || skopeo inspect "oci-archive:$T/saved.tar:bb:latest" >/dev/null \
  || fail "skopeo cannot read the saved archive"
api GET "/images/get?names=bb:latest" > "$T/saved2.tar"
cmp -s "$T/saved.tar" "$T/saved2.tar" || fail "API save and netctl save differ"
netctl image save bb > "$T/saved3.tar"; cmp -s "$T/saved.tar" "$T/saved3.tar" || fail "save to stdout differs"
out=$(netctl image rm bb:latest)
[[ "$out" == *"Untagged: bb:latest"*"Deleted: $id"* ]] || fail "rm of the last tag: $out"
[[ "$(netctl image ls -q)" != *"${id:7:12}"* ]] || fail "image still listed after rm"
assert_eq "$(netctl image load -i "$T/saved.tar")" "Loaded image: bb:latest" "load output"
assert_eq "$(netctl image inspect bb:latest | jq -r '.[0].Id')" "$id" "ID after save/rm/load"
assert_eq "$(curl -sS --fail-with-body --unix-socket "$ND_SOCK" --data-binary @"$T/saved.tar" http://x/images/load | jq -r .stream)" "Loaded image: bb:latest" "API load stream"
netctl image load < "$T/saved.tar" >/dev/null || fail "load from stdin"

# bad archives: clear error, 400, nothing changes
before=$(netctl image ls --format json | jq -c '[.[] | [.Id, .RepoTags]] | sort')
head -c $(( $(stat -c %s "$T/saved.tar") / 2 )) "$T/saved.tar" > "$T/trunc.tar"
head -c 100000 /dev/urandom > "$T/junk.tar"
for f in trunc junk; do
  set +e; out=$(netctl image load -i "$T/$f.tar" 2>&1); rc=$?; set -e
  [ $rc -ne 0 ] || fail "load of a $f archive succeeded"
  [ "$(echo "$out" | wc -l)" = 1 ] && [[ "$out" == *archive* ]] || fail "unclear error for a $f archive: $out"
  [[ "$out" != */proc/self/fd* ]] || fail "error names the spool fd: $out"
  st=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$ND_SOCK" -XPOST --data-binary @"$T/$f.tar" http://x/images/load)
  assert_eq "$st" 400 "status for a $f archive"
done
set +e; out=$(netctl image import "$T/junk.tar" junk:1 2>&1); rc=$?; set -e
[ $rc -ne 0 ] || fail "import of junk succeeded"
log "junk import: $out"
assert_eq "$(netctl image ls --format json | jq -c '[.[] | [.Id, .RepoTags]] | sort')" "$before" "images changed by bad archives"

# unknown images: 404 with a clear message
assert_eq "$(api_status GET /images/nosuch:1/json)" 404 "inspect unknown"
api_status DELETE /images/nosuch >/dev/null
assert_eq "$(api_status DELETE /images/nosuch)" 404 "rm unknown"
assert_eq "$(api_status GET '/images/get?names=nosuch')" 404 "save unknown"
assert_eq "$(api_status POST '/images/nosuch/tag?repo=x')" 404 "tag unknown"
set +e; out=$(netctl image inspect nosuch 2>&1); rc=$?; set -e
[ $rc -ne 0 ] && [[ "$out" == *"no such image: nosuch"* ]] || fail "unclear unknown-image error: $out"
assert_eq "$(api_status POST '/images/create?fromSrc=http://example.com/x.tar')" 400 "import from a URL"
assert_eq "$(api_status POST '/images/bb/tag')" 400 "tag without repo"

# in use by a container: netd reads its store's container documents
# (one written with sqlite3 while netd is stopped, as the container code would)
nd_stop
cid=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
sqlite3 "$ND_ROOT/netd.db" "INSERT INTO objects(kind,id,name,created,data) VALUES('container','$cid','imgtest',0,
  '{\"Id\":\"$cid\",\"Name\":\"imgtest\",\"Image\":\"$id\",\"State\":{\"Status\":\"created\"}}')"
nd_start
if [ "$(sqlite3 "$ND_ROOT/netd.db" "SELECT count(*) FROM objects WHERE kind='container' AND id='$cid'")" = 1 ]; then
  netctl image tag bb bb:extra
  netctl image rm bb:extra >/dev/null          # a tag of a used image may go
  set +e; out=$(netctl image rm "${id:7:12}" 2>&1); rc=$?; set -e
  [ $rc -ne 0 ] && [[ "$out" == *"being used by a container"* ]] || fail "rm of a used image: $out"
  assert_eq "$(api_status DELETE "/images/$id")" 409 "rm of a used image status"
  netctl image prune -a -f >/dev/null
  netctl image inspect bb >/dev/null || fail "prune -a removed an image a container uses"
  assert_eq "$(netctl image ls --format json | jq '.[0].Containers')" 1 "Containers count"
  nd_stop
  sqlite3 "$ND_ROOT/netd.db" "DELETE FROM objects WHERE kind='container' AND id='$cid'"
  nd_start
else
  log "netd dropped the hand-written container document on start: in-use check not exercised"
fi

# prune: dangling only, then -a
netctl image tag bb bb:keep
tar -C "$T" -cf - junk.tar | curl -sSf --unix-socket "$ND_SOCK" --data-binary @- "http://x/images/create?fromSrc=-" >/dev/null
n_before=$(netctl image ls -q | wc -l)
out=$(netctl image prune -f)
[[ "$out" == *"Total reclaimed space:"* ]] || fail "prune output: $out"
assert_eq "$(netctl image ls --filter dangling=true -q | wc -l)" 0 "dangling left after prune"
[ "$(netctl image ls -q | wc -l)" -le "$n_before" ] || fail "prune added images?"
netctl image inspect bb:keep >/dev/null || fail "prune removed a tagged image"
res=$(api POST '/images/prune?filters=%7B%22dangling%22%3A%5B%22false%22%5D%7D')
echo "$res" | jq -e --arg id "$id" '(.ImagesDeleted | map(.Deleted) | index($id)) != null and .SpaceReclaimed > 0' >/dev/null \
  || fail "prune -a: $res"
assert_eq "$(netctl image ls -q | wc -l)" 0 "images left after prune -a"
[ -z "$(find "$ND_ROOT/tmp" -mindepth 1 2>/dev/null)" ] || fail "spool/save temp files left: $(ls "$ND_ROOT/tmp")"
grep -q "image import id=" "$ND_LOG" || fail "no import log line"
log "ok"
