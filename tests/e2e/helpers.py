"""Helpers for end-to-end tests: the repo's demo fixtures and the real `presswatch` command."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "fixtures" / "demo"
CONSOLE_SCRIPT = Path(sys.executable).with_name("presswatch")
PRESSWATCH = [str(CONSOLE_SCRIPT)] if CONSOLE_SCRIPT.exists() else [sys.executable, "-m", "scheduler.cli"]


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
