"""Bytes to text for saved pages that carry no HTTP headers.

Order of evidence: a byte-order mark, then strict UTF-8 (a page that decodes
as UTF-8 almost certainly *is* UTF-8, whatever its ``<meta charset>`` claims),
then the declared charset, then a statistical guess.
"""
from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_BINARY_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


class UnreadableInput(ValueError):
    """The input is empty or not text."""


def declared_charset(data: bytes) -> str | None:
    """The charset named by a ``<meta>`` tag in the first 4 KB, if Python knows it."""
    match = _META_CHARSET.search(data[:4096])
    if not match:
        return None
    return _known_codec(match.group(1).decode("ascii", "ignore"))


def _known_codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def looks_binary(data: bytes) -> bool:
    """True when the bytes are clearly not a text document."""
    sample = data[:8192]
    if not sample.strip():
        return True
    if sample.startswith((b"\x1f\x8b", b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03")):
        return True
    controls = len(_BINARY_CONTROL.findall(sample))
    return controls > max(8, len(sample) // 100)


def decode_html(data: bytes) -> str:
    """Decode a page's bytes to text; raise :class:`UnreadableInput` for non-text."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    if looks_binary(data):
        raise UnreadableInput("empty or binary input")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = declared_charset(data)
    if declared and declared not in ("utf-8", "utf-16-le", "utf-16-be", "utf-16"):
        try:
            return data.decode(declared)
        except UnicodeDecodeError:
            pass
    return _guess_single_byte(data)


def _guess_single_byte(data: bytes) -> str:
    """Pick a legacy encoding by how the text reads (charset_normalizer, then a Cyrillic check)."""
    import charset_normalizer  # a trafilatura dependency; imported only for broken pages

    best = charset_normalizer.from_bytes(data[:65536]).best()
    if best is not None and best.encoding not in ("utf_8", "utf-8"):
        return data.decode(best.encoding, errors="replace")
    as_cyrillic = data.decode("cp1251", errors="replace")
    high = sum(1 for ch in as_cyrillic if ord(ch) > 127)
    if high and len(_CYRILLIC.findall(as_cyrillic)) / high > 0.8:
        return as_cyrillic
    return data.decode("cp1252", errors="replace")
