#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Drive a command through a pseudo-terminal, as a user at a terminal would.

pty_run.py [--timeout S] [--rows R --cols C] STEP... -- CMD [ARG...]
  STEP: --expect REGEX  wait until the output so far matches REGEX
        --send TEXT     type TEXT (Python escapes: \\n, \\x10 ...)
        --winch R,C     resize the terminal (the child gets SIGWINCH)
Prints everything the command wrote to the terminal on stdout, and exits
with the command's exit status; 124 when a step or the exit timed out
(what was seen is printed to stderr then)."""
import os, pty, re, select, signal, struct, sys, time, fcntl, termios

def main():
    args = sys.argv[1:]
    timeout, rows, cols, steps = 20.0, 24, 80, []
    while args and args[0] != '--':
        a = args.pop(0)
        if a == '--timeout': timeout = float(args.pop(0))
        elif a == '--rows': rows = int(args.pop(0))
        elif a == '--cols': cols = int(args.pop(0))
        elif a in ('--expect', '--send', '--winch'): steps.append((a[2:], args.pop(0)))
        else: sys.exit('pty_run.py: unknown option ' + a)
    if not args or len(args) < 2:
        sys.exit('usage: pty_run.py [STEP...] -- CMD [ARG...]')
    cmd = args[1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    out = b''
    deadline = time.monotonic() + timeout

    def pump(wait):
        nonlocal out
        r, _, _ = select.select([fd], [], [], wait)
        if not r:
            return True
        try:
            data = os.read(fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        out += data
        return True

    def give_up(why):
        sys.stdout.buffer.write(out)
        sys.stderr.write('pty_run.py: timed out %s\n' % why)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        sys.exit(124)

    for kind, val in steps:
        if kind == 'expect':
            pat = re.compile(val.encode())
            while not pat.search(out):
                if time.monotonic() > deadline or not pump(0.05):
                    if not pat.search(out):
                        give_up('waiting for %r' % val)
        elif kind == 'send':
            os.write(fd, val.encode().decode('unicode_escape').encode('latin-1'))
        elif kind == 'winch':
            r, c = (int(x) for x in val.split(','))
            fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', r, c, 0, 0))
    # until the command exits (the terminal's EOF/EIO) or the deadline
    while True:
        if time.monotonic() > deadline:
            give_up('waiting for the exit')
        if not pump(0.05):
            wpid, st = os.waitpid(pid, os.WNOHANG)
            if wpid == 0:
                # EIO but the child lives (it closed the terminal): wait for it
                end = deadline
                while time.monotonic() < end:
                    wpid, st = os.waitpid(pid, os.WNOHANG)
                    if wpid:
                        break
                    time.sleep(0.02)
                else:
                    give_up('waiting for the exit')
            break
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    sys.exit(os.waitstatus_to_exitcode(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st))

main()
