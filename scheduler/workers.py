"""The service's long-lived crawl workers: started, fed due runs, watched, recycled, replaced.

`WorkerPool` keeps one worker process per slot (`[service] workers`, default one per
core), each a `python -m crawler.worker` running many runs at once in its own reactor.
One thread (`presswatch-workers`) owns all of it: it reads the workers' messages, hands
due runs to them (`scheduler.dispatch`), and watches for

- **a run past its timeout:** the worker is told to close it (`run_timeout`, recorded as a
  failure); a worker that has not closed it `CANCEL_GRACE` seconds later is recycled;
- **a dead worker** (killed, crashed): its started runs are recorded `interrupted` (they
  run again at their next due time, and resume: nothing is lost or stored twice), runs it
  had not started go back in line, and the slot gets a new worker after `restart_delay`
  (doubled for each death in a row, at most a minute);
- **recycling:** after `recycle_after_runs` runs, or above `recycle_above_mb` of memory
  (with its parse workers), a worker takes no new runs and stops once its runs are done;
  its replacement starts at once.

`stop(grace)`: nothing new starts; each worker gives its runs `grace` seconds, closes the
rest as `interrupted` and exits; a worker still there `STOP_MARGIN` seconds later is killed.
"""
from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection, wait

from presswatch.crawler.config import Source
from presswatch.crawler.processes import tree_resident_bytes
from presswatch.crawler.service_settings import ServiceSettings
from presswatch.crawler.worker import DB_VARIABLE
from presswatch.crawler.worker_protocol import (
    CancelRun,
    RunFinished,
    RunOrder,
    RunStarted,
    StopWorker,
    WorkerReady,
)
from presswatch.scheduler.dispatch import Run, RunQueue
from presswatch.scheduler.results import RunResult, result_of

logger = logging.getLogger("presswatch.service")

#: Set in every crawl worker's environment (and so in its parse workers'): the service's pid.
SERVICE_MARK = "PRESSWATCH_SERVICE_PID"
TICK_SECONDS = 0.5  # the pool thread looks at timeouts and deaths at least this often
CANCEL_GRACE = 30.0  # seconds a worker has to close a run past its timeout
STOP_MARGIN = 15.0  # seconds past the grace period a stopping worker has to exit
MAX_RESTART_DELAY = 60.0
KILL_AFTER = 10.0  # seconds between SIGTERM and SIGKILL of a worker being recycled by force
#: A worker's memory (its whole process tree, read from /proc) is measured at the end of a run
#: at most this often: at several runs a second, measuring after each was a fifth of the pool's CPU.
MEMORY_CHECK_SECONDS = 2.0

Interrupt = Callable[[list[int]], object]  # marks crawl_runs rows interrupted
RunDone = Callable[[RunResult, bool], None]  # `on_done(result, lost)` of one submitted run


@dataclass(eq=False)
class WorkerProcess:
    """One crawl worker process, and the runs it holds."""

    slot: int
    process: subprocess.Popen[bytes]
    connection: Connection
    runs: dict[int, Run] = field(default_factory=dict)
    ready: bool = False
    retiring: bool = False  # takes no new runs; stops when its runs are done
    stop_sent: bool = False
    terminated_at: float | None = None  # SIGTERM sent (recycled by force)
    finished_runs: int = 0
    memory_checked_at: float = float("-inf")  # time.monotonic() of the last recycle_above_mb check

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, message: object) -> bool:
        try:
            self.connection.send(message)
        except (OSError, ValueError):
            return False
        return True


@dataclass(frozen=True, slots=True)
class PoolState:
    """A snapshot for metrics and /healthz."""

    slots: int
    alive: int  # slots whose worker runs and has reported ready
    running: int
    waiting: int
    skipped: int  # due checks skipped because the source's last run was still going
    restarts: int
    stopping: bool

    @property
    def healthy(self) -> bool:
        return not self.stopping and self.alive == self.slots


class WorkerPool:
    """Crawl workers for `presswatch serve` (see the module docstring)."""

    def __init__(
        self, settings: ServiceSettings, db_url: str, *, on_result: Callable[[RunResult], None],
        interrupt: Interrupt, parse_workers: int = 1, log_level: str = "WARNING", orphaned: str = "close",
    ) -> None:
        self.settings = settings
        self.db_url = db_url
        self.on_result = on_result
        self.interrupt = interrupt
        self.parse_workers = parse_workers
        self.log_level = log_level
        self.orphaned = orphaned  # what a crawl worker does when this process dies (`crawler.worker --orphaned`)
        self.slots = settings.worker_count
        self.queue = RunQueue(self.slots)
        self.current: list[WorkerProcess | None] = [None] * self.slots
        self.retired: list[WorkerProcess] = []
        self.deaths = [0] * self.slots  # deaths in a row per slot (restart back-off)
        self.restart_at: list[float | None] = [0.0] * self.slots  # when to start the slot's worker
        self.lock = threading.Lock()
        self.stopping = False
        self.stop_deadline = float("inf")
        self.skipped = 0
        self.restarts = 0
        self._wake_reader, self._wake_writer = socket.socketpair()
        self.thread = threading.Thread(target=self._loop, name="presswatch-workers", daemon=True)

    # -- the service's side (any thread) ---------------------------------------------------
    def start(self) -> None:
        self.thread.start()

    def submit(
        self, source: Source, timeout: float, *, scheduled_for: datetime | None = None, sole: bool = False,
        on_done: RunDone | None = None,
    ) -> bool:
        """Queue a due run of `source`; False when its previous run has not finished (skipped).

        A run from a job engine (`scheduler.cluster_worker`) also carries the due time it
        serves, whether the source's cluster-wide lock is held (`sole`), and `on_done`,
        told its result once it is over and whether it was lost (its worker died, or
        this pool stopped, before it finished): the engine delivers a lost run again.
        """
        with self.lock:
            if self.stopping:
                return False
            run = self.queue.add(source, timeout, time.monotonic(), scheduled_for=scheduled_for, sole=sole,
                                 on_done=on_done)
            if run is None:
                self.skipped += 1
                return False
        self._wake()
        return True

    def state(self) -> PoolState:
        with self.lock:
            workers = [w for w in self.current if w is not None]
            return PoolState(
                slots=self.slots,
                alive=sum(1 for w in workers if w.ready and w.process.poll() is None),
                running=sum(len(w.runs) for w in [*workers, *self.retired]),
                waiting=self.queue.waiting_count(),
                skipped=self.skipped,
                restarts=self.restarts,
                stopping=self.stopping,
            )

    def stop(self, grace: float) -> None:
        """Stop every worker (see the module docstring); returns once they have all exited."""
        with self.lock:
            self.stopping = True
            self.stop_deadline = time.monotonic() + grace + STOP_MARGIN
            for run in self.queue.drop_waiting():
                self._done(run, RunResult(run.source.name, "interrupted", 0.0, note="the service is stopping"),
                           lost=True, report=False)
            workers = self._all_workers()
        for worker in workers:
            worker.stop_sent = worker.send(StopWorker(grace))
        self._wake()
        if self.thread.is_alive():
            self.thread.join()
        self._wake_reader.close()
        self._wake_writer.close()

    def _wake(self) -> None:
        try:
            self._wake_writer.send(b"\0")
        except OSError:
            pass

    # -- the pool thread -------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self.lock:
                if self.stopping and not self._all_workers():
                    return
                connections = [w.connection for w in self._all_workers()]
            readable = wait([self._wake_reader, *connections], timeout=TICK_SECONDS)
            if self._wake_reader in readable:
                self._wake_reader.recv(4096)
            with self.lock:
                for worker in self._all_workers():
                    if worker.connection in readable:
                        self._read(worker)
                self._reap()
                now = time.monotonic()
                self._watch_timeouts(now)
                if self.stopping:
                    self._kill_after_deadline(now)
                else:
                    self._start_due_workers(now)
                    self._dispatch(now)
                    self._retire_drained()

    def _all_workers(self) -> list[WorkerProcess]:
        return [w for w in self.current if w is not None] + self.retired

    def _read(self, worker: WorkerProcess) -> None:
        try:
            while worker.connection.poll():
                self._handle(worker, worker.connection.recv())
        except (EOFError, OSError):
            pass  # it died: reaped below

    def _handle(self, worker: WorkerProcess, message: object) -> None:
        if isinstance(message, WorkerReady):
            worker.ready = True
            logger.info("crawl worker %d ready (slot %d)", worker.pid, worker.slot)
        elif isinstance(message, RunStarted):
            run = worker.runs.get(message.key)
            if run is not None:
                run.run_id = message.run_id
        elif isinstance(message, RunFinished):
            run = worker.runs.pop(message.key, None)
            if run is None:
                return
            self.queue.done(run)
            worker.finished_runs += 1
            self.deaths[worker.slot] = 0  # it works: a later death starts the back-off afresh
            result = result_of(message.report)
            self._done(run, result, lost=result.status == "interrupted")  # cut off by a stop: not finished
            self._maybe_retire(worker)

    def _done(self, run: Run, result: RunResult, *, lost: bool, report: bool = True) -> None:
        """Tell the run's own observer (if any), then the service's."""
        if run.on_done is not None:
            try:
                run.on_done(result, lost)
            except Exception:  # noqa: BLE001 - a broken observer must not stop the pool
                logger.exception("handling the end of a %s run failed", result.source)
        if report:
            self._report(result)

    def _report(self, result: RunResult) -> None:
        try:
            self.on_result(result)
        except Exception:  # noqa: BLE001 - a broken observer must not stop the pool
            logger.exception("handling the result of a %s run failed", result.source)

    def _maybe_retire(self, worker: WorkerProcess) -> None:
        if worker.retiring or self.current[worker.slot] is not worker:
            return
        limit = self.settings.recycle_after_runs
        if limit and worker.finished_runs >= limit:
            self._retire(worker, f"after {worker.finished_runs} runs")
            return
        cap = self.settings.recycle_above_mb
        now = time.monotonic()
        if not cap or now - worker.memory_checked_at < MEMORY_CHECK_SECONDS:
            return
        worker.memory_checked_at = now
        if (resident := tree_resident_bytes(worker.pid)) > cap * 1024 * 1024:
            self._retire(worker, f"at {resident / 1024 / 1024:.0f} MB (recycle_above_mb = {cap})")

    def _retire(self, worker: WorkerProcess, why: str) -> None:
        """The worker finishes its runs and stops; a new one takes its slot now."""
        logger.info("crawl worker %d recycled %s", worker.pid, why)
        worker.retiring = True
        self.retired.append(worker)
        self.current[worker.slot] = None
        self.restart_at[worker.slot] = 0.0

    def _retire_drained(self) -> None:
        for worker in self.retired:
            if not worker.runs and not worker.stop_sent:
                worker.stop_sent = worker.send(StopWorker(0.0))

    def _reap(self) -> None:
        """Handle workers that exited, expectedly or not."""
        for worker in self._all_workers():
            if worker.process.poll() is None:
                continue
            self._read(worker)  # what it said before it went
            worker.connection.close()
            if worker in self.retired:
                self.retired.remove(worker)
            else:
                self.current[worker.slot] = None
            self._runs_lost(worker)
            expected = self.stopping or worker.retiring
            if not expected:
                self._died(worker)

    def _runs_lost(self, worker: WorkerProcess) -> None:
        """Runs a worker held when it went: started ones are interrupted, the others wait again."""
        started = [run for run in worker.runs.values() if run.run_id is not None]
        if started:
            try:
                self.interrupt([run.run_id for run in started if run.run_id is not None])
            except Exception:  # noqa: BLE001 - the next run of each source closes its row instead
                logger.exception("could not mark the runs of worker %d interrupted", worker.pid)
        why = f"worker {worker.pid} exited ({_exit_text(worker.process.returncode)})"
        now = time.monotonic()
        for run in worker.runs.values():
            if run.run_id is None and not self.stopping:
                self.queue.requeue(run)
                continue
            self.queue.done(run)
            self._done(run, RunResult(run.source.name, "interrupted", now - (run.sent_at or now), note=why), lost=True)
        worker.runs.clear()

    def _died(self, worker: WorkerProcess) -> None:
        slot = worker.slot
        self.deaths[slot] += 1
        delay = min(self.settings.restart_delay_seconds * 2 ** (self.deaths[slot] - 1), MAX_RESTART_DELAY)
        self.restart_at[slot] = time.monotonic() + delay
        logger.error("crawl worker %d died (%s); a new one starts in %.0fs",
                     worker.pid, _exit_text(worker.process.returncode), delay)

    def _start_due_workers(self, now: float) -> None:
        for slot in range(self.slots):
            due = self.restart_at[slot]
            if self.current[slot] is None and due is not None and now >= due:
                self.current[slot] = self._spawn(slot)
                self.restart_at[slot] = None
                if self.deaths[slot] or any(w.slot == slot for w in self.retired):
                    self.restarts += 1

    def _spawn(self, slot: int) -> WorkerProcess:
        ours, theirs = socket.socketpair()
        command = [
            sys.executable, "-m", "presswatch.crawler.worker", "--fd", str(theirs.fileno()), "--parent-pid", str(os.getpid()),
            "--parse-workers", str(self.parse_workers), "--max-requests", str(self.settings.requests_per_worker),
            "--log-level", self.log_level, "--orphaned", self.orphaned,
        ]
        env = {**os.environ, SERVICE_MARK: str(os.getpid()), DB_VARIABLE: self.db_url}
        try:
            process = subprocess.Popen(command, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, env=env)
        finally:
            theirs.close()
        return WorkerProcess(slot, process, Connection(ours.detach()))

    def _dispatch(self, now: float) -> None:
        for worker in self.current:
            if worker is None or not worker.ready or worker.retiring:
                continue
            room = self.settings.runs_per_worker - len(worker.runs)
            for run in self.queue.take(worker.slot, room):
                if not worker.send(RunOrder(run.key, run.source, due_at=run.scheduled_for, sole=run.sole)):
                    self.queue.requeue(run)
                    break
                run.sent_at, run.worker_pid = now, worker.pid
                worker.runs[run.key] = run

    def _watch_timeouts(self, now: float) -> None:
        for worker in self._all_workers():
            for run in worker.runs.values():
                if run.sent_at is None:
                    continue
                if run.cancel_sent_at is None and now - run.sent_at > run.timeout:
                    logger.error("source=%s past its %.0fs timeout: closing the run", run.source.name, run.timeout)
                    run.cancel_sent_at = now
                    worker.send(CancelRun(run.key, "run_timeout"))
                elif run.cancel_sent_at is not None and now - run.cancel_sent_at > CANCEL_GRACE:
                    self._terminate(worker, f"it did not close the {run.source.name} run past its timeout", now)
            self._kill_if_deaf(worker, now)

    def _terminate(self, worker: WorkerProcess, why: str, now: float) -> None:
        if worker.terminated_at is not None:
            return
        logger.error("crawl worker %d recycled by force: %s", worker.pid, why)
        worker.terminated_at = now
        if not worker.retiring:
            self._retire(worker, "(by force)")
        worker.process.terminate()

    def _kill_if_deaf(self, worker: WorkerProcess, now: float) -> None:
        if worker.terminated_at is not None and now - worker.terminated_at > KILL_AFTER and worker.process.poll() is None:
            worker.process.kill()

    def _kill_after_deadline(self, now: float) -> None:
        if now < self.stop_deadline:
            return
        for worker in self._all_workers():
            if worker.process.poll() is None:
                logger.error("crawl worker %d did not stop in time: killed", worker.pid)
                worker.process.kill()
                worker.process.wait()


def _exit_text(returncode: int | None) -> str:
    if returncode is None:
        return "still running"
    if returncode < 0:
        return f"signal {-returncode}"
    return f"exit status {returncode}"
