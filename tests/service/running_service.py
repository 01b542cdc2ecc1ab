"""`presswatch serve` as a real child process, its log read line by line while it runs."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.e2e.helpers import PRESSWATCH, REPO, processes_of_service
from tests.faults.helpers import rows


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

    def runs_logged(self, source: str, status: str = "") -> int:
        return sum(1 for line in self.lines if f"source={source} status={status}" in line)

    def workers(self) -> list[int]:
        """The pids of the service's crawl workers (not their parse workers)."""
        return [pid for pid in processes_of_service(self.process.pid) if b"presswatch.crawler.worker" in _cmdline(pid)]

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


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def start_service(tmp_path: Path, config_text: str, *extra: str) -> tuple[RunningService, str]:
    """`presswatch serve` on `config_text` (written to tmp_path/sources.toml) and a fresh SQLite archive."""
    config = tmp_path / "sources.toml"
    config.write_text(config_text, encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    return RunningService(config, db_url, *extra), db_url


def stop_cleanly(service: RunningService) -> None:
    """SIGTERM: exit 0 with no process of the service left and the log's last line "stopped"."""
    assert service.stop() == 0, service.log
    assert processes_of_service(service.process.pid) == []
    assert service.lines[-1].endswith("stopped"), service.log


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def count(db_url: str, sql: str = "SELECT count(*) FROM articles", **params: object) -> int:
    """A count from the archive; 0 while it is not created yet."""
    try:
        return int(rows(db_url, sql, **params)[0][0])
    except Exception:  # noqa: BLE001 - the archive (or the table) is not there yet
        return 0


def stored(db_url: str, url: str) -> bool:
    return count(db_url, "SELECT count(*) FROM articles WHERE url = :url", url=url) == 1
