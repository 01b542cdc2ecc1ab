"""Is the process that started a crawl run still running it? (Linux /proc, else a signal probe.)"""
from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

# A process that started this long after the run is another process that got the
# same pid; the slack covers clock-tick rounding and a run row written a moment late.
_REUSE_SLACK_SECONDS = 5.0


def run_process_alive(pid: int, run_started_at: datetime) -> bool:
    """True when process `pid` exists and is not a newer process reusing the pid."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    started = process_start_time(pid)
    if started is None:
        return True  # no /proc: existence is all we can tell
    return started.timestamp() <= run_started_at.timestamp() + _REUSE_SLACK_SECONDS


def process_start_time(pid: int) -> datetime | None:
    """When `pid` started, from /proc (None where /proc cannot tell)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(
            int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime ")
        )
    except (OSError, StopIteration, ValueError):
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": the comm may hold spaces
    ticks = int(fields[19])  # field 22 of proc(5): starttime, in clock ticks after boot
    return datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"), tz=UTC)
