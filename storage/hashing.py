"""Content fingerprints: what counts as "the same text" for revisions and duplicates.

Saving a page normalises its headline and body once (``Fingerprint.of``); every
key dedupe and revisions need is derived from that one normalised text.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

#: Bodies shorter than this (after normalising) are too generic to call two pages duplicates.
MIN_DUPLICATE_BODY_CHARS = 40

#: Code point ranges that hold every format (Cf) character of current Unicode versions
#: (scanning all 1.1M code points at import would cost ~0.3 s; these hold ~130k).
_CF_SCAN_RANGES = ((0, 0x20000), (0xE0000, 0xE0080))


@cache
def _format_characters() -> re.Pattern[str]:
    """A regex matching every invisible format character (category Cf), as ranges."""
    ranges: list[list[int]] = []
    for start, stop in _CF_SCAN_RANGES:
        for code in range(start, stop):
            if unicodedata.category(chr(code)) != "Cf":
                continue
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    spans = "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return re.compile(f"[{spans}]")


def normalise_text(text: str | None) -> str:
    """NFKC, case-folded, invisible format characters removed, whitespace collapsed."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if not folded.isascii():
        folded = _format_characters().sub("", folded)
    return " ".join(folded.split())


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def content_hash(headline: str | None, body: str | None) -> str:
    """sha256 of the normalised headline and body: changes only when the text does."""
    return _content_hash(normalise_text(headline), normalise_text(body))


def _content_hash(headline: str, body: str) -> str:
    return _sha256(f"{headline}\x1f{body}")


def body_hash(body: str | None) -> str | None:
    """sha256 of the normalised body (dedupe level 2); None when there is no body."""
    normalised = normalise_text(body)
    return _sha256(normalised) if normalised else None


def is_duplicate_candidate(body: str | None) -> bool:
    """Whether a body is long enough for an exact match to mean "the same release"."""
    return len(normalise_text(body)) >= MIN_DUPLICATE_BODY_CHARS


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Every text key of one page, from a single normalisation of headline and body.

    ``content_hash`` (headline + body) decides revisions; ``body_hash`` (body
    only) groups copies, so a release republished under a new headline still
    lands in its group; ``words`` feed the near-duplicate signature.
    """

    content_hash: str
    body_hash: str | None
    duplicate_candidate: bool
    words: tuple[str, ...]

    @classmethod
    def of(cls, headline: str | None, body: str | None) -> Fingerprint:
        normalised_body = normalise_text(body)
        return cls(
            content_hash=_content_hash(normalise_text(headline), normalised_body),
            body_hash=_sha256(normalised_body) if normalised_body else None,
            duplicate_candidate=len(normalised_body) >= MIN_DUPLICATE_BODY_CHARS,
            words=tuple(normalised_body.split()),
        )
