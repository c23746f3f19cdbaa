#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# exec and attach through netd's API: hijacked connections (101 UPGRADED,
# Docker's frames without a tty, raw with one), stdin half-close, bytes sent
# right behind the request head, exec's security context (seccomp,
# capabilities, user, env, cwd) equal to the container's, Docker's exit codes
# (126/127) and statuses (409 on a stopped container, 400 on a field netd
# cannot honour), netctl exec/attach/run -it driven through a pty, resize.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
command -v python3 >/dev/null || skip "python3 missing (the pty driver and the raw API client)"
PTY="python3 $NETD_SRC/tests/integration/pty_run.py --timeout 20"

ctr_setup
nd_start

# raw_api PATH JSON STDIN [UNTIL]: POST PATH with "Upgrade: tcp" and JSON,
# STDIN sent in the same write as the request head, then half-close; prints
#   <status line>|<content-type>|<stdout bytes>|<stderr bytes>
# decoding Docker's frames (or raw with a raw-stream), until netd closes (or
# until stdout holds UNTIL: then we close).
raw_api() {
  python3 - "$ND_SOCK" "$1" "$2" "$3" "${4:-}" <<'PY'
import socket, sys
sock, path, body, data = sys.argv[1], sys.argv[2], sys.argv[3].encode(), sys.argv[4].encode()
until = sys.argv[5].encode()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
s.connect(sock)
head = (f"POST {path} HTTP/1.1\r\nHost: netd\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n").encode()
s.sendall(head + body + data)      # stdin right behind the request: must not be lost
s.shutdown(socket.SHUT_WR)         # and then our EOF
buf = b""
while b"\r\n\r\n" not in buf:
    c = s.recv(65536)
    if not c:
        break
    buf += c
h, _, rest = buf.partition(b"\r\n\r\n")
lines = h.decode().split("\r\n")
ctype = next((l.split(":", 1)[1].strip() for l in lines if l.lower().startswith("content-type:")), "")
out = {1: b"", 2: b""}
raw = "raw-stream" in ctype
while True:
    if raw:
        out[1] += rest
        rest = b""
    else:
        while len(rest) >= 8 and len(rest) >= 8 + int.from_bytes(rest[4:8], "big"):
            kind, n = rest[0], int.from_bytes(rest[4:8], "big")
            assert rest[1:4] == b"\0\0\0", "bad frame padding"
            out[kind] += rest[8:8 + n]
            rest = rest[8 + n:]
    if until and until in out[1]:
        break
    c = s.recv(65536)
    if not c:
        break
    rest += c
assert rest == b"", "truncated frame"
print(f"{lines[0]}|{ctype}|{out[1].decode()}|{out[2].decode()}")
PY
}

netctl run -d --name c1 -e CVAR=from-container -w /srv bb sleep 300 >/dev/null
cid=$(netctl inspect c1 | jq -r '.[0].Id')

log "exec over a raw hijacked connection (API)"
xid=$(api POST /containers/c1/exec '{"Cmd":["sh","-c","read l; echo got:$l; echo e >&2; exit 3"],"AttachStdin":true,"AttachStdout":true,"AttachStderr":true}' | jq -r .Id)
[ ${#xid} -eq 64 ] || fail "exec create gave no ID: $xid"
v=$(api GET "/exec/$xid/json")
assert_eq "$(jq -c '[.Running, .ExitCode, .ContainerID == "'"$cid"'", .OpenStdin, .ProcessConfig.entrypoint]' <<<"$v")" \
  '[false,null,true,true,"sh"]' "exec before start"
out=$(raw_api "/exec/$xid/start" '{"Detach":false,"Tty":false}' $'hello\n')
assert_eq "$out" $'HTTP/1.1 101 UPGRADED|application/vnd.docker.multiplexed-stream|got:hello\n|e' "exec stream"
assert_eq "$(api GET "/exec/$xid/json" | jq -c '[.Running, .ExitCode, .Pid]')" '[false,3,0]' "exec after exit"
# without "Upgrade: tcp": Docker's 200 OK and the same stream until netd closes
xp=$(api POST /containers/c1/exec '{"Cmd":["echo","plain"],"AttachStdout":true}' | jq -r .Id)
curl -sS --unix-socket "$ND_SOCK" -D "$T/head" -o "$T/body" -X POST -H 'Content-Type: application/json' -d '{}' \
  "http://netd/exec/$xp/start"
assert_eq "$(head -1 "$T/head" | tr -d '\r')" "HTTP/1.1 200 OK" "start without Upgrade"
assert_eq "$(od -An -tx1 "$T/body" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')" '01 00 00 00 00 00 00 06 70 6c 61 69 6e 0a' "the 200 stream's frame"
st=$(api_status POST "/exec/$xid/start" '{}')
assert_eq "$st" 409 "a second start of one exec"
xt=$(api POST /containers/c1/exec '{"Cmd":["tty"],"AttachStdout":true,"Tty":true}' | jq -r .Id)
out=$(raw_api "/exec/$xt/start" '{"Tty":true}' '')
[[ "$out" == 'HTTP/1.1 101 UPGRADED|application/vnd.docker.raw-stream|/dev/pts/'* ]] || fail "tty exec stream: $out"

log "exec: refused fields, missing objects, a stopped container"
assert_eq "$(api_status POST /containers/c1/exec '{"Cmd":["true"],"Privileged":true}')" 400 "Privileged"
msg=$(api POST /containers/c1/exec '{"Cmd":["true"],"Bogus":1}' 2>&1 || true)
[[ "$msg" == *'field \"Bogus'* ]] || fail "an unknown field is not named: $msg"
assert_eq "$(api_status POST /containers/c1/exec '{"Cmd":[]}')" 400 "empty Cmd"
assert_eq "$(api_status POST /containers/c1/exec '{"Cmd":["true"],"DetachKeys":"ctrl-1"}')" 400 "bad DetachKeys"
assert_eq "$(api_status POST /containers/nope/exec '{"Cmd":["true"]}')" 404 "no such container"
assert_eq "$(api_status GET /exec/0123456789abcdef0123/json)" 404 "no such exec"
assert_eq "$(api_status POST "/exec/$xid/resize?h=x&w=1")" 400 "bad resize"

log "netctl exec: output, exit codes, stdin half-close, context"
assert_eq "$(netctl exec c1 sh -c 'echo out; echo err >&2' 2>"$T/err")" out "exec stdout"
assert_eq "$(cat "$T/err")" err "exec stderr"
set +e
netctl exec c1 sh -c 'exit 7'; rc=$?
netctl exec c1 nope 2>"$T/err"; rc2=$?
netctl exec c1 /etc/passwd 2>/dev/null; rc3=$?
set -e
assert_eq "$rc" 7 "exec exit code"
assert_eq "$rc2" 127 "exec of a missing command"
grep -q 'executable file not found' "$T/err" || fail "127 message: $(cat "$T/err")"
assert_eq "$rc3" 126 "exec of a non-executable"
# our EOF closes the process's stdin: cat ends, netctl returns
out=$(printf 'line1\nline2\n' | timeout 20 "$NETCTL_BIN" exec -i c1 cat) || fail "exec -i did not return after stdin EOF"
assert_eq "$out" $'line1\nline2' "exec -i"
# 1 MiB through stdin and back: flow control both ways
head -c 1048576 /dev/urandom > "$T/big"
timeout 30 "$NETCTL_BIN" exec -i c1 cat < "$T/big" > "$T/big.out" || fail "exec -i of 1 MiB"
cmp -s "$T/big" "$T/big.out" || fail "1 MiB through exec -i came back different ($(stat -c %s "$T/big.out") bytes)"
assert_eq "$(netctl exec c1 sh -c 'echo $CVAR $XVAR; pwd')" $'from-container\n/srv' "container env and cwd"
assert_eq "$(netctl exec -e XVAR=x -e CVAR=over -w /tmp -u 1000:1000 c1 sh -c 'echo $CVAR $XVAR; pwd; id -u; id -g')" \
  $'over x\n/tmp\n1000\n1000' "exec -e -w -u"
# the exec'd process has the container's seccomp filter and capabilities
init=$(netctl exec c1 cat /proc/1/status)
self=$(netctl exec c1 cat /proc/self/status)
[ "$(awk '/^Seccomp:/{print $2}' <<<"$self")" = 2 ] || fail "exec without seccomp: $(grep Seccomp <<<"$self")"
for f in Seccomp CapEff CapPrm CapBnd NoNewPrivs; do
  assert_eq "$(awk -v f="$f:" '$1==f{print $2}' <<<"$self")" "$(awk -v f="$f:" '$1==f{print $2}' <<<"$init")" "exec $f vs the container's init"
done
# cgroup: the container's
assert_eq "$(netctl exec c1 cat /proc/self/cgroup)" "$(netctl exec c1 cat /proc/1/cgroup)" "exec cgroup"
# detached: runs, leaves no stream
netctl exec -d c1 sh -c 'echo done > /tmp/detached'
poll 10 netctl exec c1 test -f /tmp/detached || fail "exec -d did not run"
xd=$(api POST /containers/c1/exec '{"Cmd":["sleep","123"]}' | jq -r .Id)
assert_eq "$(api_status POST "/exec/$xd/start" '{"Detach":true}')" 200 "detached start"
v=$(api GET "/exec/$xd/json")
assert_eq "$(jq -c '[.Running, .ExitCode]' <<<"$v")" '[true,null]' "a running exec"
pid=$(jq -r .Pid <<<"$v")
assert_eq "$(tr '\0' ' ' < "/proc/$pid/cmdline")" "sleep 123 " "exec Pid is the process's"

log "netctl exec -it through a pty: terminal, size, resize, exit code"
set +e
out=$($PTY --rows 33 --cols 111 --expect '# ' --send 'tty; stty size\n' --expect '33 111' \
      --winch 40,120 --send 'stty size\n' --expect '40 120' --send 'exit 9\n' -- "$NETCTL_BIN" exec -it c1 sh); rc=$?
set -e
assert_eq "$rc" 9 "exec -it exit code"
[[ "$out" == *"/dev/pts/"* ]] || fail "exec -it has no terminal: $out"
# the detach keys leave the process running and netctl returns 0
set +e
$PTY --expect '# ' --send 'sleep 111\n' --send '\x10\x11' -- "$NETCTL_BIN" exec -it c1 sh >/dev/null; rc=$?
set -e
assert_eq "$rc" 0 "exec -it detached by ctrl-p,ctrl-q"
poll 10 has 'sleep 111' netctl exec c1 ps || fail "the detached exec's process is gone"

log "netctl run -it and attach through a pty"
set +e
out=$($PTY --expect '# ' --send 'echo in-$((6*7))\n' --expect 'in-42' --send 'exit 5\n' -- "$NETCTL_BIN" run -it --rm bb sh); rc=$?
set -e
assert_eq "$rc" 5 "run -it exit code"
assert_eq "$(netctl ps -aq | wc -l)" 1 "run -it --rm left a container"
netctl run -d -it --name t1 bb sh >/dev/null
set +e
out=$($PTY --send '\n' --expect '# ' --send 'echo att-$((2+3))\n' --expect 'att-5' --send 'exit 4\n' -- "$NETCTL_BIN" attach t1); rc=$?
set -e
assert_eq "$rc" 4 "attach exit code"
poll 10 has '"exited"' netctl inspect t1 || fail "t1 did not exit"
# a fast tty command's output is not lost (the shim may already be gone)
assert_eq "$($PTY -- "$NETCTL_BIN" run -t --rm bb echo quick | tr -d '\r')" quick "run -t of a fast command"

log "non-tty attach: stdin of an OpenStdin container, frames, StdinOnce"
netctl run -d -i --name cat1 bb cat >/dev/null
out=$(raw_api "/containers/cat1/attach?stream=1&stdin=1&stdout=1&stderr=1" '' $'to-cat\n' to-cat)
assert_eq "$out" $'HTTP/1.1 101 UPGRADED|application/vnd.docker.multiplexed-stream|to-cat\n|' "attach stdin -> cat -> stdout"
has '"running"' netctl inspect cat1 || fail "cat1 stopped without StdinOnce"
# run -i (StdinOnce): our EOF is the container's
assert_eq "$(printf 'a\nb\n' | timeout 20 "$NETCTL_BIN" run -i --rm bb sort -r)" $'b\na' "run -i with piped stdin"
set +e; netctl run --rm bb sh -c 'echo o; echo e >&2; exit 3' >"$T/o" 2>"$T/e"; rc=$?; set -e
assert_eq "$rc:$(cat "$T/o"):$(cat "$T/e")" "3:o:e" "attached run, non-tty"

log "container resize and exec records dying with the container"
assert_eq "$(api_status POST '/containers/t1/resize?h=10&w=10')" 409 "resize of a stopped container"
netctl stop -t 1 c1 >/dev/null
assert_eq "$(api_status POST /containers/c1/exec '{"Cmd":["true"]}')" 409 "exec into a stopped container"
set +e; netctl exec c1 true 2>/dev/null; rc=$?; set -e
assert_eq "$rc" 125 "netctl exec into a stopped container"
assert_eq "$(api_status GET "/exec/$xid/json")" 200 "exec record after the stop"
netctl rm c1 >/dev/null
assert_eq "$(api_status GET "/exec/$xid/json")" 404 "exec record after the container's removal"
netctl rm -f t1 cat1 >/dev/null
poll 10 bash -c '[ -z "$(netctl ps -aq)" ]' || fail "containers left"
log "ok"
