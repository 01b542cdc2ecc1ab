"""Content fingerprints: what counts as "the same text" for revisions and duplicates."""
from __future__ import annotations

import hashlib
import unicodedata

#: Bodies shorter than this (after normalising) are too generic to call two pages duplicates.
MIN_DUPLICATE_BODY_CHARS = 40


def normalise_text(text: str | None) -> str:
    """NFKC, case-folded, invisible format characters removed, whitespace collapsed."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).casefold()
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return " ".join(visible.split())


def content_hash(headline: str | None, body: str | None) -> str:
    """sha256 of the normalised headline and body: changes only when the text does."""
    joined = f"{normalise_text(headline)}\x1f{normalise_text(body)}"
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def body_hash(body: str | None) -> str | None:
    """sha256 of the normalised body (dedupe level 2); None when there is no body."""
    normalised = normalise_text(body)
    if not normalised:
        return None
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def is_duplicate_candidate(body: str | None) -> bool:
    """Whether a body is long enough for an exact match to mean "the same release"."""
    return len(normalise_text(body)) >= MIN_DUPLICATE_BODY_CHARS
