# SPDX-License-Identifier: Apache-2.0
# Shared by t_ports.sh and t_ports_scale.sh (sourced after lib.sh): the
# test cgroup and bpffs, the nd-ports-test holder, servers and clients.

PT=$NETD_BUILD/tests/tools/nd-ports-test
MODE=${PORTS_MODE:-ebpf}
[ -x "$PT" ] || skip "$PT not built"
command -v nft >/dev/null || skip "nft (the witness) is not installed"
command -v python3 >/dev/null || skip "python3 (servers and clients) is not installed"
nft list tables >/dev/null 2>&1 || skip "nftables unavailable in this kernel"

# ---- a cgroup and a bpffs of our own ------------------------------------------
CGROOT=/sys/fs/cgroup/unified
[ "$(stat -fc %T $CGROOT 2>/dev/null)" = cgroup2fs ] || CGROOT=/sys/fs/cgroup
if [ "$MODE" = ebpf ]; then
  [ "$(stat -fc %T $CGROOT 2>/dev/null)" = cgroup2fs ] || skip "no cgroup2 mount for the eBPF programs"
fi
CG=$CGROOT/netd-test-ports-$(basename "$T")
mkdir -p "$T/bpf"
mount -t bpf bpf "$T/bpf" || { [ "$MODE" = ebpf ] && skip "cannot mount bpffs"; }
PIN=$T/bpf/netd
if [ -d "$CGROOT" ] && mkdir "$CG" 2>/dev/null; then
  orig_cg=$(awk -F: '$1=="0"{print $3}' /proc/self/cgroup)
  echo $$ > "$CG/cgroup.procs"
  on_exit "echo $$ > '$CGROOT$orig_cg/cgroup.procs'; cg_drain '$CG'"
else
  [ "$MODE" = ebpf ] && skip "cannot make a cgroup under $CGROOT"
fi

# ---- helpers: servers print "<name> <peer address>"; the holder of the handle -
cat > "$T/srv.py" <<'PY'
import socket, sys, threading
name, ports = sys.argv[1], [int(p) for p in sys.argv[2].split(',')]
def norm(a): return a[7:] if a.startswith('::ffff:') else a
def sock(kind, port):
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('::', port))
    return s
def tcp(port):
    s = sock(socket.SOCK_STREAM, port); s.listen(4096)
    while True:
        c, a = s.accept()
        try: c.sendall(f"{name} {norm(a[0])}\n".encode())
        except OSError: pass
        c.close()
def udp(port):
    s = sock(socket.SOCK_DGRAM, port)
    while True:
        d, a = s.recvfrom(2048)
        s.sendto(f"{name} {norm(a[0])}\n".encode(), a)
for p in ports:
    threading.Thread(target=tcp, args=(p,), daemon=True).start()
    threading.Thread(target=udp, args=(p,), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
PY
cat > "$T/cli.py" <<'PY'
import socket, sys
# cli.py tcp|udp|udpc HOST PORT [v6only] -> prints the server's line
#   tcp and udpc (connected UDP) check getpeername() is HOST PORT, udp and
#   udpc the source of the answer; v6only sets IPV6_V6ONLY on the socket
# cli.py many HOST FIRST N EXPECT -> checks N tcp ports answer with EXPECT, prints the count
def one(kind, host, port, timeout=2, v6only=False):
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM if kind == 'tcp' else socket.SOCK_DGRAM)
    with s:
        if v6only: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.settimeout(timeout)
        if kind in ('tcp', 'udpc'):
            s.connect((host, port))
            if s.getpeername()[:2] != (host, port): return f"wrong peer {s.getpeername()}"
        if kind == 'tcp':
            return s.makefile().readline().strip()
        for _ in range(3):
            if kind == 'udpc': s.send(b'hi')
            else: s.sendto(b'hi', (host, port))
            try:
                d, a = s.recvfrom(2048)
                if (a[1], a[0]) != (port, host): return f"wrong source {a}"
                return d.decode().strip()
            except socket.timeout: pass
    return ''
if sys.argv[1] == 'many':
    host, first, n, expect = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    ok = 0
    for p in range(first, first + n):
        try:
            if one('tcp', host, p).startswith(expect): ok += 1
            else: print(f"port {p}: wrong answer", file=sys.stderr)
        except OSError as e: print(f"port {p}: {e}", file=sys.stderr)
    print(ok)
else:
    try: print(one(sys.argv[1], sys.argv[2], int(sys.argv[3]), v6only=sys.argv[4:] == ['v6only']))
    except OSError as e: print(f"error {e}"); sys.exit(1)
PY

HOLDER=
holder_start() { # [extra args]
  rm -f "$T/in" "$T/out"; mkfifo "$T/in" "$T/out"
  "$PT" --cgroup "$CG" --pin "$PIN" --mode "$MODE" --log-level debug "$@" serve <"$T/in" >"$T/out" 2>>"$T/holder.log" &
  HOLDER=$!
  exec 3>"$T/in" 4<"$T/out"
  local l; read -r -t 20 l <&4 || fail "nd-ports-test did not start: $(tail -3 "$T/holder.log")"
  [[ "$l" == "ok ready mode=$MODE" ]] || fail "holder: $l"
}
holder_kill() { if [ -n "$HOLDER" ]; then kill -KILL "$HOLDER" 2>/dev/null || true; wait "$HOLDER" 2>/dev/null || true; fi; HOLDER=; exec 3>&- 4<&-; }
on_exit 'holder_kill'
REPLY_=
cmd() { echo "$*" >&3; read -r -t 120 REPLY_ <&4 || fail "no reply to: $*"; }
ok() { cmd "$@"; [[ "$REPLY_" == ok* ]] || fail "$*: $REPLY_"; }
err() { cmd "$@"; [[ "$REPLY_" == err* ]] || fail "$* should fail: $REPLY_"; }

ask() { python3 "$T/cli.py" "$@" 2>&1 || true; }            # from the host
ask_in() { local ns=$1; shift; in_ns "$ns" python3 "$T/cli.py" "$@" 2>&1 || true; }
expect() { # LABEL GOT WANT
  [ "$2" == "$3" ] || fail "$1: expected '$3', got '$2'"
}
