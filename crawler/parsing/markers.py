"""Media/update markers that sites glue onto headlines ("PHOTO/UPDATED", "[VIDEO]")."""
from __future__ import annotations

import re

MARKER_WORDS = (
    "PHOTOS", "PHOTO", "VIDEOS", "VIDEO", "UPDATED", "UPDATE", "AUDIO", "INFOGRAPHICS",
    "INFOGRAPHIC", "LIVE", "FOTOS", "FOTO", "ФОТО", "ВИДЕО", "ОБНОВЛЕНО", "ОБНОВЛЕНИЕ",
    "АУДИО", "ИНФОГРАФИКА", "ФОТОРЕПОРТАЖ", "FOTOGALERIE", "GALERIE", "GALLERY",
    "VİDEO", "GÜNCELLENDİ", "YENİLƏNİB", "ЯНГИЛАНДИ",
)
_WORD = "|".join(sorted(MARKER_WORDS, key=len, reverse=True))
_JOIN = r"\s*[/,&+|]\s*|\s+"
# Upper-case words need no brackets; bracketed ones may be in any case.
_BARE = rf"(?:{_WORD})(?:(?:{_JOIN})(?:{_WORD}))*"
_BRACKETED = rf"[\[(](?i:{_BARE})[\])]"
_GROUP = rf"(?:{_BRACKETED}|{_BARE})"
_TRAILING = re.compile(rf"(?:\s*[-–—:|]?\s*{_GROUP})+\s*$")
_LEADING = re.compile(rf"^\s*(?:{_GROUP}\s*[-–—:|.]?\s*)+")
_SPLIT_WORDS = re.compile(rf"(?i:{_WORD})")


def split_markers(headline: str) -> tuple[str, tuple[str, ...]]:
    """Return the headline without its markers, and the markers upper-cased, in order."""
    labels: list[str] = []
    text = headline
    lead = _LEADING.match(text)
    if lead and lead.end() < len(text):
        labels += _words(lead.group(0))
        text = text[lead.end():]
    tail = _TRAILING.search(text)
    if tail and tail.start() > 0:
        labels += _words(tail.group(0))
        text = text[: tail.start()]
    return text.strip(), tuple(dict.fromkeys(labels))


def _words(span: str) -> list[str]:
    return [word.upper() for word in _SPLIT_WORDS.findall(span)]
