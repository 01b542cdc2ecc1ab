"""`presswatch demo`: the newcomer's first command, and running it twice."""
from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.helpers import free_port, run_presswatch


def test_demo_stores_every_demo_article_and_a_second_run_adds_nothing(tmp_path: Path, truth: list[dict]) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    port = {"PRESSWATCH_DEMO_PORT": str(free_port())}  # the default 8765 may be another demo's
    first = run_presswatch("demo", "--db", db, env=port)
    assert first.returncode == 0, first.stderr
    assert "Latest articles in the archive:" in first.stdout
    assert "browse   (the archive in a web page; needs pip install 'presswatch[browse]')" in first.stdout
    assert f"4 source(s): {len(truth) - 1} new, 0 updated, 1 duplicates, 0 errors" in first.stdout

    second = run_presswatch("demo", "--db", db, env=port)
    assert second.returncode == 0, second.stderr
    assert "4 source(s): 0 new, 0 updated, 0 duplicates, 0 errors" in second.stdout
    count = run_presswatch("query", "SELECT count(*) AS n FROM articles", "--db", db, "--format", "json")
    assert json.loads(count.stdout) == [{"n": len(truth)}]


def test_a_bad_demo_port_is_refused_before_anything_runs(tmp_path: Path) -> None:
    result = run_presswatch("demo", "--db", f"sqlite:///{tmp_path / 'demo.db'}", env={"PRESSWATCH_DEMO_PORT": "http"})
    assert result.returncode == 2
    assert "PRESSWATCH_DEMO_PORT='http' is not a TCP port (1-65535)" in result.stderr
    assert not (tmp_path / "demo.db").exists()
