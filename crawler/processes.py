"""Child-process hygiene shared by the service's crawl runs and the parse workers."""
from __future__ import annotations

import os
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int | None = None) -> None:
    """In a child: get SIGTERM when the parent dies, even by kill -9 (Linux; elsewhere a no-op).

    The signal is armed only from now on: a parent that died while this child was still
    starting sends nothing. Given the `parent_pid` it was started by, the child checks
    after arming and exits at once when it has already been orphaned.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: the parent's own shutdown still stops its children
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(0)
