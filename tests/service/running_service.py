"""`presswatch serve` as a real child process, its log read line by line while it runs."""
from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.e2e.helpers import PRESSWATCH, REPO


class RunningService:
    def __init__(self, config: Path, db_url: str, *extra: str) -> None:
        self.config = config
        self.process = subprocess.Popen(
            [*PRESSWATCH, "serve", "--config", str(config), "--db", db_url, *extra],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.stop_seconds: float | None = None

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, condition: Callable[[], bool], timeout: float, what: str) -> float:
        """Poll `condition` until true; the monotonic time it became true. Fails with the log after `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return time.monotonic()
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited ({self.process.returncode}) waiting for {what}:\n{self.log}")
            time.sleep(0.2)
        raise AssertionError(f"no {what} within {timeout:.0f}s; service log:\n{self.log}")

    def runs_logged(self, source: str) -> int:
        return sum(1 for line in self.lines if f"source={source} status=" in line)

    def stop(self) -> int:
        """SIGTERM; the exit code (the time it took is in `stop_seconds`)."""
        if self.process.poll() is None:
            started = time.monotonic()
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.stop_seconds = time.monotonic() - started
        self._reader.join(timeout=5)
        return self.process.returncode
