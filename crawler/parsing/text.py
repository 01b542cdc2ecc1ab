"""Small text normalisers shared by the field extractors."""
from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_INVISIBLE = re.compile(r"[\u00ad\u200c\u200d\u2060\u200e\u200f]")
_TAGS = re.compile(r"<[^>]{0,400}>")


def clean_text(value: str | None) -> str:
    """Unescape entities, drop stray tags and invisible characters, collapse whitespace."""
    if not value:
        return ""
    text = html.unescape(value) if "&" in value else value
    if "<" in text:
        text = _TAGS.sub(" ", text)
    text = _INVISIBLE.sub("", text)
    return _SPACES.sub(" ", text).strip()


_NOT_ALNUM = re.compile(r"[\W_]+")  # exactly the characters for which str.isalnum() is False


def fold(value: str) -> str:
    """A comparison key: case-folded letters and digits only."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", value).casefold())


_JOIN = "\x00"
_JOIN_BEFORE_PUNCT = re.compile(_JOIN + r"+(?=[:,.;!?)\]»“”’])")
_JOIN_AFTER_OPEN = re.compile(r"(?<=[(\[«„‘])" + _JOIN + "+")


def element_text(element: object) -> str:
    """The visible text of an lxml element, whitespace-collapsed.

    Pieces from different tags are kept apart by a space ("<span>Kicker</span><span>Title")
    except before closing punctuation and after opening brackets ("Kicker<b>:</b>").
    """
    try:
        if next(element.iter(*NOT_SHOWN), None) is None:  # type: ignore[attr-defined]
            return join_pieces(element.itertext())  # type: ignore[attr-defined]
        return join_pieces(_shown_pieces(element))
    except (AttributeError, ValueError):
        return ""


NOT_SHOWN = ("script", "style", "template")  # elements whose text a reader never sees


def _shown_pieces(element: Any) -> Iterator[str]:
    """`itertext()` without the text of scripts and styles (an inline share widget's code)."""
    if element.tag in NOT_SHOWN:
        return
    if element.text:
        yield element.text
    for child in element:
        if isinstance(child.tag, str):
            yield from _shown_pieces(child)
        if child.tail:
            yield child.tail


def join_pieces(pieces: Iterable[str]) -> str:
    """Text pieces of neighbouring tags joined as :func:`element_text` does."""
    joined = _JOIN.join(pieces)
    joined = _JOIN_AFTER_OPEN.sub("", _JOIN_BEFORE_PUNCT.sub("", joined))
    return clean_text(joined.replace(_JOIN, " "))
