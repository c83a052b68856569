#!/usr/bin/env python3
"""Runs a command (`make test`: swift test) as a child subreaper, so every process it starts and
leaves behind, however deep (an nginx worker whose master was killed, a server a crashed test
never stopped), is re-parented here when its parent dies. After the command: anything still
alive is listed, killed, and the run fails. Standard library only.

Usage: no-leftovers.py COMMAND [ARG...]   (exit status: the command's, or 1 for leftovers)"""
import ctypes, os, signal, subprocess, sys, time

PR_SET_CHILD_SUBREAPER = 36
GRACE_SECONDS = 5.0  # the test process SIGKILLs its servers at exit: let them finish dying


def children():
    """(pid, description) of our live children: zombies are reaped, not listed."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
    me, found = os.getpid(), []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) != me or fields[0] in "ZX":
                continue
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            cwd = os.readlink(f"/proc/{name}/cwd")
        except (OSError, IndexError, ValueError):
            continue
        found.append((int(name), f"pid {name} (cwd {cwd}): {cmd}"))
    return found


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit(f"no-leftovers: prctl(PR_SET_CHILD_SUBREAPER) failed: errno {ctypes.get_errno()}")
    command = subprocess.Popen(sys.argv[1:])
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda number, _: command.send_signal(number))
    status = command.wait()

    deadline = time.monotonic() + GRACE_SECONDS
    left = children()
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = children()
    if not left:
        return status
    print(f"no-leftovers: {len(left)} process(es) outlived `{' '.join(sys.argv[1:])}`; killing them:", file=sys.stderr)
    # Killing one can re-parent its own children here: repeat until nothing is left.
    for _ in range(20):
        for pid, description in left:
            print(f"    {description}", file=sys.stderr)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)
        left = children()
        if not left:
            break
    return status if status != 0 else 1


if __name__ == "__main__":
    sys.exit(main())
