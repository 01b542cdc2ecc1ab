"""The site names a crawl process learns from its sources' page titles.

A source whose pages carry no site name in their metadata still ends every ``<title>`` the same
way (``… | Acme Newsroom``). Each listing and article page's title is noted here, per source,
before the page is parsed; the parser is handed the names the titles so far have in common
(:func:`crawler.parsing.affixes.recurring_affixes`) as ``ParseProfile.site_names``. A `serve`
crawl worker keeps what it learnt for its life, so a quiet run's single new page is read
knowing the names its source's earlier pages showed; a one-off crawl learns from the listing
pages it walks first.
"""
from __future__ import annotations

import re
from collections import OrderedDict, deque

from presswatch.crawler.parsing.affixes import recurring_affixes
from presswatch.crawler.parsing.text import clean_text

_TITLE = re.compile(rb"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
HEAD_BYTES = 65_536  # the title is in the head: the rest of a page is not searched
KEPT_TITLES = 40  # per source, the latest
KEPT_SOURCES = 20_000  # the sources least recently seen are forgotten beyond this


class TitleMemory:
    """The latest titles of each source and the site names they share."""

    def __init__(self) -> None:
        self._titles: OrderedDict[str, deque[str]] = OrderedDict()
        self._names: dict[str, tuple[str, ...]] = {}

    def note(self, source: str, page: bytes, encoding: str = "utf-8") -> None:
        """One page's ``<title>`` (``encoding``: the page's, as the response has it)."""
        match = _TITLE.search(page[:HEAD_BYTES])
        title = clean_text(match.group(1).decode(encoding, "replace")) if match else ""
        if not title:
            return
        titles = self._titles.get(source)
        if titles is None:
            titles = self._titles[source] = deque(maxlen=KEPT_TITLES)
            while len(self._titles) > KEPT_SOURCES:
                forgotten, _ = self._titles.popitem(last=False)
                self._names.pop(forgotten, None)
        self._titles.move_to_end(source)
        if title not in titles:
            titles.append(title)
            self._names[source] = recurring_affixes(titles)

    def site_names(self, source: str) -> tuple[str, ...]:
        return self._names.get(source, ())


TITLES = TitleMemory()  # the process's: every spider of a crawl worker shares it
