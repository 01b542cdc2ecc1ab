"""Helpers for end-to-end tests: the repo's demo fixtures and the real `presswatch` command."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "fixtures" / "demo"
CONSOLE_SCRIPT = Path(sys.executable).with_name("presswatch")
PRESSWATCH = [str(CONSOLE_SCRIPT)] if CONSOLE_SCRIPT.exists() else [sys.executable, "-m", "scheduler.cli"]


def run_presswatch(*args: str, stdin: str | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run the real `presswatch` command in its own process (Scrapy's reactor runs once per process)."""
    return subprocess.run(
        [*PRESSWATCH, *args], input=stdin, capture_output=True, text=True, timeout=timeout, cwd=REPO,
    )
