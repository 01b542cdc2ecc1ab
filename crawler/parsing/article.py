"""The parser's output record (DESIGN §4) and the hints it takes in."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ParseProfile:
    """What the parser may know about a page before reading it: the source's hints.

    ``now`` bounds "future" dates; ``None`` means the wall clock at parse time.
    ``selectors`` maps a field name (``headline``, ``body``, ``published_at``,
    ``source``, ``authors``) to a CSS selector declared for the source.
    ``content_type`` is the HTTP ``Content-Type`` header one page was served with
    (its charset is the page's strongest declaration after a byte-order mark): set per
    page with :meth:`served_as`; ``None`` for a saved page without headers.
    ``site_names`` are names the source's titles carry, learnt from its other pages
    (:func:`crawler.parsing.affixes.recurring_affixes`): set with :meth:`naming`.
    """

    publisher: str | None = None
    timezone: str | None = None
    language: str | None = None
    date_order: str | None = None
    selectors: Mapping[str, str] = field(default_factory=dict)
    now: datetime | None = None
    content_type: str | None = None
    site_names: tuple[str, ...] = ()

    def naming(self, site_names: tuple[str, ...]) -> ParseProfile:
        """These hints, knowing that the source's titles carry these site names."""
        return self if site_names == self.site_names else replace(self, site_names=site_names)

    def served_as(self, content_type: bytes | str | None) -> ParseProfile:
        """These hints for one page served with this ``Content-Type`` header (bytes as HTTP has them)."""
        if isinstance(content_type, bytes):
            content_type = content_type.decode("latin-1")
        return replace(self, content_type=content_type or None)


@dataclass(frozen=True, slots=True)
class Article:
    """One normalised record extracted from one page."""

    url: str
    headline: str | None = None
    labels: tuple[str, ...] = ()
    published_at: datetime | None = None
    modified_at: datetime | None = None
    source: str | None = None
    publisher: str | None = None
    body: str | None = None
    language: str | None = None
    authors: tuple[str, ...] = ()
    canonical_url: str | None = None
    date_raw: str | None = None
    date_precision: str | None = None
    date_method: str | None = None
    source_evidence: str | None = None
    listing: bool = False  # the page lists other articles: not an article to store
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of DESIGN §4 (plus provenance fields)."""
        return {
            "url": self.url,
            "headline": self.headline,
            "labels": list(self.labels),
            "published_at": _iso(self.published_at, self.date_precision),
            "modified_at": _iso(self.modified_at),
            "source": self.source,
            "publisher": self.publisher,
            "body": self.body,
            "language": self.language,
            "authors": list(self.authors),
            "canonical_url": self.canonical_url,
            "date_raw": self.date_raw,
            "date_precision": self.date_precision,
            "date_method": self.date_method,
            "source_evidence": self.source_evidence,
            **({"listing": True} if self.listing else {}),
            **({"error": self.error} if self.error else {}),
        }


def _iso(value: datetime | None, precision: str | None = None) -> str | None:
    """ISO 8601; a value known only to the day is written as a bare date."""
    if value is None:
        return None
    return value.date().isoformat() if precision == "day" else value.isoformat()
