"""presswatch commands running in the background (`serve --broker`, `worker`), their log read as they run."""
from __future__ import annotations

import signal
import subprocess
import threading
import time

from tests.e2e.helpers import PRESSWATCH, REPO

WAIT = 300.0  # a failure guard only


class Process:
    """A presswatch command running in the background, its stderr kept."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen([*PRESSWATCH, *args], cwd=REPO, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def logged(self, needle: str) -> bool:
        return any(needle in line for line in list(self.lines))

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=WAIT)


def wait_for(condition: object, what: str, *processes: Process) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():  # type: ignore[operator]
        for process in processes:
            if process.process.poll() is not None:
                raise AssertionError(f"exited ({process.process.returncode}) waiting for {what}:\n"
                                     + "\n".join(process.lines))
        assert time.monotonic() < deadline, f"no {what}:\n" + "\n\n".join("\n".join(p.lines) for p in processes)
        time.sleep(0.2)
