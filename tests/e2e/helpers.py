"""Helpers for end-to-end tests: the repo's demo fixtures and the real `presswatch` command."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "fixtures" / "demo"
CONSOLE_SCRIPT = Path(sys.executable).with_name("presswatch")
PRESSWATCH = [str(CONSOLE_SCRIPT)] if CONSOLE_SCRIPT.exists() else [sys.executable, "-m", "presswatch.scheduler.cli"]


def run_presswatch(
    *args: str, stdin: str | None = None, timeout: float = 180, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real `presswatch` command in its own process (Scrapy's reactor runs once per process).

    `env` adds to (or overrides) this process's environment.
    """
    return subprocess.run(
        [*PRESSWATCH, *args], input=stdin, capture_output=True, text=True, timeout=timeout, cwd=REPO,
        env={**os.environ, **env} if env else None,
    )


def processes_of_service(service_pid: int) -> list[int]:
    """Live processes started by the `presswatch serve` with this pid: its crawl children and
    their parse workers, which carry the service's pid in PRESSWATCH_SERVICE_PID."""
    mark = f"PRESSWATCH_SERVICE_PID={service_pid}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if mark in environ:
                found.append(int(entry.name))
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Starts the command, waits for it, writes the command's peak RSS (KiB) to argv[1]. Its own few MB
# are all the command inherits at exec, where a child of pytest would inherit pytest's whole RSS.
_PEAK_RSS_LAUNCHER = """\
import resource, subprocess, sys
report, address_space, command = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
if address_space:
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
code = subprocess.call(command)
with open(report, "w") as out:
    out.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code if code >= 0 else 128 - code)
"""


@dataclass(frozen=True)
class Measured:
    returncode: int
    stdout: str
    stderr: str
    peak_rss_bytes: int

    @property
    def peak_rss_mb(self) -> float:
        return self.peak_rss_bytes / 2**20


def run_measured(
    *args: str, timeout: float | None = 180, stdout: IO[bytes] | None = None, address_space: int = 0
) -> Measured:
    """Run `presswatch ARGS` and measure the command's own peak resident memory.

    Not wait4's ru_maxrss on a child of this process: Linux carries the RSS a process had when
    it exec'd into ru_maxrss, and a child of pytest has pytest's (which grows with the suite).
    A small launcher starts the command and reports its rusage instead. `stdout`: a file to
    write the command's output to (then `Measured.stdout` is empty); `address_space`: an
    RLIMIT_AS in bytes, so a regression fails with MemoryError instead of eating the host.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".peak") as report:
        launcher = subprocess.Popen(
            [sys.executable, "-c", _PEAK_RSS_LAUNCHER, report.name, str(address_space), *PRESSWATCH, *args],
            stdout=stdout if stdout is not None else subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=REPO, start_new_session=True,
        )
        try:
            out, err = launcher.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.communicate()
            raise
        peak_kib = int(report.read() or 0)
    return Measured(launcher.returncode, (out or b"").decode(), err.decode(), peak_kib * 1024)
