#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The token flow and long transfers, against Debian's docker-registry with
# token auth (a token issuer of the test's own, tokens that expire in 10 s)
# and an anonymous registry behind a rate limit on loopback:
#   - anonymous pull through a token; push refused without login; a wrong
#     password refused; login, push, pull back with identical digests;
#   - a pull killed (netd SIGKILLed) at half of a large layer: nothing in the
#     store, and the next pull fetches at most ~55% of the bytes again, even
#     though the registry dies in the middle of it and comes back;
#   - a 200 MB push that outlives several 10 s tokens.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry_lib.sh"
reg_need
command -v tc >/dev/null || skip "tc (iproute2) missing"

A=127.0.0.1:5201       # anonymous, plain HTTP, rate-limited
K=127.0.0.1:5202       # token auth (issuer on 6202), plain HTTP
reg_start anon 5201 anon
REG_TOKEN_TTL=10 reg_start tok 5202 token
nd_test_bpf
printf '{ %s, "insecure-registries": ["%s", "%s"] }\n' "$(nd_test_bpf_json)" "$A" "$K" > "$T/netd.json"
nd_start --config "$T/netd.json"
images_count() { curl -s --unix-socket "$ND_SOCK" http://netd/images/json | jq length; }

log "token auth: anonymous pull gets a pull token; push needs login; wrong password refused"
mkimage "$T/oci" small 2M 500k > "$T/small.digest"
skopeo copy -q --dest-tls-verify=false --dest-creds "$REG_USER:$REG_PASS" "oci:$T/oci:small" "docker://$K/team/small:1"
netctl pull "$K/team/small:1" > "$T/p1.out" || fail "anonymous token pull failed: $(cat "$T/p1.out")"
grep -q " - repository:team/small:pull" "$T/reg-tok/tokens.log" || fail "no anonymous pull token was issued: $(cat "$T/reg-tok/tokens.log")"
netctl image tag "$K/team/small:1" "$K/team/copy:1"
out=$(netctl push "$K/team/copy:1" 2>&1) && fail "anonymous push worked"
echo "$out" | grep -qi "denied\|login\|authentication" || fail "unclear anonymous-push error: $out"
out=$(echo nope | netctl login -u "$REG_USER" --password-stdin "$K" 2>&1) && fail "wrong password accepted"
echo "$out" | grep -qi "incorrect username or password" || fail "unclear wrong-password error: $out"
printf '%s\n' "$REG_PASS" | netctl login -u "$REG_USER" --password-stdin "$K" >/dev/null || fail "login failed"
netctl push "$K/team/copy:1" > "$T/push1.out" || fail "push after login failed: $(cat "$T/push1.out")"
grep -q "Mounted from team/small" "$T/push1.out" || fail "no cross-repository mount: $(cat "$T/push1.out")"
got=$(skopeo inspect --tls-verify=false --creds "$REG_USER:$REG_PASS" --raw "docker://$K/team/copy:1" | sha256sum | cut -d' ' -f1)
[ "sha256:$got" = "$(cat "$T/small.digest")" ] || fail "pushed manifest differs"

log "a 200 MB image (160 MB + 40 MB layers) in the anonymous registry"
mkimage "$T/oci" big --compress none 160M 40M > "$T/big.digest"
skopeo copy -q --dest-tls-verify=false "oci:$T/oci:big" "docker://$A/test/big:1"
# skopeo compresses the layers on the way: what the registry serves counts
curl -sf -H "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json" \
  "http://$A/v2/test/big/manifests/1" > "$T/big.manifest" || fail "cannot read the big manifest back"
echo "sha256:$(sha256sum < "$T/big.manifest" | cut -d' ' -f1)" > "$T/big.digest"
man=$T/big.manifest
L0=$(jq -r '.layers[0].digest' "$man"); S0=$(jq -r '.layers[0].size' "$man")
TOTAL=$(jq '[.layers[].size] | add' "$man")

log "pull at 400 Mbit/s, netd killed at half of the 160 MB layer"
tc qdisc add dev lo root tbf rate 400mbit burst 256kb latency 200ms
on_exit "tc qdisc del dev lo root"
part=$ND_ROOT/images/partial/${L0#sha256:}
netctl pull "$A/test/big:1" > "$T/pkill.out" 2>&1 &
half() { [ -f "$part" ] && [ "$(stat -c %s "$part")" -ge $((S0 / 2)) ]; }
poll 60 half || { ls -la "$ND_ROOT/images/partial" "$ND_ROOT/images/tmp"; cat "$T/pkill.out"; tail -20 "$T/reg-anon/registry.log"; grep -v debug "$ND_LOG" | tail; fail "the pull never reached half of the layer"; }
nd_kill
wait $! 2>/dev/null || true
have=$(stat -c %s "$part")
[ "$have" -lt "$S0" ] || fail "the layer was complete before the kill"
log "killed with $have of $S0 bytes of the big layer on disk"
nd_start --config "$T/netd.json"
[ "$(images_count)" = 1 ] || fail "an image appeared from the killed pull"
[ -z "$(ls -A "$ND_ROOT/images/tmp")" ] || fail "staging dirs survived the restart"

log "pull again; the registry dies in the middle and comes back"
# bytes the registry sends, counted by the kernel (the access log misses the
# request that was in flight when the registry died)
nft add table inet regtest
on_exit "nft delete table inet regtest"
nft add chain inet regtest out '{ type filter hook output priority 0; }'
nft add rule inet regtest out tcp sport 5201 counter
sent() { nft -j list chain inet regtest out | jq '[.nftables[] | .rule? | select(.) | .expr[] | .counter? | select(.) | .bytes] | add'; }
before=$(sent)
netctl pull "$A/test/big:1" > "$T/p2.out" 2>&1 &
pullpid=$!
threeq() { [ -f "$part" ] && [ "$(stat -c %s "$part")" -ge $((S0 * 3 / 4)) ]; }
poll 60 threeq || fail "the second pull never reached 3/4 of the layer"
reg_stop anon
poll 20 grep -q "retry 1" "$ND_LOG" || fail "netd did not retry after the registry died"
reg_restart anon
wait $pullpid || fail "the pull did not survive the registry's restart: $(cat "$T/p2.out")"
refetched=$(( $(sent) - before ))
log "refetched $refetched of $TOTAL bytes ($((refetched * 100 / TOTAL))%)"
[ $((refetched * 100)) -le $((TOTAL * 55)) ] || fail "refetched $refetched bytes, more than 55% of $TOTAL"
grep -q "resuming at" "$ND_LOG" || fail "netd did not say it resumed"
[ ! -e "$part" ] || fail "the partial file was left after a complete pull"
netctl image inspect "$A/test/big:1" >/dev/null || fail "the image is not there"
tc qdisc del dev lo root

log "a 200 MB push at 100 Mbit/s with 10 s tokens"
netctl image tag "$A/test/big:1" "$K/team/big:1"
tc qdisc add dev lo root tbf rate 100mbit burst 256kb latency 200ms
n0=$(grep -c "team/big:.*push" "$T/reg-tok/tokens.log" || true)
t0=$(date +%s)
netctl push "$K/team/big:1" > "$T/pbig.out" || fail "the 200 MB push failed: $(tail -3 "$T/pbig.out")"
secs=$(( $(date +%s) - t0 ))
tc qdisc del dev lo root
ntok=$(( $(grep -c "team/big:.*push" "$T/reg-tok/tokens.log") - n0 ))
log "push took ${secs}s and $ntok tokens"
[ "$secs" -gt 10 ] || fail "the push took ${secs}s: not longer than a token's life, the test proves nothing"
[ "$ntok" -ge 2 ] || fail "only $ntok token(s) for a ${secs}s push with 10 s tokens"
got=$(skopeo inspect --tls-verify=false --creds "$REG_USER:$REG_PASS" --raw "docker://$K/team/big:1" | sha256sum | cut -d' ' -f1)
[ "sha256:$got" = "$(cat "$T/big.digest")" ] || fail "the pushed manifest differs"
log "a client that goes away cancels its pull; the partial blob stays until prune"
netctl image rm "$A/test/big:1" "$K/team/big:1" >/dev/null
netctl image prune -a -f >/dev/null
[ ! -e "$ND_ROOT/images/blobs/sha256/${L0#sha256:}" ] || fail "prune kept the big layer's blob"
n1=$(images_count)
tc qdisc add dev lo root tbf rate 400mbit burst 256kb latency 200ms
"$NETCTL_BIN" pull "$A/test/big:1" > /dev/null 2>&1 & cpid=$!
quarter() { [ -f "$part" ] && [ "$(stat -c %s "$part")" -ge $((S0 / 4)) ]; }
poll 60 quarter || fail "the pull never reached a quarter of the layer"
kill -KILL $cpid; wait $cpid 2>/dev/null || true
poll 20 grep -q "registry pull name=$A/test/big:1 failed.*cancelled" "$ND_LOG" || { grep -v "level=debug" "$ND_LOG" | tail -5; fail "netd did not cancel the pull of a client that went away"; }
tc qdisc del dev lo root
[ -f "$part" ] || fail "the cancelled pull did not keep its partial blob"
[ "$(images_count)" = "$n1" ] || fail "a cancelled pull left an image"
netctl image prune -f >/dev/null
[ ! -e "$part" ] || fail "prune left the partial blob"
log "ok"
