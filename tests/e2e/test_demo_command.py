"""`presswatch demo`: the newcomer's first command, and running it twice."""
from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.helpers import run_presswatch


def test_demo_stores_every_demo_article_and_a_second_run_adds_nothing(tmp_path: Path, truth: list[dict]) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    first = run_presswatch("demo", "--db", db)
    assert first.returncode == 0, first.stderr
    assert "Latest articles in the archive:" in first.stdout
    assert f"4 source(s): {len(truth) - 1} new, 0 updated, 1 duplicates, 0 errors" in first.stdout

    second = run_presswatch("demo", "--db", db)
    assert second.returncode == 0, second.stderr
    assert "4 source(s): 0 new, 0 updated, 0 duplicates, 0 errors" in second.stdout
    count = run_presswatch("query", "SELECT count(*) AS n FROM articles", "--db", db, "--format", "json")
    assert json.loads(count.stdout) == [{"n": len(truth)}]
