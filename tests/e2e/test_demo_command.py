"""`presswatch demo`: the newcomer's first command, running it twice, and seeing its sources."""
from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.helpers import run_presswatch

DEMO_SOURCES = ["caspian-post", "gov-press", "trend-wire", "novosti-kaspiya"]


def test_demo_crawls_into_its_own_archive_and_a_second_run_adds_nothing(tmp_path: Path, truth: list[dict]) -> None:
    elsewhere = tmp_path / "real.db"  # an archive of the user's own, named the usual way: the demo leaves it alone
    env = {"PRESSWATCH_DB": f"sqlite:///{elsewhere}"}
    first = run_presswatch("demo", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Serving 4 demo sites as http://demo.presswatch.test (from http://127.0.0.1:")
    assert "); crawling into sqlite:///presswatch-demo.db\n" in first.stdout
    assert f"4 source(s): {len(truth) - 1} new, 0 updated, 1 duplicates, 0 errors" in first.stdout
    assert "Latest articles in the archive:" in first.stdout
    trailer = first.stdout[first.stdout.index("\nNext: "):]
    me = trailer.removeprefix("\nNext: ").split(" sources --demo", 1)[0]  # the path it was called by
    assert trailer == (
        f"\nNext: {me} sources --demo   (the demo's sources, their runs and health)\n"
        f"      {me} query --db sqlite:///presswatch-demo.db "
        "\"SELECT source, count(*) FROM articles GROUP BY source\"\n"
        f"      {me} query --db sqlite:///presswatch-demo.db \"SELECT source, status, new, errors FROM crawl_runs\" "
        "--format json\n"
        f"      {me} browse --db sqlite:///presswatch-demo.db   (the archive in a web page; needs pip install "
        "'presswatch[browse]')\n"
        f"Run `{me} demo` again: it finds everything archived and adds nothing.\n"
    )
    assert (tmp_path / "presswatch-demo.db").is_file()
    assert not (tmp_path / "presswatch.db").exists()
    assert not elsewhere.exists()

    second = run_presswatch("demo", cwd=tmp_path, env=env)  # another server, on whatever port it gets
    assert second.returncode == 0, second.stderr
    assert "4 source(s): 0 new, 0 updated, 0 duplicates, 0 errors" in second.stdout
    urls = run_presswatch("query", "SELECT url FROM articles", "--db", "sqlite:///presswatch-demo.db",
                          "--format", "json", cwd=tmp_path)
    assert urls.returncode == 0, urls.stderr
    assert sorted(row["url"] for row in json.loads(urls.stdout)) == sorted(
        "http://demo.presswatch.test" + case["path"] for case in truth
    )


def test_sources_demo_lists_what_the_demo_crawled(tmp_path: Path, truth: list[dict]) -> None:
    before = run_presswatch("sources", "--demo", "--format", "json", cwd=tmp_path)
    assert before.returncode == 0, before.stderr
    assert [(r["source"], r["articles"], r["health"]) for r in json.loads(before.stdout)] == [
        (name, 0, "never crawled") for name in DEMO_SOURCES
    ]
    assert not (tmp_path / "presswatch-demo.db").exists()  # listing creates no archive

    db = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    assert run_presswatch("demo", "--db", db, cwd=tmp_path).returncode == 0
    after = run_presswatch("sources", "--demo", "--db", db, "--format", "json", cwd=tmp_path)
    assert after.returncode == 0, after.stderr
    per_site = {name: sum(case["site"] == name for case in truth) for name in DEMO_SOURCES}
    assert [(r["source"], r["articles"], r["last_status"], r["health"]) for r in json.loads(after.stdout)] == [
        (name, per_site[name], "ok", "ok") for name in DEMO_SOURCES
    ]


def test_sources_demo_takes_no_config(tmp_path: Path) -> None:
    result = run_presswatch("sources", "--demo", "--config", "sources.toml", cwd=tmp_path)
    assert result.returncode == 2
    assert "--demo lists the demo's own sources: give it without --config" in result.stderr


def test_sources_without_a_sources_file_points_at_the_demo_sources(tmp_path: Path) -> None:
    result = run_presswatch("sources", cwd=tmp_path, env={"PRESSWATCH_CONFIG": ""})
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "presswatch: sources.toml: invalid sources config:\n"
        "  - file not found; pass --config PATH, set PRESSWATCH_CONFIG, or create ./sources.toml\n"
        "  (the demo's sources, after `presswatch demo`: presswatch sources --demo)\n"
    )
