"""Timing a command as a child process: wall time, CPU time and peak RSS via ``os.wait4``."""
from __future__ import annotations

import os
import resource
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Measured:
    """One finished child process."""

    returncode: int
    seconds: float  # wall clock, process start to reap
    peak_rss_kb: int  # ru_maxrss (KB on Linux)
    cpu_seconds: float  # user + system time of the child
    parent_cpu_seconds: float  # our own CPU time meanwhile (the in-process site server)
    out_path: Path  # the child's stdout
    log_path: Path  # the child's stderr
    listen_overflows: int | None  # connections the kernel dropped meanwhile, system-wide (Linux only)

    @property
    def peak_rss_mb(self) -> float:
        return self.peak_rss_kb / 1024


def run_measured(
    command: Sequence[str],
    *,
    out_path: Path,
    log_path: Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    progress: Callable[[float], None] | None = None,
    progress_every: float = 5.0,
    stdin_path: Path | None = None,
) -> Measured:
    """Run `command` to completion, stdin from `stdin_path` (else ours), stdout into
    `out_path`, stderr into `log_path`.

    `progress(elapsed)` is called from a helper thread every `progress_every` seconds
    while the child runs, so long phases show signs of life.
    """
    parent_before, overflows_before = _own_cpu(), listen_overflows()
    stdin = stdin_path.open("rb") if stdin_path is not None else nullcontext()
    with stdin as given, out_path.open("wb") as out, log_path.open("wb") as log:
        started = time.perf_counter()
        child = subprocess.Popen(list(command), stdin=given, stdout=out, stderr=log, cwd=cwd, env=env)
        done = threading.Event()
        ticker = _start_ticker(done, started, progress, progress_every) if progress else None
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            done.set()
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # already reaped: tell Popen
        if ticker is not None:
            ticker.join()
    overflows_after = listen_overflows()
    return Measured(
        returncode=child.returncode,
        seconds=seconds,
        peak_rss_kb=int(usage.ru_maxrss),
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        parent_cpu_seconds=_own_cpu() - parent_before,
        out_path=out_path,
        log_path=log_path,
        listen_overflows=(
            None if overflows_before is None or overflows_after is None else overflows_after - overflows_before
        ),
    )


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _start_ticker(
    done: threading.Event, started: float, progress: Callable[[float], None], every: float
) -> threading.Thread:
    def tick() -> None:
        while not done.wait(every):
            progress(time.perf_counter() - started)

    thread = threading.Thread(target=tick, name="benchmark-progress", daemon=True)
    thread.start()
    return thread


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def listen_overflows() -> int | None:
    """The kernel's count of connections dropped because a listen queue was full (Linux).

    System-wide: other programs' servers add to it too.

    A rise during a crawl means the server accepts connections too slowly for the
    crawler's concurrency: clients wait for SYN retransmits (1 s, 2 s, 4 s …).
    """
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return None
    # a header line, then its values; a last header without its values line is skipped
    for header, values in zip(lines[::2], lines[1::2], strict=False):
        names, numbers = header.split(), values.split()
        if names and names[0] == "TcpExt:" and "ListenOverflows" in names:
            return int(numbers[names.index("ListenOverflows")])
    return None


@contextmanager
def work_directory(keep: Path | None, prefix: str = "presswatch-bench-") -> Iterator[Path]:
    """Where a benchmark writes: `keep` (created if missing, left in place), else a
    temporary directory removed afterwards."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep.resolve()
        return
    with tempfile.TemporaryDirectory(prefix=prefix, ignore_cleanup_errors=True) as scratch:
        yield Path(scratch)
