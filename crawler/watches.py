"""Watches (alerts): the `[[watches]]` tables of the sources config, validated, and pure matching.

A watch says which newly archived stories someone wants to hear about: a query in
`presswatch search` syntax (words, "phrases", OR, -word) over headline and body, plus
optional filters on the configured source, the credited agency, the language and the
labels. Matching here is a pure function of a watch and an article's fields; the archive's
outbox (`storage.alerts`) records what matched and `scheduler.alerts` delivers it.

Notification URLs are Apprise URLs; `${ENV_VAR}` in them is expanded only when sending
(`expand_secrets`), so secrets never reach the archive or the logs (`redacted`).
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from presswatch.storage.search_syntax import parse_terms

if TYPE_CHECKING:  # loading the config imports no SQLAlchemy (parse workers read it)
    from presswatch.storage.alerts import AlertArticle


NAME_PATTERN = re.compile(r"^[a-z0-9-]+$")
DIGEST_PATTERN = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_WORD = re.compile(r"\w+")
_SECRET = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
ALERTS_KEYS = {"health_notify", "feeds_dir"}
WATCH_KEYS = {"name", "query", "sources", "agencies", "languages", "labels", "notify", "digest", "updates"}


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: every clause (a tuple of alternative phrases) must match; no excluded phrase may."""

    clauses: tuple[tuple[tuple[str, ...], ...], ...]
    excluded: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class Watch:
    name: str
    query: Query | None = None
    query_text: str | None = None
    sources: frozenset[str] = frozenset()
    agencies: frozenset[str] = frozenset()  # casefolded
    languages: frozenset[str] = frozenset()
    labels: frozenset[str] = frozenset()  # upper-case
    notify: tuple[str, ...] = ()  # Apprise URLs, `${VAR}` not expanded
    digest_seconds: int = 0  # 0: one alert per story
    updates: bool = False

    def channel_keys(self) -> tuple[str, ...]:
        """A stable, secret-free key per notification URL (the template's hash)."""
        return tuple(channel_key(url) for url in self.notify)


# --- matching (pure) ---------------------------------------------------------------------


def watch_matches(watch: Watch, article: AlertArticle) -> bool:
    """Does `article` pass every filter of `watch` and its query?"""
    if watch.sources and article.source_name not in watch.sources:
        return False
    if watch.agencies and (article.source or "").strip().casefold() not in watch.agencies:
        return False
    if watch.languages and (article.language or "").split("-")[0].lower() not in watch.languages:
        return False
    if watch.labels and watch.labels.isdisjoint(label.upper() for label in article.labels):
        return False
    if watch.query is None:
        return True
    return query_matches(watch.query, article_text(article.headline or "", article.body or ""))


def query_matches(query: Query, text: Text) -> bool:
    if any(text.contains(phrase) for phrase in query.excluded):
        return False
    return all(any(text.contains(phrase) for phrase in clause) for clause in query.clauses)


@dataclass(frozen=True, slots=True)
class Text:
    """An article's words in order, and as a set: most phrases are one word, or miss a word."""

    words: tuple[str, ...]
    vocabulary: frozenset[str]

    def contains(self, phrase: tuple[str, ...]) -> bool:
        if not self.vocabulary.issuperset(phrase):
            return False
        size, first = len(phrase), phrase[0]
        return size == 1 or any(
            self.words[i] == first and self.words[i : i + size] == phrase
            for i in range(len(self.words) - size + 1)
        )


@lru_cache(maxsize=32)
def article_text(headline: str, body: str) -> Text:
    """The headline's and body's words, read once per article: every watch asks about the same
    article in turn (`storage.alerts.match_events`), and reading the text costs far more than a look-up."""
    found = words(f"{headline}\n{body}")
    return Text(found, frozenset(found))


def words(text: str) -> tuple[str, ...]:
    """Lower-case words without diacritics (as the full-text index reads them, without stemming)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return tuple(_WORD.findall(plain))


def parse_query(text: str) -> Query | None:
    """`presswatch search` syntax (`storage.search_syntax`, as the search reads it) as a Query of
    folded words; None when it has no word to look for."""
    parsed = parse_terms(text)
    if parsed is None:
        return None
    clauses = tuple(
        clause for clause in (tuple(p for p in map(words, phrases) if p) for phrases in parsed.clauses) if clause
    )
    excluded = tuple(phrase for phrase in map(words, parsed.excluded) if phrase)
    return Query(clauses, excluded) if clauses else None


# --- secrets -----------------------------------------------------------------------------


def channel_key(url: str) -> str:
    """The notification URL template's SHA-256 (first 16 hex digits): names a channel without its secrets."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def expand_secrets(url: str, environ: Mapping[str, str] | None = None) -> str:
    """`${VAR}` replaced by the environment's value; a missing variable is an error naming it."""
    env = os.environ if environ is None else environ

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise KeyError(f"environment variable {name} is not set (the notification URL uses ${{{name}}})")
        return env[name]

    return _SECRET.sub(value, url)


def redacted(url: str) -> str:
    """What may be shown of a notification URL: scheme, host and port, nothing else."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if "${" in host:
        host = "…"
    port = f":{parts.port}" if _port(parts) else ""
    return f"{parts.scheme}://{host}{port}/…" if parts.scheme else "(not a URL)"


def _port(parts: Any) -> int | None:
    try:
        return parts.port
    except ValueError:
        return None


# --- config ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """The `[alerts]` table."""

    health_notify: tuple[str, ...] = ()  # Apprise URLs told when a source turns unhealthy or recovers
    feeds_dir: str | None = None  # where `serve` keeps each watch's Atom feed (relative: to the config file)


def parse_alert_settings(raw: Any, problems: list[str]) -> AlertSettings:
    if raw is None:
        return AlertSettings()
    if not isinstance(raw, dict):
        problems.append("[alerts]: must be a table")
        return AlertSettings()
    for key in raw:
        if key not in ALERTS_KEYS:
            problems.append(f"[alerts]: key {key!r}: unknown key (allowed: {', '.join(sorted(ALERTS_KEYS))})")
    return AlertSettings(health_notify=_notify(raw, "[alerts]", problems, key="health_notify"),
                         feeds_dir=_feeds_dir(raw.get("feeds_dir"), problems))


def _feeds_dir(value: Any, problems: list[str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(f"[alerts]: key 'feeds_dir': {value!r} is not a folder path (a non-empty string)")
        return None
    if importlib.util.find_spec("feedgen") is None:
        problems.append("[alerts]: key 'feeds_dir' needs feedgen, which is not installed: pip install 'presswatch[feed]'")
        return None
    return value



def parse_watches(raw: Any, source_names: Sequence[str], problems: list[str]) -> tuple[Watch, ...]:
    """Validate the `[[watches]]` tables; each problem names the watch and the key."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append("watches: must be [[watches]] tables")
        return ()
    watches: list[Watch] = []
    seen: set[str] = set()
    for index, table in enumerate(raw):
        watch = _watch(table, index, set(source_names), problems)
        if watch is None:
            continue
        if watch.name in seen:
            problems.append(f"watch {watch.name!r}: key 'name': duplicate watch name")
        seen.add(watch.name)
        watches.append(watch)
    return tuple(watches)


def _watch(raw: Any, index: int, source_names: set[str], problems: list[str]) -> Watch | None:
    if not isinstance(raw, dict):
        problems.append(f"watches[{index}]: must be a table ([[watches]])")
        return None
    name = raw.get("name")
    label = f"watch {name!r}" if isinstance(name, str) else f"watches[{index}]"
    start = len(problems)
    for key in raw:
        if key not in WATCH_KEYS:
            problems.append(f"{label}: key {key!r}: unknown key (allowed: {', '.join(sorted(WATCH_KEYS))})")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        problems.append(f"{label}: key 'name': required, lower-case letters, digits and '-' only")
    query_text = raw.get("query")
    query = _query(query_text, label, problems)
    sources = _strings(raw, "sources", label, problems)
    for unknown in sorted(set(sources) - source_names):
        problems.append(f"{label}: key 'sources': no source named {unknown!r} "
                        f"(configured: {', '.join(sorted(source_names)) or 'none'})")
    languages = _strings(raw, "languages", label, problems)
    for code in languages:
        if not re.fullmatch(r"[a-z]{2}", code):
            problems.append(f"{label}: key 'languages': {code!r} is not an ISO 639-1 code such as 'en'")
    watch = Watch(
        name=name if isinstance(name, str) else "",
        query=query,
        query_text=query_text if query is not None else None,
        sources=frozenset(sources),
        agencies=frozenset(a.strip().casefold() for a in _strings(raw, "agencies", label, problems)),
        languages=frozenset(languages),
        labels=frozenset(x.strip().upper() for x in _strings(raw, "labels", label, problems)),
        notify=_notify(raw, label, problems),
        digest_seconds=_digest(raw.get("digest", "off"), label, problems),
        updates=_flag(raw, "updates", label, problems),
    )
    return watch if len(problems) == start else None


def _query(value: Any, label: str, problems: list[str]) -> Query | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(f"{label}: key 'query': must be a string in `presswatch search` syntax")
        return None
    query = parse_query(value)
    if query is None:
        problems.append(f"{label}: key 'query': {value!r} has no word to look for "
                        "(give words, \"phrases\", a OR b, -word; or leave 'query' out to match every article)")
    return query


def _strings(raw: dict[str, Any], key: str, label: str, problems: list[str]) -> list[str]:
    value = raw.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(f"{label}: key {key!r}: must be a list of non-empty strings")
        return []
    return list(value)


def _notify(raw: dict[str, Any], label: str, problems: list[str], key: str = "notify") -> tuple[str, ...]:
    urls = _strings(raw, key, label, problems)  # a watch without any feeds `presswatch feed` only
    for n, url in enumerate(urls):
        if not re.match(r"^[a-z][a-z0-9+.-]*://\S", url):
            problems.append(f"{label}: key {key!r}: entry {n + 1} is not a notification URL "
                            "(Apprise syntax, e.g. json://host/path, mailto://user:pass@host)")
        elif _bare_password(url):
            problems.append(f"{label}: key {key!r}: entry {n + 1} ({redacted(url)}) holds a password in clear: "
                            "put it in an environment variable and write ${VAR} instead")
    return tuple(urls)


def _bare_password(url: str) -> bool:
    """user:password@ written in the file rather than as ${VAR}."""
    netloc = urlsplit(url).netloc
    if "@" not in netloc:
        return False
    userinfo = netloc.rsplit("@", 1)[0]
    return ":" in userinfo and not _SECRET.search(userinfo.split(":", 1)[1])


def _digest(value: Any, label: str, problems: list[str]) -> int:
    if value == "off":
        return 0
    match = DIGEST_PATTERN.match(value.strip()) if isinstance(value, str) else None
    seconds = int(match.group(1)) * _UNITS[match.group(2)] if match else 0
    if not 60 <= seconds <= 7 * 86400:
        problems.append(f"{label}: key 'digest': {value!r} is not \"off\" or an interval from 1m to 7d "
                        "such as \"1h\"")
        return 0
    return seconds


def _flag(raw: dict[str, Any], key: str, label: str, problems: list[str]) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        problems.append(f"{label}: key {key!r}: must be true or false")
        return False
    return value
