# SPDX-License-Identifier: Apache-2.0
# Helpers for the netctl explain tests (sourced after lib.sh and ctr_lib.sh):
# ask explain for a verdict, send a real packet the same way, compare; and
# run every hop's command to see that it shows the object explain names.

# ex SRC DST[:PORT][/proto]: explain's answer (JSON) in $EX
ex() { EX=$(netctl explain --format json "$@" 2>&1) || fail "netctl explain $*: $EX"; }
ex_result() { jq -r .verdict.result <<<"$EX"; }
ex_show() { jq -c '{v: .verdict, hops: [.hops[] | .kind + ": " + .object]}' <<<"$EX"; }

# ex_hops_ok: every hop's command, run now, shows the object explain names
ex_hops_ok() {
  local n i cmd obj out
  n=$(jq '.hops | length' <<<"$EX")
  [ "$n" -gt 0 ] || fail "explain gave no hops: $EX"
  for ((i = 0; i < n; i++)); do
    cmd=$(jq -r ".hops[$i].command" <<<"$EX")
    obj=$(jq -r ".hops[$i].object" <<<"$EX")
    [ -n "$cmd" ] || fail "hop $i has no command: $(jq -c ".hops[$i]" <<<"$EX")"
    if [ -n "${EX_IN:-}" ]; then out=$(in_ns "$EX_IN" sh -c "$cmd" 2>&1) || true   # the netd of lab host EX_IN
    else out=$(sh -c "$cmd" 2>&1) || true; fi
    if [[ $obj == "none on :"* ]]; then # no listener: the command lists no socket on the port
      grep -qE -- "${obj#none on }\b" <<<"$out" && fail "hop $i: \`$cmd\` shows a listener: $out"
      continue
    fi
    grep -qiF -- "$obj" <<<"$out" ||
      fail "hop $i ($(jq -r ".hops[$i].kind" <<<"$EX")): \`$cmd\` does not show \"$obj\": $out"
  done
}

# a real packet's fate, in explain's words, from what the client says:
# connected -> delivered, refused -> no-listener, unreachable -> no-route,
# nothing within the timeout -> dropped
fate_of() { # RC OUTPUT
  local rc=$1 out=$2
  [ "$rc" = 0 ] || log "the client said (exit $rc): ${out//$'\n'/ | }"
  if [ "$rc" = 0 ]; then echo delivered
  elif grep -qi "no buffer space" <<<"$out"; then echo lost-locally # the shared ARP table is full
  elif grep -qi "refused" <<<"$out"; then echo no-listener
  elif grep -qiE "unreachable|no route" <<<"$out"; then echo no-route
  else echo dropped
  fi
}
# tcp_from_ctr CTR ADDR PORT / tcp_from CMD-PREFIX... ADDR PORT: a TCP connect (busybox nc)
tcp_from_ctr() {
  local rc=0 out
  out=$(netctl exec "$1" sh -c "nc -w 2 $2 $3 </dev/null" 2>&1) || rc=$?
  fate_of "$rc" "$out"
}
tcp_from() { # PREFIX-CMD... ADDR PORT (e.g. in_ns outside)
  local n=$# addr port rc=0 out
  addr=${@:n-1:1}; port=${@:n:1}
  out=$("${@:1:n-2}" busybox nc -w 2 "$addr" "$port" </dev/null 2>&1) || rc=$?
  fate_of "$rc" "$out"
}
ping_from_ctr() {
  local rc=0 out
  out=$(netctl exec "$1" ping -c 1 -W 2 "$2" 2>&1) || rc=$?
  # busybox ping prints nothing for an ICMP error: "unreachable" comes from connect-less send errors
  fate_of "$rc" "$out"
}
ctr_ip() { netctl inspect "$1" | jq -r "[.[0].NetworkSettings.Networks[] | .IPAddress][${2:-0}]"; }

# expect LABEL SRC DST CMD...: explain's verdict equals the fate of a real
# packet that CMD sends (printed in explain's words: fate_of), and every
# hop's command shows its object. A mismatch is measured again (twice) before
# it fails: the ARP table is shared by every namespace of the machine, and
# when other tests fill it a packet is lost now and then ("neighbor table
# overflow", ENOBUFS).
expect() {
  local label=$1 src=$2 dst=$3; shift 3
  ex "$src" "$dst"
  local got real try
  got=$(ex_result)
  for try in 1 2 3 4 5; do
    real=$("$@")
    [ "$got" = "$real" ] && break
    [ "$real" = lost-locally ] && [ "$try" -lt 5 ] && { sleep 1; continue; } # no sync: a shared table drains
    log "$label: the real packet was $real (try $try), explain says $got: again"
  done
  log "$label: explain=$got real=$real"
  [ "$got" = "$real" ] || fail "$label: explain says $got, the real packet was $real: $(ex_show)"
  ex_hops_ok
}

# netd_rule_packets CHAIN COMMENT: the counter of a rule of netd's table
netd_rule_packets() {
  nft list chain inet netd "$1" | grep -F "comment \"netd:$2\"" | sed -n 's/.*counter packets \([0-9]*\) .*/\1/p' | head -1
}
