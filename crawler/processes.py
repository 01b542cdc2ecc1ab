"""Child-process hygiene shared by the service's crawl workers and the parse workers."""
from __future__ import annotations

import os
import signal
from pathlib import Path

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int | None = None, signal_number: int = signal.SIGTERM) -> None:
    """In a child: get SIGTERM (or `signal_number`) when the parent dies, even by kill -9 (Linux; elsewhere a no-op).

    The signal is armed only from now on: a parent that died while this child was still
    starting sends nothing. Given the `parent_pid` it was started by, the child checks
    after arming and exits at once when it has already been orphaned.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal_number)
    except OSError:
        pass  # not Linux: the parent's own shutdown still stops its children
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(0)


def process_tree(pid: int) -> list[int]:
    """`pid` and every live descendant of it (Linux /proc; just `[pid]` where /proc cannot tell)."""
    tree, index = [pid], 0
    while index < len(tree):
        tasks = Path(f"/proc/{tree[index]}/task")
        index += 1
        try:
            threads = list(tasks.iterdir())
        except OSError:
            continue
        for thread in threads:
            try:
                tree.extend(int(child) for child in (thread / "children").read_text().split())
            except (OSError, ValueError):
                continue
    return tree


def resident_bytes(pid: int) -> int:
    """Resident memory of one process (VmRSS), 0 when it is gone or /proc cannot tell."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def tree_resident_bytes(pid: int) -> int:
    """Resident memory of `pid` and its descendants (a crawl worker and its parse workers)."""
    return sum(resident_bytes(member) for member in process_tree(pid))
