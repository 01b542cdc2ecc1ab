"""End-to-end fixtures: the demo sites served on loopback."""
from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.site_server import SiteServer
from tests.e2e.helpers import DEMO


@pytest.fixture()
def demo_site(tmp_path: Path) -> Iterator[tuple[SiteServer, Path]]:
    """A private copy of the demo sites (so a test may edit pages), served on a free port."""
    root = tmp_path / "sites"
    shutil.copytree(DEMO / "sites", root)
    with SiteServer(root) as server:
        yield server, root


@pytest.fixture()
def demo_config(tmp_path: Path, demo_site: tuple[SiteServer, Path]) -> Path:
    server, _ = demo_site
    text = (DEMO / "sources.toml").read_text(encoding="utf-8").replace("__BASE__", server.base_url)
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def truth() -> list[dict]:
    lines = (DEMO / "truth.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
