"""`presswatch browse` as a command: what it refuses (each with one line saying what to do), --open, read-only."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import types
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from datasette.plugins import DEFAULT_PLUGINS, pm

from presswatch.scheduler.browse import make_datasette
from presswatch.storage import upgrade_archive
from tests.e2e.helpers import PRESSWATCH, REPO, free_port, run_presswatch

#: presswatch as installed, except that `import datasette` fails as it does without the extra.
WITHOUT_DATASETTE = "import sys; sys.modules['datasette'] = None; from scheduler.cli import main; main()"


def test_a_postgresql_archive_is_refused_with_what_works_instead() -> None:
    result = run_presswatch("browse", "--db", "postgresql+psycopg://reader@127.0.0.1:5432/archive")
    assert result.returncode == 2
    assert result.stderr == (
        "presswatch: presswatch browse serves SQLite archives only (Datasette reads SQLite), and "
        "postgresql+psycopg://reader@127.0.0.1:5432/archive is PostgreSQL. For a PostgreSQL archive use "
        "`presswatch query \"SQL\"`, `presswatch search` and `presswatch export` with --db, or point a "
        "PostgreSQL client at it\n"
    )


def test_a_missing_archive_is_refused_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.db"
    result = run_presswatch("browse", "--db", f"sqlite:///{missing}")
    assert (result.returncode, result.stderr) == (3, f"presswatch: no archive at {missing}; run presswatch crawl first\n")
    assert not missing.exists()


def test_without_datasette_it_says_how_to_install_it(sqlite_url: str) -> None:
    upgrade_archive(sqlite_url)
    result = subprocess.run([sys.executable, "-c", WITHOUT_DATASETTE, "browse", "--db", sqlite_url],
                            capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 2
    assert result.stderr == (
        "presswatch: presswatch browse needs Datasette, which is not installed: pip install 'presswatch[browse]'\n"
    )


def test_a_port_in_use_is_refused_before_serving(sqlite_url: str) -> None:
    upgrade_archive(sqlite_url)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_presswatch("browse", "--db", sqlite_url, "--port", str(port))
    assert result.returncode == 2
    assert result.stderr == (
        f"presswatch: cannot listen on 127.0.0.1:{port}: Address already in use; choose another with --port\n"
    )


def test_sql_that_would_write_is_refused_by_the_server(browse_url: str) -> None:
    for statement in ("UPDATE articles SET headline = 'x'", "PRAGMA user_version = 7"):
        url = f"{browse_url}/archive.json?" + urllib.parse.urlencode({"sql": statement})
        try:
            urllib.request.urlopen(url, timeout=60)
        except urllib.error.HTTPError as refused:
            assert refused.code == 400
            assert b"Statement must be a SELECT" in refused.read()
        else:
            raise AssertionError(f"{statement!r} was accepted")


def test_open_shows_the_archive_in_the_web_browser_once_it_is_served(sqlite_url: str, tmp_path: Path) -> None:
    upgrade_archive(sqlite_url)
    opened = tmp_path / "opened"
    browser = tmp_path / "browser"  # the user's $BROWSER: here it writes down what it was asked to open
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n', encoding="utf-8")
    browser.chmod(0o755)
    port = free_port()
    process = subprocess.Popen([*PRESSWATCH, "browse", "--db", sqlite_url, "--port", str(port), "--open"],
                               cwd=REPO, env={**os.environ, "BROWSER": str(browser)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while not opened.exists() or not opened.read_text(encoding="utf-8").endswith("\n"):
            assert process.poll() is None, process.communicate()
            try:
                process.wait(timeout=0.1)  # the pause between polls
            except subprocess.TimeoutExpired:
                pass
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/archive", timeout=60) as answer:
            assert answer.status == 200  # it was served when the browser was asked to open it
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
    assert opened.read_text(encoding="utf-8") == f"http://127.0.0.1:{port}/archive\n"
    assert process.returncode == 0


def test_the_server_reads_through_read_only_connections_and_loads_no_stranger_plugin(sqlite_url: str) -> None:
    upgrade_archive(sqlite_url)
    pm.register(types.ModuleType("datasette_insert"), name="datasette-insert")  # as if pip-installed
    datasette = make_datasette(Path(sqlite_url.removeprefix("sqlite:///")))
    assert {name for name, _ in pm.list_name_plugin()} == {*DEFAULT_PLUGINS, "presswatch"}
    assert "_memory" not in datasette.databases
    archive = datasette.get_database("archive")
    with pytest.raises(sqlite3.OperationalError, match="attempt to write a readonly database"):
        asyncio.run(archive.execute_fn(lambda connection: connection.execute("CREATE TABLE x (a)")))
