"""The sources config (DESIGN §3): TOML in, validated, typed `Config` out.

Every problem is reported before anything is fetched, each naming the source and
the key, so a user can fix the file in one pass. The config lives here rather
than in `scheduler/` because `python -m crawler` (the child process of one crawl)
must load it too, and imports point scheduler → crawler → storage.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import regex  # the `regex` engine: its matches take a timeout (a backtracking pattern cannot hang a crawl)

from presswatch.crawler.origins import origin_allowed, origins_of, parse_entry
from presswatch.crawler.parsing.article import ParseProfile
from presswatch.crawler.service_settings import ServiceSettings, parse_service
from presswatch.crawler.watches import AlertSettings, Watch, parse_alert_settings, parse_watches

NAME_PATTERN = re.compile(r"^[a-z0-9-]+$")
INTERVAL_PATTERN = re.compile(r"^(\d+)\s*([smhd])$")
INTERVAL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DATE_ORDERS = ("DMY", "MDY", "YMD")
SELECTOR_FIELDS = ("headline", "body", "published_at", "source", "authors")


class ConfigError(Exception):
    """The config cannot be used; the message lists every problem found."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path}: invalid sources config:\n{lines}")


@dataclass(frozen=True, slots=True)
class CrawlSettings:
    """How to fetch: the `[crawl]` table, overridable per source."""

    concurrent_requests: int = 16
    concurrent_per_domain: int = 2
    download_delay: float = 0.5
    autothrottle: bool = True
    obey_robots: bool = True
    download_timeout: float = 30.0
    user_agent: str = "presswatch/0.1 (+https://github.com/presswatch/presswatch)"
    max_listing_pages: int = 50
    max_articles: int = 5000
    max_page_bytes: int = 10 * 1024 * 1024
    retry_times: int = 2
    max_retry_after: float = 30.0
    max_depth: int = 0  # 0: as deep as max_listing_pages allows
    min_body_chars: int = 80
    parse_workers: int = 1
    revisit_within: str = "24h"  # re-fetch articles published this recently ("0h": never) ...
    revisit_every: str = "6h"  # ... when last fetched longer ago than this
    min_interval: str = "5m"  # bounds of `interval = "auto"`
    max_interval: str = "6h"
    max_crawl_delay: float = 60.0  # a robots.txt Crawl-delay longer than this is kept at this

    @property
    def revisit_within_seconds(self) -> int:
        return interval_to_seconds(self.revisit_within, allow_zero=True)

    @property
    def revisit_every_seconds(self) -> int:
        return interval_to_seconds(self.revisit_every)

    @property
    def interval_bounds(self) -> tuple[int, int]:
        """(shortest, longest) interval in seconds an adaptive source may run at."""
        return interval_to_seconds(self.min_interval), interval_to_seconds(self.max_interval)


#: CrawlSettings keys that hold a duration such as "90s", "10m", "1h", "1d".
DURATION_KEYS = ("revisit_within", "revisit_every", "min_interval", "max_interval")
AUTO_INTERVAL = "auto"
#: The longest duration anywhere in the config (interval, revisit window, ...): ten years.
MAX_DURATION_SECONDS = 3650 * 86400
#: (smallest, largest) accepted for each number of the crawl settings: a value outside
#: would hang a crawl (0 concurrency), lift a bound (0 bytes meant "no limit") or overflow.
NUMBER_RANGES: dict[str, tuple[float, float]] = {
    "concurrent_requests": (1, 1000),
    "concurrent_per_domain": (1, 256),
    "download_delay": (0, 3600),
    "download_timeout": (1, 3600),
    "max_listing_pages": (1, 1_000_000),
    "max_articles": (1, 10_000_000),
    "max_page_bytes": (1024, 1024**3),
    "retry_times": (0, 20),
    "max_retry_after": (0, 86400),
    "max_depth": (0, 1_000_000),
    "min_body_chars": (0, 1_000_000),
    "parse_workers": (0, 64),
    "max_crawl_delay": (0, 3600),
}
#: Crawl settings that no longer exist, with what to do instead: a config that still sets
#: one is an error naming it (not a key silently ignored, nor a bare "unknown key").
REMOVED_CRAWL_KEYS: dict[str, str] = {
    key: "several hosts now share the work through `presswatch serve --broker` and `presswatch worker` "
         "(README: Running on several machines); remove the key"
    for key in ("redis_url", "claim_ttl")
}


@dataclass(frozen=True, slots=True)
class Source:
    """One configured site: where to find its articles and how to read them."""

    name: str
    publisher: str
    start_urls: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    timezone: str | None = None
    language: str | None = None
    interval: str = "1h"
    cron: str | None = None
    date_order: str | None = None
    article_pattern: regex.Pattern[str] | None = None  # matched with a time budget (crawler.discovery)
    listing_pattern: regex.Pattern[str] | None = None
    allowed_domains: tuple[str, ...] = ()
    selectors: dict[str, str] = field(default_factory=dict)
    crawl: CrawlSettings = field(default_factory=CrawlSettings)

    @property
    def adaptive(self) -> bool:
        """`interval = "auto"`: the service picks the interval from how often the source publishes."""
        return self.interval == AUTO_INTERVAL

    @property
    def interval_seconds(self) -> int:
        """The configured interval; for an adaptive source, the longest it may back off to."""
        if self.adaptive:
            return self.crawl.interval_bounds[1]
        return interval_to_seconds(self.interval)

    def profile(self) -> ParseProfile:
        """The hints the parser takes from this source."""
        return ParseProfile(
            publisher=self.publisher,
            timezone=self.timezone,
            language=self.language,
            date_order=self.date_order,
            selectors=dict(self.selectors),
        )


@dataclass(frozen=True, slots=True)
class Config:
    path: str
    sources: tuple[Source, ...]
    crawl: CrawlSettings
    service: ServiceSettings = field(default_factory=ServiceSettings)
    watches: tuple[Watch, ...] = ()
    alerts: AlertSettings = field(default_factory=AlertSettings)

    def select(self, names: list[str] | tuple[str, ...]) -> tuple[Source, ...]:
        """The named sources (all when `names` is empty); unknown names are an error."""
        if not names:
            return self.sources
        known = {s.name: s for s in self.sources}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ConfigError(
                self.path,
                [f"no source named {n!r} (configured: {', '.join(known) or 'none'})" for n in unknown],
            )
        return tuple(known[n] for n in dict.fromkeys(names))  # a source named twice runs once


def interval_to_seconds(text: str, *, allow_zero: bool = False) -> int:
    match = INTERVAL_PATTERN.match(text.strip())
    if not match:
        raise ValueError(f"not an interval: {text!r} (use e.g. '90s', '10m', '1h', '1d')")
    seconds = int(match.group(1)) * INTERVAL_UNITS[match.group(2)]
    if seconds == 0 and not allow_zero:
        raise ValueError(f"{text!r} is zero: give a positive duration such as '90s', '10m', '1h'")
    if seconds > MAX_DURATION_SECONDS:
        raise ValueError(f"{text!r} is longer than ten years (3650d): give a shorter duration")
    return seconds


def load_config(path: str | Path, *, base_url: str | None = None, sources_required: bool = True) -> Config:
    """Read and validate a sources file.

    `base_url` replaces the `__BASE__` placeholder (used by the bundled demo sources).
    `sources_required=False`: a file without `[[sources]]` is fine (`presswatch worker`
    reads only its `[service]` and `[crawl]` tables).
    """
    text = _read(path)
    if base_url is not None:
        text = text.replace("__BASE__", base_url.rstrip("/"))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [f"not valid TOML: {exc}"]) from None
    return parse_config(data, str(path), sources_required=sources_required)


def _read(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            str(path),
            ["file not found; pass --config PATH, set PRESSWATCH_CONFIG, or create ./sources.toml"],
        ) from None
    except IsADirectoryError:
        raise ConfigError(str(path), ["is a directory, not a sources file; pass the .toml file itself"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), [f"cannot read the file: {exc}"]) from None


def parse_config(data: dict[str, Any], path: str = "<config>", *, sources_required: bool = True) -> Config:
    """Validate an already-parsed TOML document; raise ConfigError listing every problem."""
    problems: list[str] = []
    _unknown_keys(data, {"sources", "crawl", "service", "watches", "alerts"}, "top level", problems)
    crawl = _crawl_settings(data.get("crawl", {}), CrawlSettings(), "[crawl]", problems)
    service = parse_service(data.get("service", {}), problems)
    raw_sources = data.get("sources", [])
    if not isinstance(raw_sources, list) or (sources_required and not raw_sources):
        problems.append("no [[sources]] defined: add at least one [[sources]] table")
        raw_sources = []
    sources: list[Source] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_sources):
        source = _source(raw, index, crawl, problems)
        if source is None:
            continue
        if source.name in seen:
            problems.append(f"source {source.name!r}: key 'name': duplicate source name")
        seen.add(source.name)
        sources.append(source)
    names = [str(raw["name"]) for raw in raw_sources if isinstance(raw, dict) and isinstance(raw.get("name"), str)]
    watches = parse_watches(data.get("watches"), names, problems)
    alerts = parse_alert_settings(data.get("alerts"), problems)
    if problems:
        raise ConfigError(path, problems)
    return Config(path=path, sources=tuple(sources), crawl=crawl, service=service, watches=watches, alerts=alerts)


SOURCE_KEYS = {
    "name", "publisher", "start_urls", "feeds", "sitemaps", "timezone", "language",
    "interval", "cron", "date_order", "article_pattern", "listing_pattern", "allowed_domains",
    "selectors",
}
CRAWL_KEYS = {f.name for f in fields(CrawlSettings)}


def _source(raw: Any, index: int, crawl: CrawlSettings, problems: list[str]) -> Source | None:
    if not isinstance(raw, dict):
        problems.append(f"sources[{index}]: must be a table ([[sources]])")
        return None
    name = raw.get("name")
    label = f"source {name!r}" if isinstance(name, str) else f"sources[{index}]"
    start = len(problems)
    _unknown_keys(raw, SOURCE_KEYS | CRAWL_KEYS, label, problems, removed=REMOVED_CRAWL_KEYS)
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        problems.append(f"{label}: key 'name': required, lower-case letters, digits and '-' only")
    urls = {key: _urls(raw, key, label, problems) for key in ("start_urls", "feeds", "sitemaps")}
    if not any(urls.values()):
        problems.append(f"{label}: key 'start_urls': give at least one of start_urls, feeds, sitemaps")
    source = Source(
        name=name if isinstance(name, str) else "",
        publisher=_string(raw, "publisher", label, problems) or (name if isinstance(name, str) else ""),
        start_urls=urls["start_urls"],
        feeds=urls["feeds"],
        sitemaps=urls["sitemaps"],
        timezone=_timezone(raw, label, problems),
        language=_language(raw, label, problems),
        interval=_interval(raw, label, problems),
        cron=_cron(raw, label, problems),
        date_order=_choice(raw, "date_order", DATE_ORDERS, label, problems),
        article_pattern=_regex(raw, "article_pattern", label, problems),
        listing_pattern=_regex(raw, "listing_pattern", label, problems),
        allowed_domains=_domains(raw, urls, label, problems),
        selectors=_selectors(raw, label, problems),
        crawl=_crawl_settings({k: v for k, v in raw.items() if k in CRAWL_KEYS}, crawl, label, problems),
    )
    return source if len(problems) == start else None


def _unknown_keys(
    table: dict[str, Any], allowed: set[str], label: str, problems: list[str], removed: dict[str, str] | None = None,
) -> None:
    for key in table:
        if removed and key in removed:
            problems.append(f"{label}: key {key!r} was removed: {removed[key]}")
        elif key not in allowed:
            problems.append(f"{label}: key {key!r}: unknown key (allowed: {', '.join(sorted(allowed))})")


def _string(raw: dict[str, Any], key: str, label: str, problems: list[str]) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{label}: key {key!r}: must be a non-empty string")
        return None
    return value.strip()


def _urls(raw: dict[str, Any], key: str, label: str, problems: list[str]) -> tuple[str, ...]:
    value = raw.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        problems.append(f"{label}: key {key!r}: must be a list of URLs")
        return ()
    good = []
    for url in value:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(f"{label}: key {key!r}: {url!r} is not an http(s) URL with a host")
        else:
            good.append(url)
    return tuple(good)


def _timezone(raw: dict[str, Any], label: str, problems: list[str]) -> str | None:
    value = _string(raw, "timezone", label, problems)
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"{label}: key 'timezone': unknown time zone {value!r} (use an IANA name such as 'Asia/Baku')")
        return None
    return value


def _language(raw: dict[str, Any], label: str, problems: list[str]) -> str | None:
    value = _string(raw, "language", label, problems)
    if value is not None and not re.fullmatch(r"[a-z]{2}", value):
        problems.append(f"{label}: key 'language': {value!r} is not an ISO 639-1 code such as 'en'")
        return None
    return value


def _interval(raw: dict[str, Any], label: str, problems: list[str]) -> str:
    value = raw.get("interval", "1h")
    if value == AUTO_INTERVAL:
        return AUTO_INTERVAL
    try:
        interval_to_seconds(str(value))
    except ValueError as exc:
        problems.append(f"{label}: key 'interval': {exc}")
        return "1h"
    return str(value).strip()


def _cron(raw: dict[str, Any], label: str, problems: list[str]) -> str | None:
    value = raw.get("cron")
    if value is None:
        return None
    if "interval" in raw:
        problems.append(f"{label}: key 'cron': give either 'interval' or 'cron', not both")
        return None
    if not isinstance(value, str):
        problems.append(f"{label}: key 'cron': must be a crontab string such as '*/15 8-20 * * mon-fri'")
        return None
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        problems.append(f"{label}: key 'cron': {value!r} is not a crontab expression: {exc}")
        return None
    return value.strip()


def _choice(raw: dict[str, Any], key: str, options: tuple[str, ...], label: str, problems: list[str]) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if value not in options:
        problems.append(f"{label}: key {key!r}: {value!r} is not one of {', '.join(options)}")
        return None
    return str(value)


def _regex(raw: dict[str, Any], key: str, label: str, problems: list[str]) -> regex.Pattern[str] | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(f"{label}: key {key!r}: must be a regular expression string")
        return None
    try:
        return regex.compile(value)
    except regex.error as exc:
        problems.append(f"{label}: key {key!r}: bad regular expression {value!r}: {exc}")
        return None


def _domains(
    raw: dict[str, Any], urls: dict[str, tuple[str, ...]], label: str, problems: list[str]
) -> tuple[str, ...]:
    """Allowed origins (see `crawler.origins`): the given ones, else those of the source's own URLs."""
    value = raw.get("allowed_domains")
    own = [u for group in urls.values() for u in group]
    if value is None:
        return origins_of(own)
    if not isinstance(value, list) or not all(isinstance(d, str) and parse_entry(d) for d in value):
        problems.append(
            f"{label}: key 'allowed_domains': must be a list of host names, each with an optional port "
            f"(e.g. \"example.az\", \"127.0.0.1:8080\")"
        )
        return ()
    domains = tuple(d.strip().lower() for d in value)
    for url in own:
        if not origin_allowed(url, domains):
            problems.append(f"{label}: key 'allowed_domains': does not allow the source's own URL {url!r}")
    return domains


def _selectors(raw: dict[str, Any], label: str, problems: list[str]) -> dict[str, str]:
    value = raw.get("selectors", {})
    if not isinstance(value, dict):
        problems.append(f"{label}: key 'selectors': must be a table of field = \"CSS selector\"")
        return {}
    for key, selector in value.items():
        if key not in SELECTOR_FIELDS:
            problems.append(f"{label}: key 'selectors.{key}': unknown field (allowed: {', '.join(SELECTOR_FIELDS)})")
        elif not _valid_css(selector):
            problems.append(f"{label}: key 'selectors.{key}': {selector!r} is not a valid CSS selector")
    return {k: v for k, v in value.items() if k in SELECTOR_FIELDS}


def _valid_css(selector: Any) -> bool:
    if not isinstance(selector, str) or not selector.strip():
        return False
    from cssselect import GenericTranslator, SelectorError  # scrapy's own dependency

    try:
        GenericTranslator().css_to_xpath(selector)
    except SelectorError:
        return False
    return True


def _crawl_settings(
    raw: Any, base: CrawlSettings, label: str, problems: list[str]
) -> CrawlSettings:
    if not isinstance(raw, dict):
        problems.append(f"{label}: must be a table")
        return base
    if label == "[crawl]":
        _unknown_keys(raw, CRAWL_KEYS, label, problems, removed=REMOVED_CRAWL_KEYS)
    changes: dict[str, Any] = {}
    for f in fields(CrawlSettings):
        if f.name not in raw:
            continue
        value = raw[f.name]
        expected = type(getattr(base, f.name))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if type(value) is not expected:
            problems.append(f"{label}: key {f.name!r}: must be {expected.__name__}, got {value!r}")
        elif f.name in DURATION_KEYS and not _duration_ok(value, f.name, label, problems):
            pass
        elif f.name in NUMBER_RANGES and not _in_range(value, f.name, label, problems):
            pass
        elif f.name == "user_agent" and not value.strip():
            problems.append(f"{label}: key 'user_agent': must not be empty (sites use it to tell who crawls them)")
        else:
            changes[f.name] = value
    settings = replace(base, **changes)
    if "min_interval" in changes or "max_interval" in changes:
        shortest, longest = settings.interval_bounds
        if shortest > longest:
            problems.append(
                f"{label}: key 'min_interval': {settings.min_interval!r} is longer than "
                f"max_interval {settings.max_interval!r}"
            )
    return settings


def _in_range(value: float, key: str, label: str, problems: list[str]) -> bool:
    low, high = NUMBER_RANGES[key]
    if low <= value <= high:
        return True
    shown = lambda n: str(int(n)) if float(n).is_integer() else str(n)  # noqa: E731
    problems.append(f"{label}: key {key!r}: {value!r} is out of range (from {shown(low)} to {shown(high)})")
    return False


def _duration_ok(value: str, key: str, label: str, problems: list[str]) -> bool:
    try:
        interval_to_seconds(value, allow_zero=key == "revisit_within")
    except ValueError as exc:
        problems.append(f"{label}: key {key!r}: {exc}")
        return False
    return True
