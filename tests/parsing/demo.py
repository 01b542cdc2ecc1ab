"""Loading the demo press sites' pages, their source profiles and expected records."""
from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from presswatch.crawler.parsing import ParseProfile

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
BASE_URL = "http://127.0.0.1:8080"
FIELDS = ("headline", "labels", "published_at", "source", "publisher", "body", "language",
          "authors")


@dataclass(frozen=True)
class DemoPage:
    path: Path
    url: str
    profile: ParseProfile
    expected: dict[str, Any]


def demo_profiles() -> dict[str, ParseProfile]:
    config = tomllib.loads((DEMO / "sources.toml").read_text("utf-8"))
    return {
        source["name"]: ParseProfile(
            publisher=source.get("publisher", source["name"]),
            timezone=source.get("timezone"),
            language=source.get("language"),
            date_order=source.get("date_order"),
            selectors=source.get("selectors", {}),
        )
        for source in config.get("sources", [])
    }


def page_file(url_path: str) -> Path:
    base = DEMO / "sites" / url_path.strip("/")
    for candidate in (base, base.with_name(base.name + ".html"), base / "index.html"):
        if candidate.is_file():
            return candidate
    return base


def demo_pages() -> list[DemoPage]:
    truth = DEMO / "truth.jsonl"
    if not truth.is_file():
        return []
    profiles = demo_profiles()
    pages = []
    for line in truth.read_text("utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            pages.append(DemoPage(page_file(record["path"]), BASE_URL + record["path"],
                                  profiles.get(record["site"], ParseProfile()), record))
    return pages
