#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Pull, push and login against real registries the test runs on loopback
# (Debian's docker-registry): anonymous over plain HTTP, htpasswd Basic auth
# over TLS with the test's CA in certs.d, round trips with skopeo (identical
# digests) and umoci (identical rootfs), `netctl run` of a missing image,
# and bad input: wrong password, invalid names, another platform only, an
# oversized manifest, a manifest whose digest does not match, a corrupted
# blob (nothing left in the store), TLS without trust.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry_lib.sh"
reg_need

A=127.0.0.1:5101       # anonymous, plain HTTP
B=127.0.0.1:5102       # htpasswd Basic, TLS (the test's CA)
reg_start anon 5101 anon
reg_start basic 5102 htpasswd tls
mkdir -p "$ND_ROOT/certs.d/$B"
cp "$T/ca.crt" "$ND_ROOT/certs.d/$B/ca.crt"
nd_test_bpf
printf '{ %s, "insecure-registries": ["%s"], "max-download-attempts": 2, "max-concurrent-downloads": 1 }\n' "$(nd_test_bpf_json)" "$A" > "$T/netd.json"
nd_start --config "$T/netd.json"
api() { curl -s --unix-socket "$ND_SOCK" "$@"; }
images_count() { api http://netd/images/json | jq length; }

# ---- an image in the anonymous registry, put there by skopeo ----
mkimage "$T/oci" v1 4M 300k 2M > "$T/oci.digest"
skopeo copy -q --dest-tls-verify=false "oci:$T/oci:v1" "docker://$A/test/app:v1"
want=$(skopeo inspect --tls-verify=false --raw "docker://$A/test/app:v1" | sha256sum | cut -d' ' -f1)
[ "sha256:$want" = "$(cat "$T/oci.digest")" ] || fail "skopeo changed the manifest on the way"

log "pull (anonymous, plain HTTP), not on a terminal: plain lines and a summary"
netctl pull "$A/test/app:v1" > "$T/pull.out" || fail "pull failed: $(cat "$T/pull.out")"
grep -q "Pull complete" "$T/pull.out" || fail "no per-layer lines: $(cat "$T/pull.out")"
grep -q "Digest: sha256:$want" "$T/pull.out" || fail "no digest line: $(cat "$T/pull.out")"
grep -q "^pulled $A/test/app:v1 in " "$T/pull.out" || fail "no summary: $(cat "$T/pull.out")"
if grep -q $'\x1b' "$T/pull.out"; then fail "terminal escapes in plain output"; fi
netctl image inspect "$A/test/app:v1" | jq -e --arg d "$A/test/app@sha256:$want" '.[0].RepoDigests | index($d) != null' >/dev/null ||
  log "(RepoDigests does not list the pulled digest)"

log "the rootfs equals umoci's unpack of the same image"
umoci unpack --rootless --image "$T/oci:v1" "$T/umoci" >/dev/null 2>&1 || fail "umoci unpack failed"
gd=$(netctl image inspect "$A/test/app:v1" | jq -r '.[0].GraphDriver.Data | .UpperDir + ":" + .LowerDir')
mkdir "$T/mnt" && mount -t overlay overlay -o "ro,lowerdir=$gd" "$T/mnt" && on_exit "umount '$T/mnt'"
(cd "$T/umoci/rootfs" && find . -type f -exec sha256sum {} + | sort -k2) > "$T/umoci.sums"
(cd "$T/mnt" && find . -type f -exec sha256sum {} + | sort -k2) > "$T/netd.sums"
[ -s "$T/netd.sums" ] || fail "netd's rootfs is empty"
diff "$T/umoci.sums" "$T/netd.sums" >/dev/null || fail "rootfs differs from umoci's: $(diff "$T/umoci.sums" "$T/netd.sums" | head -5)"
umount "$T/mnt"

log "on a terminal: one line per layer, redrawn in place, with a bar and bytes"
mkimage "$T/oci" tty 3M 1M > /dev/null
skopeo copy -q --dest-tls-verify=false "oci:$T/oci:tty" "docker://$A/test/tty:v1"
script -qec "$NETCTL_BIN pull $A/test/tty:v1" /dev/null > "$T/tty.out" < /dev/null || fail "pull on a tty failed: $(cat "$T/tty.out")"
grep -q $'\x1b\\[[0-9]*A' "$T/tty.out" || fail "no in-place redraw on a terminal: $(cat -v "$T/tty.out" | head -5)"
grep -q '\[=*>* *\] *[0-9.]*[kM]*B/[0-9.]*[kM]B' "$T/tty.out" || fail "no bar with bytes on a terminal: $(cat -v "$T/tty.out" | head -5)"

log "two pulls of one image at once: both succeed, each blob fetched once"
mkimage "$T/oci" twice 6M 2M > /dev/null
skopeo copy -q --dest-tls-verify=false "oci:$T/oci:twice" "docker://$A/test/twice:1"
b0=$(reg_blob_bytes anon)
netctl pull -q "$A/test/twice:1" & p1=$!
netctl pull -q "$A/test/twice:2" 2>/dev/null & p2=$!   # no such tag: fails on its own
netctl pull -q "$A/test/twice:1" || fail "the second of two concurrent pulls failed"
wait $p1 || fail "the first of two concurrent pulls failed"
wait $p2 && fail "a pull of a missing tag worked"
csize=$(skopeo inspect --tls-verify=false --raw "docker://$A/test/twice:1" | jq '[.layers[].size] | add')
got=$(( $(reg_blob_bytes anon) - b0 ))
[ "$got" -lt $((csize * 3 / 2)) ] || fail "two concurrent pulls fetched $got bytes of a $csize-byte image"

log "pull again: up to date, nothing fetched"
before=$(reg_blob_bytes anon)
netctl pull "$A/test/app:v1" > "$T/pull2.out"; grep -q "Image is up to date" "$T/pull2.out" || fail "second pull not up to date: $(cat "$T/pull2.out")"
[ "$(reg_blob_bytes anon)" = "$before" ] || fail "second pull fetched blobs again"

log "push to another repository: blobs mounted or skipped, manifest identical; skopeo reads it back"
netctl image tag "$A/test/app:v1" "$A/other/copy:v2"
netctl push "$A/other/copy:v2" > "$T/push.out" || fail "push failed: $(cat "$T/push.out")"
grep -q "Mounted from test/app" "$T/push.out" || fail "no cross-repository mount: $(cat "$T/push.out")"
grep -q "v2: digest: sha256:$want" "$T/push.out" || fail "push digest differs: $(cat "$T/push.out")"
got=$(skopeo inspect --tls-verify=false --raw "docker://$A/other/copy:v2" | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "pushed manifest differs: $got vs $want"
skopeo copy -q --src-tls-verify=false "docker://$A/other/copy:v2" "oci:$T/back:v2" || fail "skopeo cannot pull netd's push"

log "docker's API: POST /images/create?fromImage= streams JSON progress"
netctl image rm "$A/other/copy:v2" >/dev/null
api -X POST "http://netd/v1.43/images/create?fromImage=$A/other/copy&tag=v2" > "$T/api.out"
jq -s -e 'map(select(.status == "Pull complete" or .status == "Already exists")) | length == 3' "$T/api.out" >/dev/null || fail "API stream: $(cat "$T/api.out")"
jq -s -e 'map(select(.status | startswith("Status: "))) | length == 1' "$T/api.out" >/dev/null || fail "API stream has no status line"

log "a bigger push goes in chunks; skopeo reads it back with the same digest"
mkimage "$T/oci" big --compress none 40M > /dev/null
skopeo copy -q "oci:$T/oci:big" "docker-archive:$T/big.tar:$A/test/big:1" 2>/dev/null || fail "skopeo docker-archive"
netctl image load -i "$T/big.tar" >/dev/null || fail "load"
netctl push "$A/test/big:1" > "$T/pushbig.out" || fail "push big: $(cat "$T/pushbig.out")"
pd=$(sed -n 's/^1: digest: \(sha256:[0-9a-f]*\) size.*/\1/p' "$T/pushbig.out")
sd=$(skopeo inspect --tls-verify=false --raw "docker://$A/test/big:1" | sha256sum | cut -d' ' -f1)
[ "$pd" = "sha256:$sd" ] || fail "big push: netd says $pd, registry serves sha256:$sd"
grep -q 'PATCH /v2/test/big/blobs/uploads/' "$T/reg-anon/registry.log" || fail "no chunked upload (PATCH) for a 40 MB blob"

log "htpasswd Basic auth over TLS (CA in certs.d): push needs login, wrong password refused"
skopeo copy -q --dest-cert-dir "$ND_ROOT/certs.d/$B" --dest-creds "$REG_USER:$REG_PASS" "oci:$T/oci:v1" "docker://$B/sec/app:v1"
out=$(netctl pull "$B/sec/app:v1" 2>&1) && fail "anonymous pull from an auth registry worked"
echo "$out" | grep -qi "authentication required\|login" || fail "unclear error without credentials: $out"
out=$(echo wrong | netctl login -u "$REG_USER" --password-stdin "$B" 2>&1) && fail "login with a wrong password worked"
echo "$out" | grep -qi "incorrect username or password" || fail "unclear wrong-password error: $out"
[ ! -e "$ND_ROOT/config.json" ] || ! grep -q "$B" "$ND_ROOT/config.json" || fail "wrong password stored"
printf '%s\n' "$REG_PASS" | netctl login -u "$REG_USER" --password-stdin "$B" | grep -q "Login Succeeded" || fail "login failed"
[ "$(stat -c %a "$ND_ROOT/config.json")" = 600 ] || fail "config.json is not mode 0600"
jq -e --arg b "$B" '.auths[$b].auth' "$ND_ROOT/config.json" >/dev/null || fail "config.json has no auths entry"
netctl pull "$B/sec/app:v1" >/dev/null || fail "pull with stored Basic credentials failed"
netctl image tag "$B/sec/app:v1" "$B/sec/pushed:v1"
netctl push "$B/sec/pushed:v1" >/dev/null || fail "push with Basic credentials failed"
netctl logout "$B" >/dev/null
jq -e --arg b "$B" '.auths[$b] == null' "$ND_ROOT/config.json" >/dev/null || fail "logout left the credentials"
echo "$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$ND_SOCK" -X POST \
  -H "X-Registry-Auth: $(printf '{"username":"%s","password":"%s"}' "$REG_USER" "$REG_PASS" | base64 -w0 | tr '+/' '-_')" \
  "http://netd/images/create?fromImage=$B/sec/app&tag=v1")" | grep -q 200 || fail "pull with X-Registry-Auth failed"
xra=$(printf '{"auth":"%s"}' "$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64 -w0)" | base64 -w0)
echo "$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$ND_SOCK" -X POST -H "X-Registry-Auth: $xra" \
  "http://netd/images/create?fromImage=$B/sec/app&tag=v1")" | grep -q 200 || fail "pull with X-Registry-Auth {auth} failed"
xra=$(printf '{"username":"%s","password":"wrong"}' "$REG_USER" | base64 -w0)
code=$(curl -s -o "$T/xra.out" -w '%{http_code}' --unix-socket "$ND_SOCK" -X POST -H "X-Registry-Auth: $xra" \
  "http://netd/images/create?fromImage=$B/sec/app&tag=v1")
[ "$code" = 401 ] || fail "a wrong password in X-Registry-Auth answered $code: $(cat "$T/xra.out")"
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$ND_SOCK" -X POST -H "X-Registry-Auth: %%%" \
  "http://netd/images/create?fromImage=$B/sec/app&tag=v1")
[ "$code" = 400 ] || fail "a malformed X-Registry-Auth answered $code"

log "TLS without trust: a clear error naming certs.d"
rm -rf "$ND_ROOT/certs.d"
out=$(netctl pull "$B/sec/app:v1" 2>&1) && fail "pull from an untrusted TLS registry worked"
echo "$out" | grep -q "certs.d" || fail "TLS error does not say what to do: $out"

log "bad input"
n0=$(images_count)
out=$(netctl pull "$A/Bad/UPPER:v1" 2>&1) && fail "invalid name accepted"
echo "$out" | grep -qi "invalid" || fail "unclear invalid-name error: $out"
out=$(netctl pull "$A/test/app:nope" 2>&1) && fail "missing tag pulled"
echo "$out" | grep -qi "not found\|unknown" || fail "unclear missing-tag error: $out"
# an index for another platform only
mkimage "$T/oci" arm 100k > "$T/arm.digest"
md=$(cat "$T/arm.digest"); msz=$(stat -c %s "$T/oci/blobs/sha256/${md#sha256:}")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"s390x","os":"linux"}}]}' "$md" "$msz" > "$T/index.json"
skopeo copy -q --dest-tls-verify=false "oci:$T/oci:arm" "docker://$A/test/arm:tmp"
curl -sf -X PUT -H "Content-Type: application/vnd.oci.image.index.v1+json" --data-binary @"$T/index.json" "http://$A/v2/test/arm/manifests/multi" || fail "put index"
out=$(netctl pull "$A/test/arm:multi" 2>&1) && fail "a pull for another platform worked"
echo "$out" | grep -q "no matching manifest for linux/amd64.*linux/s390x" || fail "unclear platform error: $out"
# a registry of the test's own that misbehaves: an oversized manifest, a lying digest, 503s
"$REG_PY" "$REG_DIR/fake_registry.py" 5109 > "$T/fake.out" 2>&1 &
on_exit "kill $!"
poll 10 curl -sf http://127.0.0.1:5109/v2/ || fail "fake registry did not start"
F=127.0.0.1:5109
nd_stop
printf '{ %s, "insecure-registries": ["%s", "%s"], "registry-mirrors": ["http://%s"], "max-download-attempts": 2, "max-concurrent-downloads": 1 }\n' \
  "$(nd_test_bpf_json)" "$A" "$F" "$A" > "$T/netd.json"
nd_start --config "$T/netd.json"
# a docker.io name goes to the mirror
skopeo copy -q --dest-tls-verify=false "oci:$T/oci:arm" "docker://$A/library/mirrored:v1"
netctl pull mirrored:v1 >/dev/null || fail "pull through the registry mirror failed"
grep -q '"GET /v2/library/mirrored/manifests/v1' "$T/reg-anon/registry.log" || fail "the mirror was not asked"
netctl image inspect docker.io/library/mirrored:v1 >/dev/null || fail "the mirrored image is not docker.io/library/mirrored:v1"
out=$(netctl pull "$F/fake/huge" 2>&1) && fail "an oversized manifest was pulled"
echo "$out" | grep -q "larger than 4194304 bytes" || fail "unclear oversized-manifest error: $out"
out=$(netctl pull "$F/fake/lying" 2>&1) && fail "a manifest with a lying digest was pulled"
echo "$out" | grep -q "digest mismatch" || fail "unclear digest-mismatch error: $out"
out=$(netctl pull "$F/fake/flaky" 2>&1) && fail "a pull from a failing registry worked"
echo "$out" | grep -qi "try later" || fail "unclear 503 error: $out"
out=$(netctl pull "$A/test/arm@sha256:$(printf '0%.0s' $(seq 64))" 2>&1) && fail "pull of an unknown digest worked"
echo "$out" | grep -qi "not found\|unknown" || fail "unclear unknown-digest error: $out"
# a corrupted layer blob: the registry serves bytes that do not hash to the digest
n0=$(images_count)
mkimage "$T/oci" corrupt 3M 1M > /dev/null
skopeo copy -q --dest-tls-verify=false "oci:$T/oci:corrupt" "docker://$A/test/corrupt:1"
lay=$(jq -r '.layers[0].digest' "$T/oci/blobs/sha256/$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="corrupt") | .digest' "$T/oci/index.json" | cut -d: -f2)")
data=$T/reg-anon/data/docker/registry/v2/blobs/sha256/${lay:7:2}/${lay#sha256:}/data
[ -f "$data" ] || fail "cannot find the registry's blob file"
printf 'XXXX' | dd of="$data" bs=1 seek=1000 conv=notrunc status=none
out=$(netctl pull "$A/test/corrupt:1" 2>&1) && fail "a corrupted blob was pulled"
echo "$out" | grep -q "digest mismatch" || fail "unclear corrupted-blob error: $out"
[ "$(images_count)" = "$n0" ] || fail "a failed pull left an image"
[ ! -e "$ND_ROOT/images/blobs/sha256/${lay#sha256:}" ] || fail "the corrupted blob is in the store"
[ ! -e "$ND_ROOT/images/partial/${lay#sha256:}" ] || fail "the corrupted blob's partial file is left to resume from"
[ -z "$(ls -A "$ND_ROOT/images/tmp")" ] || fail "staging dirs left: $(ls "$ND_ROOT/images/tmp")"

log "netctl run of an image netd does not have pulls it first"
netctl image rm "$A/test/app:v1" >/dev/null
out=$(netctl create "$A/test/app:v1" /bin/sh 2>"$T/run.err") || fail "create of a missing image failed: $(cat "$T/run.err")"
grep -q "Unable to find image" "$T/run.err" || fail "no 'Unable to find image' line"
netctl image inspect "$A/test/app:v1" >/dev/null || fail "the image was not pulled"
netctl rm "$out" >/dev/null
log "ok"
