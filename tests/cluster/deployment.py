"""A presswatch cluster on separate hosts (network namespaces), for the several-machines tests.

`Deployment` builds it on a `Cluster` (`tests.cluster.hosts`): `SITES` site hosts, each
serving the bundled demo sites (`fixtures/demo/sites`, 4 press sites, 68 articles) on its own
address, so 32 sources on 8 sites; the real PostgreSQL archive and RabbitMQ of the test
services, reached from the hosts through forwarders; and `presswatch serve --broker` /
`presswatch worker` processes started on hosts of their own (`Node`), their logs read as
they run. Nothing here is a stand-in: every process is the real command.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.cluster.hosts import Cluster, Host

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "fixtures" / "demo"
PRESSWATCH = str(Path(sys.executable).with_name("presswatch"))
SITES = 8
PORT = 8000
INTERVAL = 10  # seconds between two due runs of a source
WAIT = 300.0  # seconds: a failure guard for conditions that come much sooner, never a speed check


@dataclass
class Node:
    """A `presswatch` process on a host, its stderr kept line by line."""

    host: Host
    process: subprocess.Popen[str]
    name: str
    log_path: Path
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        with self.log_path.open("a", encoding="utf-8") as copy:  # the whole log, kept with the test's files
            for line in self.process.stderr:
                self.lines.append(line.rstrip("\n"))
                copy.write(line)
                copy.flush()

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def logged(self, needle: str) -> bool:
        return any(needle in line for line in list(self.lines))

    def kill9(self) -> None:
        self.host.kill9(self.process)

    def stop(self) -> int:
        """SIGTERM, and its exit status once it has exited."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=WAIT)

    def children(self) -> set[int]:
        """The pids of its crawl workers (its direct children)."""
        found = set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and _parent(int(entry.name)) == self.process.pid:
                found.add(int(entry.name))
        return found


def _parent(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    return None


class Deployment:
    """The cluster's sites, archive, broker and presswatch processes (see the module docstring)."""

    def __init__(self, cluster: Cluster, pg_url: str, amqp_url: str, workdir: Path,
                 slow_site: int | None = None) -> None:
        self.cluster = cluster
        self.archive_url = pg_url  # as the tests (root namespace) reach it
        self.db = cluster.forward_url(pg_url)  # as the hosts reach it
        self.broker = cluster.forward_url(amqp_url)
        self.workdir = workdir
        self.sites = [cluster.add_host(f"site{i}") for i in range(SITES)]
        self.servers = [self._serve(site) for site in self.sites]
        self.config = workdir / "sources.toml"
        self.config.write_text(self.config_text(slow_site), encoding="utf-8")
        (workdir / "worker.toml").write_text("[service]\nworkers = 1\n", encoding="utf-8")
        self.nodes: list[Node] = []
        self.engine = create_engine(pg_url, poolclass=NullPool)

    # -- set-up ----------------------------------------------------------------------------
    def _serve(self, site: Host) -> subprocess.Popen[str]:
        server = site.popen([sys.executable, "-m", "presswatch.crawler.site_server", str(DEMO / "sites"),
                             "--host", site.address, "--port", str(PORT)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert server.stdout is not None
        assert "Serving" in server.stdout.readline()  # listening
        return server

    def config_text(self, slow_site: int | None) -> str:
        """The demo sources once per site host: `<name>-<i>` at http://<site i>:8000, every INTERVAL s.

        The first source of `slow_site` fetches one page at a time, half a second apart: its
        first run lasts long enough (some 12 s) to be caught going on.
        """
        demo = tomllib.loads((DEMO / "sources.toml").read_text(encoding="utf-8"))
        lines = ["[crawl]", *(f"{k} = {json.dumps(v)}" for k, v in demo["crawl"].items()), ""]
        keys = ("publisher", "timezone", "language", "article_pattern", "listing_pattern")
        for i, site in enumerate(self.sites):
            base = f"http://{site.address}:{PORT}"
            for n, source in enumerate(demo["sources"]):
                lines += ["[[sources]]", f"name = {json.dumps(self.name(source['name'], i))}"]
                lines += [f"{key} = {json.dumps(source[key])}" for key in keys if key in source]
                for key in ("start_urls", "feeds", "sitemaps"):
                    urls = [url.replace("__BASE__", base) for url in source.get(key, [])]
                    lines.append(f"{key} = {json.dumps(urls)}")
                lines.append(f'interval = "{INTERVAL}s"')
                if i == slow_site and n == 0:
                    lines += ["download_delay = 0.5", "concurrent_per_domain = 1"]
                lines.append("")
        return "\n".join(lines)

    @staticmethod
    def name(demo_name: str, site: int) -> str:
        return f"{demo_name}-{site}"

    def source_names(self, site: int | None = None) -> list[str]:
        demo = tomllib.loads((DEMO / "sources.toml").read_text(encoding="utf-8"))
        sites = range(SITES) if site is None else [site]
        return [self.name(s["name"], i) for i in sites for s in demo["sources"]]

    def expected_urls(self, site: int | None = None) -> set[str]:
        """Every article URL the demo sites serve (from fixtures/demo/truth.jsonl), on every site host."""
        paths = [json.loads(line)["path"] for line in (DEMO / "truth.jsonl").read_text().splitlines() if line]
        sites = self.sites if site is None else [self.sites[site]]
        return {f"http://{host.address}:{PORT}{path}" for host in sites for path in paths}

    # -- presswatch processes ----------------------------------------------------------------
    def start(self, host: Host, command: str, *args: str) -> Node:
        argv = [PRESSWATCH, command, "--broker", self.broker, "--db", self.db, *args]
        if command == "serve":
            argv += ["--config", str(self.config)]
        else:
            argv += ["--config", str(self.workdir / "worker.toml")]
        env = {"PYTHONUNBUFFERED": "1", "PRESSWATCH_BROKER": "", "PRESSWATCH_DB": ""}
        process = host.popen(argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        name = f"{command}@{host.name}"
        node = Node(host, process, name, self.workdir / f"{name}-{len(self.nodes)}.log")
        self.nodes.append(node)
        return node

    def scheduler(self, name: str) -> Node:
        return self.start(self.cluster.add_host(name), "serve")

    def worker(self, name: str, host: Host | None = None) -> Node:
        node = self.start(host or self.cluster.add_host(name), "worker")
        self.wait_for(lambda: node.logged("worker ready"), f"{node.name} ready")
        return node

    # -- looking on --------------------------------------------------------------------------
    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        """Poll `condition` until true; fail with every node's log if a node died or WAIT passed."""
        deadline = time.monotonic() + WAIT
        while not condition():
            for node in self.nodes:
                code = node.process.poll()
                if code is not None and code != -signal.SIGKILL:
                    raise AssertionError(f"{node.name} exited ({code}) waiting for {what}\n{self.logs()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} after {WAIT:.0f}s\n{self.logs()}\n{self.sessions()}")
            time.sleep(0.2)

    def logs(self) -> str:
        """Each node's log but its lines about uneventful or skipped runs, its start and its end
        (the whole logs are in the test's files, which pytest keeps for its last three runs)."""
        def eventful(node: Node) -> str:
            kept = [line for line in node.lines
                    if "status=ok new=0 updated=0 duplicates=0 errors=0" not in line and "check skipped" not in line]
            text = "\n".join(kept)
            return text if len(text) <= 8000 else f"{text[:3000]}\n[...]\n{text[-5000:]}"
        return "\n".join(f"--- {node.name} ({node.log_path})\n{eventful(node)}" for node in self.nodes)

    def sessions(self) -> str:
        """What the archive's PostgreSQL sessions are doing now (to tell a stalled database from the rest)."""
        try:
            rows = self.rows(
                "SELECT pid, application_name, client_addr::text, state, wait_event_type, wait_event, "
                "round(extract(epoch FROM now() - state_change)::numeric, 1) AS for_s, left(query, 100) "
                "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() ORDER BY pid")
        except Exception as exc:  # noqa: BLE001 - a diagnosis must not hide the failure it explains
            return f"--- PostgreSQL sessions: cannot read them ({exc!r})"
        return "--- PostgreSQL sessions (pid, application, client, state, waiting on, for s, query)\n" + "\n".join(
            " | ".join(str(value) for value in row) for row in rows)

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]

    def article_urls(self) -> list[str]:
        return [row[0] for row in self.rows("SELECT url FROM articles ORDER BY url")]

    def runs(self, source: str | None = None) -> list[Run]:
        sql = "SELECT id, source, status, due_at, pid, new, duplicates FROM crawl_runs"
        if source is not None:
            return [Run(*row) for row in self.rows(sql + " WHERE source = :source ORDER BY id", source=source)]
        return [Run(*row) for row in self.rows(sql + " ORDER BY id")]

    def completed(self) -> list[Run]:
        return [run for run in self.runs() if run.status in ("ok", "failed")]

    def every_source_ran_ok(self, since_id: int = 0, times: int = 1) -> bool:
        done: dict[str, int] = {}
        for run in self.runs():
            if run.id > since_id and run.status == "ok":
                done[run.source] = done.get(run.source, 0) + 1
        return all(done.get(name, 0) >= times for name in self.source_names())

    def close(self) -> None:
        self.engine.dispose()


@dataclass(frozen=True)
class Run:
    id: int
    source: str
    status: str
    due_at: datetime | None
    pid: int | None
    new: int
    duplicates: int
