"""Two crawl processes sharing Redis claims fetch each demo article once between them."""
from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.e2e.helpers import PRESSWATCH, REPO


def test_two_concurrent_crawls_never_fetch_the_same_article(tmp_path: Path, demo_site, demo_config, truth, redis_url) -> None:
    server, _ = demo_site
    config = demo_config.read_text(encoding="utf-8")
    assert "\n[crawl]\n" in config
    demo_config.write_text(config.replace("\n[crawl]\n", f'\n[crawl]\nredis_url = "{redis_url}"\n', 1), encoding="utf-8")
    dbs = [tmp_path / "a.db", tmp_path / "b.db"]
    crawls = [
        subprocess.Popen([*PRESSWATCH, "crawl", "--config", str(demo_config), "--db", f"sqlite:///{db}"],
                         cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for db in dbs
    ]
    for crawl in crawls:
        _, err = crawl.communicate(timeout=180)
        assert crawl.returncode == 0, err

    article_paths = {t["path"] for t in truth}
    fetched = [r.path for r in server.requests if r.path in article_paths]
    assert sorted(fetched) == sorted(article_paths)  # every article once, by one of the two
    stored = set()
    for db in dbs:
        engine = create_engine(f"sqlite:///{db}")
        with engine.connect() as conn:
            stored |= {u.removeprefix(server.base_url) for (u,) in conn.execute(text("SELECT url FROM articles"))}
        engine.dispose()
    assert stored == article_paths
