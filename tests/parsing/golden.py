"""Golden parser cases in ``fixtures/cases/<name>/``: load them, and (re)write their goldens.

    .venv/bin/python -m tests.parsing.golden [--write] [CASE ...]

Without ``--write`` it prints, per case, the fields whose output differs from
``expected.json``; with ``--write`` it stores the current output as the golden.
Review every written golden by hand: the values must be exactly right.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from presswatch.crawler.parse_batch import load_page, parse_to_record
from presswatch.crawler.parsing import ParseProfile

CASES = Path(__file__).resolve().parents[2] / "fixtures" / "cases"


@dataclass(frozen=True)
class Case:
    name: str
    page: bytes
    url: str
    profile: ParseProfile
    expected_path: Path

    def expected(self) -> dict[str, Any]:
        return json.loads(self.expected_path.read_text("utf-8"))

    def actual(self) -> dict[str, Any]:
        return parse_to_record(self.page, self.url, self.profile)


def profile_from_json(data: dict[str, Any]) -> ParseProfile:
    now = data.get("now")
    return ParseProfile(
        publisher=data.get("publisher"),
        timezone=data.get("timezone"),
        language=data.get("language"),
        date_order=data.get("date_order"),
        selectors=data.get("selectors") or {},
        now=datetime.fromisoformat(now) if now else None,
        content_type=data.get("content_type"),  # the HTTP header a crawl would have seen
    )


def load_case(directory: Path) -> Case:
    spec = json.loads((directory / "case.json").read_text("utf-8"))
    page = load_page(case_page(directory, spec))
    if "base_url" in spec:  # a demo site's page, as its server would serve it
        page = page.replace(b"__BASE__", spec["base_url"].encode())
    return Case(directory.name, page, spec["url"],
                profile_from_json(spec.get("profile") or {}), directory / "expected.json")


def case_page(directory: Path, spec: dict[str, Any]) -> Path:
    """The case's page: `page.html(.gz)` beside it, or `"page"` in case.json (relative to the
    case directory), so a case can read a demo site's page instead of copying it; then
    `"base_url"` stands in for the `__BASE__` placeholder the demo server fills in."""
    if "page" in spec:
        return (directory / spec["page"]).resolve()
    return next(p for p in (directory / "page.html", directory / "page.html.gz") if p.exists())


def all_cases() -> list[Case]:
    return [load_case(d) for d in sorted(CASES.iterdir()) if (d / "case.json").is_file()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="*", help="case names (default: all)")
    parser.add_argument("--write", action="store_true", help="store current output as golden")
    args = parser.parse_args(argv)
    for case in all_cases():
        if args.cases and case.name not in args.cases:
            continue
        actual = case.actual()
        if args.write:
            text = json.dumps(actual, ensure_ascii=False, indent=2) + "\n"
            case.expected_path.write_text(text, encoding="utf-8")
            print(f"wrote {case.expected_path}")
            continue
        expected = case.expected() if case.expected_path.exists() else {}
        changed = sorted(k for k in actual.keys() | expected.keys()
                         if actual.get(k) != expected.get(k))
        for key in changed:
            print(f"{case.name}: {key}: {expected.get(key)!r} -> {actual.get(key)!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
