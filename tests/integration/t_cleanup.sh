#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `netd --cleanup` leaves the host as it was before the first netd: after a
# netd with a network, two containers publishing ports, a sandbox, and its
# rules in a foreign drop-policy forward chain is SIGKILLed, --cleanup
# removes everything it made; `ip -d link`, `nft list ruleset`, the bpffs,
# the cgroup trees and the mounts are then what they were before (the
# foreign table exactly as the test wrote it). --cleanup is refused, with
# nothing changed, while netd runs; a second --cleanup removes nothing; a
# netd started after it re-creates its networks' bridges (definitions stay).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"

command -v nft >/dev/null || skip "nft (the witness) is not installed"
command -v bpftool >/dev/null || skip "bpftool (the witness) is not installed"
command -v curl >/dev/null || skip "curl missing"
nft list tables >/dev/null 2>&1 || skip "nftables unavailable in this kernel"

# ---- our own cgroups: the eBPF cgroup (lib.sh) and one per v1 hierarchy -------------
# netd, its shims and containers (and this shell) live below them, so the
# containers' cgroup parents ("netd") are ours alone and can be compared.
nd_test_bpf
[ -n "$ND_TEST_CG" ] || skip "no cgroup2 dir / bpffs for the eBPF programs"
MYCGS=("$ND_TEST_CG")
echo $$ > "$ND_TEST_CG/cgroup.procs"
cg_back="echo \$\$ > '$(dirname "$ND_TEST_CG")/cgroup.procs'; "
# at exit, also on failure (containers still running): everything below them
cg_drain_tree() { local c; find "$1" -depth -type d 2>/dev/null | while read -r c; do cg_drain "$c"; done; }
while IFS=: read -r _ ctrls path; do
  [ -n "$ctrls" ] || continue                      # the unified line: ND_TEST_CG
  h=/sys/fs/cgroup/${ctrls#name=}
  [ -d "$h$path" ] || continue
  d=$h$path/netd-test-${T##*.}
  mkdir "$d" || continue
  [ -f "$d/cpuset.cpus" ] && cat "$h$path/cpuset.cpus" > "$d/cpuset.cpus" && cat "$h$path/cpuset.mems" > "$d/cpuset.mems"
  echo $$ > "$d/cgroup.procs" || { rmdir "$d"; continue; }
  MYCGS+=("$d")
  cg_back+="echo \$\$ > '$h$path/cgroup.procs'; "
done <<<"$(cat /proc/self/cgroup)"
# leave our cgroups, then empty and remove them (before lib.sh's cg_drain of
# ND_TEST_CG, registered earlier: it runs later)
on_exit "$cg_back for d in ${MYCGS[*]}; do cg_drain_tree \$d; done"

ctr_setup
NETD_CFG=$T/netd-test.json
printf '{ %s }\n' "$(nd_test_bpf_json)" > "$NETD_CFG"
cleanup() { "$NETD_BIN" --root "$ND_ROOT" --exec-root "$ND_EXEC" --socket "$ND_SOCK" --config "$NETD_CFG" --cleanup; }

# (without what moves by itself: bridge timers, rule counters)
snap_link() { ip -d link | sed -E 's/[a-z_]+_timer +[0-9.]+//g'; }
snap_nft() { nft list ruleset | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'; }
snap_bpf() { find "$T/bpf" | sort; bpftool cgroup show "$ND_TEST_CG"; }
snap_cg() { local d; for d in "${MYCGS[@]}"; do find "$d" -type d; done | sort; }
snap_mnt() { grep -F " $T/" /proc/self/mounts | awk '{print $2, $3}' | grep -v " bpf$" | sort || true; }
snap_all() { printf '== link\n%s\n== nft\n%s\n== bpf\n%s\n== cgroups\n%s\n== mounts\n%s\n' \
  "$(snap_link)" "$(snap_nft)" "$(snap_bpf)" "$(snap_cg)" "$(snap_mnt)"; }

before=$(snap_all)
log "before the first netd:"; echo "$before" >&2

# ---- a netd with everything -----------------------------------------------------------
nd_start --config "$NETD_CFG"
assert_eq "$(api GET /info | jq -r .PortProxyMode)" ebpf "PortProxyMode"
netctl network create --subnet 172.31.0.0/24 cn >/dev/null
netctl run -d --name c1 --hostname c1 --net cn -p 8080:80 -e CGI="$WEB_CGI" bb sh -c "$WEB_SRV" >/dev/null
netctl run -d --name c2 --hostname c2 --net cn -p 8081:80 -e CGI="$WEB_CGI" bb sh -c "$WEB_SRV" >/dev/null
get() { curl -sS --max-time 3 "http://$1/cgi-bin/ip" 2>&1; }
poll 20 has '^c1 ' get 127.0.0.1:8080 || fail "c1 through 127.0.0.1:8080: $(get 127.0.0.1:8080)"
poll 20 has '^c2 ' get 127.0.0.1:8081 || fail "c2 through 127.0.0.1:8081: $(get 127.0.0.1:8081)"
sb=$(api POST /sandboxes '{"Name":"sb1"}' | jq -r .Id)
api POST /networks/cn/connect "{\"Container\":\"$sb\"}" >/dev/null || fail "connect the sandbox"
# a foreign table whose forward chain drops by default: netd adds its rules there
nft -f - <<'NFT'
table ip admin {
	chain fwd_drop {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "lo" accept comment "the owner's own rule"
	}
}
NFT
foreign=$(nft list table ip admin)
poll 10 has 'netd: into' nft list table ip admin || fail "netd added no rule to the foreign chain: $(nft list table ip admin)"
[ "$(bpftool cgroup show "$ND_TEST_CG" | grep -c ' nd_')" -ge 8 ] || fail "programs not attached: $(bpftool cgroup show "$ND_TEST_CG")"
[ "$(ctr_mounts)" -ge 2 ] || fail "no rootfs mounts"

# ---- refused while netd runs, nothing changed ---------------------------------------------
running=$(snap_all)
set +e; out=$(cleanup 2>"$T/refused.err"); rc=$?; set -e
[ $rc -ne 0 ] || fail "--cleanup while netd runs succeeded: $out"
assert_eq "$out" "" "--cleanup while netd runs printed removals"
grep -q "running" "$T/refused.err" || fail "no clear refusal: $(cat "$T/refused.err")"
assert_eq "$(snap_all)" "$running" "the refused --cleanup changed something"
# a wrong --root (no lock to find) on this netd's exec root: refused as well
set +e; out=$("$NETD_BIN" --root "$T/other-root" --exec-root "$ND_EXEC" --config "$NETD_CFG" --cleanup 2>"$T/refused.err"); rc=$?; set -e
[ $rc -ne 0 ] || fail "--cleanup with another root on a live exec root succeeded: $out"
assert_eq "$out" "" "--cleanup with another root printed removals"
grep -q "running with exec root" "$T/refused.err" || fail "no clear refusal: $(cat "$T/refused.err")"
assert_eq "$(snap_all)" "$running" "the refused --cleanup (other root) changed something"
[ ! -e "$T/other-root" ] || fail "the refused --cleanup made $T/other-root"
has '^c1 ' get 127.0.0.1:8080 || fail "c1 broken by a refused --cleanup"

# ---- SIGKILL, then --cleanup --------------------------------------------------------------------
shims=$(pgrep -f netd-shim | paste -sd' ' || true)
nd_kill
set +e; out=$(cleanup 2>"$T/cleanup.err"); rc=$?; set -e
echo "$out" >&2; cat "$T/cleanup.err" >&2
[ $rc -eq 0 ] || fail "--cleanup failed ($rc): $(cat "$T/cleanup.err")"
for want in "container [0-9a-f]\{12\} (c1)" "container [0-9a-f]\{12\} (c2)" "network namespace .*(sandbox" \
            "interface .*(network cn)" "interface netd0 (network bridge)" "nft table inet netd" \
            "nft rule ip admin fwd_drop" "eBPF link .*link_nd_connect4 (detached)" "cgroup .*/netd$" "exec root $ND_EXEC"; do
  grep -q "^removed $want" <<<"$out" || fail "--cleanup did not say: removed $want"
done
# every line says what it removed
[ -z "$(grep -v '^removed ' <<<"$out")" ] || fail "unexpected output: $out"
# the containers' processes are gone (killed, not just forgotten)
poll 10 bash -c '! pgrep -x httpd' || fail "container processes left: $(pgrep -a httpd)"
for p in $shims; do poll 10 bash -c "! kill -0 $p" || fail "shim $p left"; done
assert_eq "$(nft list table ip admin)" "$foreign" "the foreign table is back to what the test wrote"
nft delete table ip admin
same() { [ "$(snap_all)" = "$before" ]; }
poll 10 same || { diff <(echo "$before") <(snap_all) >&2; fail "the host is not as before the first netd"; }
[ ! -e "$ND_EXEC" ] || fail "exec root left"

# ---- idempotent ---------------------------------------------------------------------------------
set +e; out=$(cleanup 2>/dev/null); rc=$?; set -e
assert_eq "$rc" 0 "second --cleanup exit status"
assert_eq "$out" "" "second --cleanup removed something"

# ---- the definitions stayed: a new netd re-creates the bridges, containers are gone -------------
nd_start --config "$NETD_CFG"
assert_eq "$(netctl network ls --format json | jq -r '.[].Name' | grep -cx cn)" 1 "network cn kept"
br=$(ip -o link show type bridge | awk -F': ' '{print $2}' | grep -v '^netd0$' | head -1)
[ -n "$br" ] || fail "the bridge of cn was not re-created"
assert_eq "$(netctl ps -aq | wc -l)" 0 "containers after --cleanup"
assert_eq "$(netctl sandbox ls -q | wc -l)" 0 "sandboxes after --cleanup"
nd_stop
set +e; out=$(cleanup 2>/dev/null); rc=$?; set -e
assert_eq "$rc" 0 "third --cleanup exit status"
poll 10 same || { diff <(echo "$before") <(snap_all) >&2; fail "not as before after the third --cleanup"; }
log "ok"
