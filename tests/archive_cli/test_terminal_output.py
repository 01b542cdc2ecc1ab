"""Tables and the progress line fit the terminal they are printed on; in a pipe, values are whole."""
from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import termios
from types import SimpleNamespace

import pytest

from presswatch.crawler.run import progress_line
from tests.archive_cli.conftest import SmallArchive
from tests.e2e.helpers import PRESSWATCH, REPO, run_presswatch

QUERY = "SELECT url, headline, body FROM articles ORDER BY id"


@pytest.fixture
def archive_url(sqlite_url: str) -> str:
    """SQLite only: how a table is laid out does not depend on the database (and `query` on
    PostgreSQL wants a reader role, which tests/archive_cli/test_db_reader_command.py covers)."""
    return sqlite_url


def on_terminal(*args: str, columns: int = 80) -> str:
    """The command's standard output as a terminal `columns` wide shows it."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {name: value for name, value in os.environ.items() if name not in ("COLUMNS", "LINES")}
    process = subprocess.Popen([*PRESSWATCH, *args], stdin=subprocess.DEVNULL, stdout=follower,
                               stderr=subprocess.PIPE, cwd=REPO, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the command closed its terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=120) == 0, process.stderr.read() if process.stderr else ""
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_a_table_narrows_its_widest_columns_to_the_terminal(small_archive: SmallArchive) -> None:
    shown = on_terminal("query", QUERY, "--db", small_archive.url)
    assert shown.splitlines() == [
        "url                        headline                   body",
        "-------------------------  -------------------------  -------------------------",
        "https://gov.example/en/p…  Government adopts hydrog…  The strategy sets out ho…",
        "https://gov.example/en/p…  Energy week opens          Delegates discussed hydr…",
        "https://gov.example/en/p…  Grain harvest grows        The harvest grew by four…",
        "(3 rows)",
    ]


def test_a_table_too_wide_for_the_terminal_prints_a_block_per_row(small_archive: SmallArchive) -> None:
    shown = on_terminal("search", "harvest", "--db", small_archive.url, columns=60)
    lines = shown.splitlines()
    assert all(len(line) <= 59 for line in lines)
    assert lines[0] == "-" + "[ row 1 ]" + "-" * 49
    assert lines[1] == "rank         | 1"
    assert lines[2].startswith("score        | ")  # BM25 or ts_rank: the database's own number
    assert lines[3] == "published_at | 2026-02-20T10:00:00+00:00"
    assert lines[4:7] == ["source_name  | agri-news", "headline     | Grain harvest grows",
                          "url          | https://gov.example/en/press/harvest"]
    assert lines[7:] == ["snippet      | The [harvest] grew by four percent.", "(1 row)"]


def test_a_piped_table_prints_every_value_whole(small_archive: SmallArchive) -> None:
    piped = run_presswatch("query", QUERY, "--db", small_archive.url)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.splitlines()[2:5] == [
        "https://gov.example/en/press/hydrogen     Government adopts hydrogen strategy  "
        "The strategy sets out how green hydrogen will be produced by 2030.",
        "https://gov.example/en/press/energy-week  Energy week opens                    "
        "Delegates discussed hydrogen exports and wind power.",
        "https://gov.example/en/press/harvest      Grain harvest grows                  "
        "The harvest grew by four percent.",
    ]


def counts(pages: int, new: int, errors: int) -> SimpleNamespace:
    return SimpleNamespace(pages_fetched=pages, new=new, errors=errors)


def test_the_progress_line_never_fills_an_80_column_terminal() -> None:
    runs = [("caspian-post", counts(24, 17, 0)), ("gov-press", counts(24, 16, 0)),
            ("trend-wire", counts(9, 3, 1)), ("novosti-kaspiya", counts(24, 17, 0))]
    assert progress_line(runs[:1], 80) == "caspian-post: 24 pages, 17 new, 0 errors"
    assert progress_line(runs[:3], 80) == "caspian-post 24p 17n 0e | gov-press 24p 16n 0e | trend-wire 9p 3n 1e"
    assert progress_line(runs, 80) == (
        "caspian-post 24p 17n 0e | gov-press 24p 16n 0e | trend-wire 9p 3n 1e | novosti…"
    )
    assert len(progress_line(runs, 80)) == 79
    assert progress_line(runs, None) == (  # not a terminal: never drawn, but whole
        "caspian-post: 24 pages, 17 new, 0 errors | gov-press: 24 pages, 16 new, 0 errors | "
        "trend-wire: 9 pages, 3 new, 1 errors | novosti-kaspiya: 24 pages, 17 new, 0 errors"
    )
