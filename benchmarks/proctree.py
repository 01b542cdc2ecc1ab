"""CPU time and memory of a process tree, read from /proc (Linux only, standard library).

The tree is a root process and all its live descendants, found through the `ppid` field
of /proc/<pid>/stat. Its CPU time is the sum, over the live members, of
utime + stime + cutime + cstime: a member that exits and is reaped by its parent moves
its own time (and that of its reaped children) into the parent's cutime/cstime, so the
sum neither loses nor double counts it. What it cannot see: a descendant that is
orphaned (its parent exits first) is re-parented outside the tree, and its time from
then on is lost; so is the time of a child whose parent ignores SIGCHLD (the kernel
reaps it without adding to cutime).

Memory is the sum of VmRSS (shared pages counted once per process: an overestimate for
forked workers) and, when /proc/<pid>/smaps_rollup is readable, of Pss (shared pages
split between their users: what the tree really costs).
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CONSISTENT_TRIES = 5


@dataclass(frozen=True, slots=True)
class ProcStat:
    """The fields of /proc/<pid>/stat a tree needs (CPU times in clock ticks)."""

    pid: int
    ppid: int
    state: str
    own_ticks: int  # utime + stime
    reaped_ticks: int  # cutime + cstime: children this process has waited for
    starttime: int  # ticks after boot: with the pid, identifies the process

    @property
    def cpu_ticks(self) -> int:
        return self.own_ticks + self.reaped_ticks


@dataclass(frozen=True, slots=True)
class TreeSample:
    """One look at the tree: its members, CPU seconds so far and memory now."""

    at: float  # time.monotonic()
    members: tuple[tuple[int, int], ...]  # (pid, starttime)
    cpu_seconds: float
    rss_kb: int
    pss_kb: int | None  # None when some member's smaps_rollup was unreadable

    @property
    def processes(self) -> int:
        return len(self.members)


def read_stat(pid: int) -> ProcStat | None:
    """The process's stat, or None when it is gone (or unreadable)."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # comm (field 2) is in parentheses and may hold spaces or ')': split after the last ')'.
    rest = text.rsplit(")", 1)[1].split()
    # rest[0] is field 3 (state); field n of proc(5) is rest[n - 3].
    return ProcStat(
        pid=pid,
        ppid=int(rest[1]),
        state=rest[0],
        own_ticks=int(rest[11]) + int(rest[12]),
        reaped_ticks=int(rest[13]) + int(rest[14]),
        starttime=int(rest[19]),
    )


def list_pids() -> list[int]:
    return [int(name) for name in os.listdir(PROC) if name.isdigit()]


def tree_of(root: int, stats: dict[int, ProcStat]) -> list[ProcStat]:
    """`root` and its descendants among `stats` (empty when `root` is not there)."""
    if root not in stats:
        return []
    children: dict[int, list[int]] = {}
    for stat in stats.values():
        children.setdefault(stat.ppid, []).append(stat.pid)
    members, pending = [], [root]
    while pending:
        pid = pending.pop()
        members.append(stats[pid])
        pending.extend(children.get(pid, ()))
    return members


def tree_stats(root: int) -> list[ProcStat]:
    """The tree's stats, read so that no member exits unseen in the middle of the read.

    A member reaped between reading its parent and reading it (or the other way round)
    would be lost (or counted twice): the read is repeated, up to a few times, when a
    process vanished during it or a member is gone right after it.
    """
    members: list[ProcStat] = []
    for _ in range(CONSISTENT_TRIES):
        pids = list_pids()
        stats = {stat.pid: stat for stat in map(read_stat, pids) if stat is not None}
        members = tree_of(root, stats)
        still_there = set(list_pids())
        if len(stats) == len(pids) and all(m.pid in still_there for m in members):
            break
    return members


def status_kb(pid: int, key: str = "VmRSS") -> int:
    """A `kB` field of /proc/<pid>/status; 0 when absent (zombies have no VmRSS) or gone."""
    return _kb_field(PROC / str(pid) / "status", key) or 0


def pss_kb(pid: int) -> int | None:
    """Pss from /proc/<pid>/smaps_rollup; None when unreadable (another user's process, gone)."""
    return _kb_field(PROC / str(pid) / "smaps_rollup", "Pss")


def _kb_field(path: Path, key: str) -> int | None:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return None
    prefix = key + ":"
    for line in lines:
        if line.startswith(prefix):
            return int(line.split()[1])
    return None


def sample_tree(root: int, *, with_pss: bool = True) -> TreeSample | None:
    """The tree under `root` now; None when `root` itself is gone."""
    members = tree_stats(root)
    if not members:
        return None
    rss = sum(status_kb(m.pid) for m in members)
    pss = _sum_or_none(pss_kb(m.pid) for m in members if m.state != "Z") if with_pss else None
    return TreeSample(
        at=time.monotonic(),
        members=tuple((m.pid, m.starttime) for m in members),
        cpu_seconds=sum(m.cpu_ticks for m in members) / CLOCK_TICKS,
        rss_kb=rss,
        pss_kb=pss,
    )


def _sum_or_none(values: Iterable[int | None]) -> int | None:
    total = 0
    for value in values:
        if value is None:
            return None
        total += value
    return total


def still_running(members: Iterable[tuple[int, int]]) -> list[int]:
    """The pids of `members` (pid, starttime) that still run as the same process."""
    alive = []
    for pid, starttime in members:
        stat = read_stat(pid)
        if stat is not None and stat.starttime == starttime and stat.state != "Z":
            alive.append(pid)
    return alive


@dataclass(slots=True)
class Peaks:
    """The largest tree seen in one phase."""

    rss_kb: int = 0
    pss_kb: int | None = None
    processes: int = 0
    samples: int = 0

    def add(self, sample: TreeSample) -> None:
        self.rss_kb = max(self.rss_kb, sample.rss_kb)
        if sample.pss_kb is not None:
            self.pss_kb = max(self.pss_kb or 0, sample.pss_kb)
        self.processes = max(self.processes, sample.processes)
        self.samples += 1

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "rss_mb": round(self.rss_kb / 1024, 1),
            "pss_mb": None if self.pss_kb is None else round(self.pss_kb / 1024, 1),
            "processes": self.processes,
            "samples": self.samples,
        }


@dataclass(slots=True)
class TreeSampler:
    """Samples the tree under `root` every `every` seconds on a daemon thread.

    Keeps the peaks of each phase (the driver names the current one in `phase`), the
    latest sample, and sets `over_limit` when the RSS sum passes `limit_kb`.
    """

    root: int
    every: float = 0.5
    limit_kb: int | None = None
    phase: str = "start"
    peaks: dict[str, Peaks] = field(default_factory=dict)
    latest: TreeSample | None = None
    over_limit: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="proctree-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def overall(self) -> Peaks:
        """The peaks over every phase."""
        total = Peaks()
        with self._lock:
            for peaks in self.peaks.values():
                total.rss_kb = max(total.rss_kb, peaks.rss_kb)
                if peaks.pss_kb is not None:
                    total.pss_kb = max(total.pss_kb or 0, peaks.pss_kb)
                total.processes = max(total.processes, peaks.processes)
                total.samples += peaks.samples
        return total

    def _loop(self) -> None:
        while not self._stop.is_set():
            sample = sample_tree(self.root)
            if sample is not None:
                with self._lock:
                    self.latest = sample
                    self.peaks.setdefault(self.phase, Peaks()).add(sample)
                if self.limit_kb is not None and sample.rss_kb > self.limit_kb:
                    self.over_limit.set()
            self._stop.wait(self.every)
