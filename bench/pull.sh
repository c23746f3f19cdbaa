#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/pull.sh [SIZE_MB] [RUNS]: pull + unpack and push of a multi-layer OCI
# image (~200 MB uncompressed, 5 gzip layers: many small files and a few big
# ones, half compressible) against Debian's docker-registry on loopback:
#   pull:  `netctl pull` (netd: parallel downloads, verified while streaming,
#          unpacked into overlay2 dirs as the bytes arrive) vs
#          `skopeo copy docker://... oci:` + `umoci unpack` (what a user would
#          otherwise run to get the same rootfs from the same registry);
#   push:  `netctl push` vs `skopeo copy oci: docker://...` of the same image
#          to an empty registry.
# Best of RUNS (default 3) each (medians too), with a fresh netd store / a fresh registry
# for every run; prints seconds, MB/s and the ratios.
# Runs in namespaces of its own (unshare -nm --pid): the registry, netd and
# every client live and die there. Needs root, skopeo, umoci, python3 and the
# docker-registry binary (scripts/fetch-registry.sh puts it in the cache).
set -euo pipefail
BUILD=${NETD_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}
REG_BIN=${NETD_REGISTRY:-${XDG_CACHE_HOME:-/var/cache}/netd-test/docker-registry}
if [ -z "${_PULL_BENCH_INNER:-}" ]; then
  [ "$(id -u)" = 0 ] || { echo "bench/pull.sh: needs root (namespaces, overlay dirs with owners)" >&2; exit 1; }
  [ -x "$BUILD/netd/netd" ] && [ -x "$BUILD/cli/netctl" ] || { echo "bench/pull.sh: build netd first ($BUILD)" >&2; exit 1; }
  [ -x "$REG_BIN" ] || { echo "bench/pull.sh: no docker-registry at $REG_BIN: run scripts/fetch-registry.sh" >&2; exit 1; }
  for t in skopeo umoci python3 curl; do command -v $t >/dev/null || { echo "bench/pull.sh: $t missing" >&2; exit 1; }; done
  exec env _PULL_BENCH_INNER=1 NETD_BUILD="$BUILD" timeout -k 5 "${BENCH_TIMEOUT:-900}" \
    unshare -nm --pid --fork --mount-proc --propagation private bash "$0" "$@"
fi
SIZE=${1:-200}
RUNS=${2:-3}
ip link set lo up
W=$(mktemp -d /var/tmp/netd-bench-pull.XXXXXX)
NDPID=
cleanup() {
  set +e
  [ -n "$NDPID" ] && kill "$NDPID" && wait "$NDPID"
  kill $(jobs -p) 2>/dev/null; wait 2>/dev/null
  grep -F " $W" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l
  rm -rf "$W"
}
trap cleanup EXIT

# ---- the image ----
python3 "$(dirname "$0")/mklayers.py" "$W" "$SIZE" 5
L=$W/oci
umoci init --layout "$L" >/dev/null
umoci new --image "$L:b" >/dev/null
for l in 0 1 2 3 4; do umoci raw add-layer --image "$L:b" "$W/l$l.tar" >/dev/null; done
raw_mb=$(du -cm "$W"/l?.tar | tail -1 | cut -f1)
rm -f "$W"/l?.tar

# ---- registries: A serves the pulls, B takes the pushes (emptied each run) ----
reg() { # NAME PORT
  mkdir -p "$W/reg-$1"
  printf 'version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s}, delete: {enabled: true}}\nhttp: {addr: "127.0.0.1:%s"}\n' \
    "$W/reg-$1/data" "$2" > "$W/reg-$1/config.yml"
  "$REG_BIN" serve "$W/reg-$1/config.yml" > "$W/reg-$1/log" 2>&1 &
  eval "REGPID_$1=$!"
  for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$2/v2/" && return 0; sleep 0.05; done
  echo "registry $1 did not start" >&2; exit 1
}
reg A 5301
reg B 5302
A=127.0.0.1:5301 B=127.0.0.1:5302
skopeo copy -q --dest-tls-verify=false "oci:$L:b" "docker://$A/bench/img:1"
comp_mb=$(( $(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$A/v2/bench/img/manifests/1" |
  python3 -c 'import json,sys; print(sum(l["size"] for l in json.load(sys.stdin)["layers"]))') >> 20 ))

export NETD_HOST=unix://$W/netd.sock
nd_start() {
  { grep -F " $W/r" /proc/self/mounts || true; } | awk '{print $2}' | sort -r | xargs -r -n1 umount -l
  rm -rf "$W/root" "$W/run"; mkdir -p "$W/root" "$W/run"
  printf '{"userland-proxy": true, "insecure-registries": ["%s", "%s"]}\n' "$A" "$B" > "$W/netd.json"
  "$BUILD/netd/netd" --root "$W/root" --exec-root "$W/run" --socket "$W/netd.sock" --config "$W/netd.json" \
    --log-level warn >> "$W/netd.log" 2>&1 &
  NDPID=$!
  for _ in $(seq 200); do curl -sf --unix-socket "$W/netd.sock" http://netd/_ping >/dev/null && return 0; sleep 0.05; done
  echo "netd did not start: $(tail -5 "$W/netd.log")" >&2; exit 1
}
nd_stop() { kill "$NDPID"; wait "$NDPID" || true; NDPID=; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
best() { sort -n | head -1; }

t_nd_pull=(); t_sk_pull=(); t_nd_push=(); t_sk_push=()
for i in $(seq "$RUNS"); do
  nd_start; sync
  s=$(date +%s%N); "$BUILD/cli/netctl" pull -q "$A/bench/img:1"; t_nd_pull+=("$(ms "$s")")
  # push to an emptied registry B
  kill "$REGPID_B"; wait "$REGPID_B" 2>/dev/null || true; rm -rf "$W/reg-B/data"; reg B 5302
  "$BUILD/cli/netctl" image tag "$A/bench/img:1" "$B/bench/nd:1"
  s=$(date +%s%N); "$BUILD/cli/netctl" push -q "$B/bench/nd:1"; t_nd_push+=("$(ms "$s")")
  nd_stop
  rm -rf "$W/sk" "$W/bundle"; sync
  s=$(date +%s%N)
  skopeo copy -q --src-tls-verify=false "docker://$A/bench/img:1" "oci:$W/sk:1"
  umoci unpack --image "$W/sk:1" "$W/bundle" >/dev/null 2>&1
  t_sk_pull+=("$(ms "$s")")
  kill "$REGPID_B"; wait "$REGPID_B" 2>/dev/null || true; rm -rf "$W/reg-B/data"; reg B 5302
  s=$(date +%s%N); skopeo copy -q --dest-tls-verify=false "oci:$W/sk:1" "docker://$B/bench/sk:1"; t_sk_push+=("$(ms "$s")")
done
np=$(printf '%s\n' "${t_nd_pull[@]}" | best); sp=$(printf '%s\n' "${t_sk_pull[@]}" | best)
nq=$(printf '%s\n' "${t_nd_push[@]}" | best); sq=$(printf '%s\n' "${t_sk_push[@]}" | best)
rate() { awk -v mb="$1" -v ms="$2" 'BEGIN { printf "%.0f", mb * 1000 / ms }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "# image: 5 gzip layers, ${raw_mb} MB uncompressed, ${comp_mb} MB compressed; docker-registry $(cat "$(dirname "$REG_BIN")/docker-registry.version" 2>/dev/null || echo '?') on loopback; best of $RUNS"
printf '%-44s %8s %10s %10s\n' "operation" "seconds" "MB/s(raw)" "vs netd"
printf '%-44s %8.2f %10s %10s\n' "netd pull + unpack (netctl pull)" "$(ratio "$np" 1000)" "$(rate "$raw_mb" "$np")" "1.00"
printf '%-44s %8.2f %10s %10s\n' "skopeo copy docker:// oci: + umoci unpack" "$(ratio "$sp" 1000)" "$(rate "$raw_mb" "$sp")" "$(ratio "$sp" "$np")"
printf '%-44s %8.2f %10s %10s\n' "netd push (netctl push)" "$(ratio "$nq" 1000)" "$(rate "$comp_mb" "$nq")" "1.00"
printf '%-44s %8.2f %10s %10s\n' "skopeo copy oci: docker://" "$(ratio "$sq" 1000)" "$(rate "$comp_mb" "$sq")" "$(ratio "$sq" "$nq")"
echo "pull + unpack: netd is $(ratio "$sp" "$np")x faster than skopeo + umoci (target >= 1.5x)"
echo "push: netd is $(ratio "$sq" "$nq")x the speed of skopeo"
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
mp=$(printf '%s\n' "${t_nd_pull[@]}" | median); ms_=$(printf '%s\n' "${t_sk_pull[@]}" | median)
mq=$(printf '%s\n' "${t_nd_push[@]}" | median); mr=$(printf '%s\n' "${t_sk_push[@]}" | median)
echo "medians: pull $(ratio "$ms_" "$mp")x, push $(ratio "$mr" "$mq")x (a busy machine moves the best-of figures)"
echo "runs (ms): netd pull ${t_nd_pull[*]} | skopeo+umoci ${t_sk_pull[*]} | netd push ${t_nd_push[*]} | skopeo push ${t_sk_push[*]}"
