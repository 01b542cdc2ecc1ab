"""Bytes to text: which charset a page is in, from the evidence it carries.

Order of evidence:

1. a byte-order mark;
2. strict UTF-8: a page that decodes as UTF-8 *is* UTF-8, whatever its labels claim;
3. the declared charsets, in the order a browser trusts them: the HTTP ``Content-Type``
   (when the page was fetched; ``ParseProfile.content_type``), then ``<meta charset>`` /
   ``http-equiv`` / the XML declaration. A declaration is decoded *with replacement*: one bad
   byte costs one character (U+FFFD), never the page. A UTF-8 label is set aside only when
   the bytes plainly refute it (more invalid sequences than valid multi-byte ones: a
   Windows-1251 page labelled UTF-8); a legacy label gives way only to bytes that are
   UTF-8 but for a few stray bytes (UTF-8 sequences outnumber the invalid ones 4 to 1);
4. a page that declares nothing (or only refuted labels): UTF-8 if its bytes mostly are,
   else a statistical guess.

Labels are read as the WHATWG Encoding Standard reads them (``latin1`` is Windows-1252,
``gb2312`` is GB18030, ``utf-7`` and names of Python's non-web codecs are no declaration)
through w3lib, the library Scrapy decodes responses with. beautifulsoup4's ``UnicodeDammit``
is not used: it tries each candidate strictly and ends at Windows-1252, which accepts any
bytes, so a UTF-8 page with one stray byte comes out as mojibake — the bug this order fixes.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    to_unicode,
)

_CYRILLIC = re.compile("[\u0400-\u04ff]")
_BINARY_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # an invalid byte, as `surrogateescape` keeps it
_NON_ASCII = re.compile("[^\x00-\x7f]")
UTF8_MAJORITY = 4  # valid UTF-8 sequences per invalid byte that make a page UTF-8 despite a legacy label
_WIDE = {"utf-16": "utf-16-le", "utf-16-le": "utf-16-le", "utf-16-be": "utf-16-be"}
# The Python codecs of the WHATWG Encoding Standard's encodings (as w3lib resolves their labels).
_WEB_CODECS = frozenset({
    "utf-8", "utf-16", "utf-16-le", "utf-16-be", "cp866", "koi8-r", "koi8-u", "mac-roman",
    "mac-cyrillic", "cp874", "gbk", "gb18030", "big5", "big5hkscs", "euc_jp", "iso2022_jp",
    "shift_jis", "cp932", "euc_kr", "cp949",
    *(f"cp{n}" for n in range(1250, 1259)),
    *(f"iso8859-{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)),
})


class UnreadableInput(ValueError):
    """The input is empty or not text."""


def declared_charset(data: bytes) -> str | None:
    """The web charset the page's markup declares (meta, http-equiv, XML declaration), if any.

    A UTF-16 label in markup readable as ASCII cannot be true; browsers read it as UTF-8."""
    codec = web_codec(html_body_declared_encoding(data))
    return "utf-8" if codec in _WIDE else codec


def served_charset(content_type: str | None) -> str | None:
    """The web charset an HTTP ``Content-Type`` header names, if any."""
    return web_codec(http_content_type_encoding(content_type))


def web_codec(name: str | None) -> str | None:
    """The Python codec of a resolved label when it is a web encoding, else None."""
    if not name:
        return None
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return codec if codec in _WEB_CODECS else None


def looks_binary(data: bytes) -> bool:
    """True when the bytes are clearly not a text document."""
    sample = data[:8192]
    if not sample.strip():
        return True
    if sample.startswith((b"\x1f\x8b", b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03")):
        return True
    controls = len(_BINARY_CONTROL.findall(sample))
    return controls > max(8, len(sample) // 100)


@dataclass(frozen=True, slots=True)
class Utf8Fit:
    """How well bytes read as UTF-8: invalid bytes against valid multi-byte sequences."""

    invalid: int
    multibyte: int

    @classmethod
    def of(cls, data: bytes) -> Utf8Fit:
        text = data.decode("utf-8", "surrogateescape")
        invalid = len(text) - len(_ESCAPED_BYTE.sub("", text))
        non_ascii = len(text) - len(_NON_ASCII.sub("", text))
        return cls(invalid, non_ascii - invalid)

    @property
    def refutes_label(self) -> bool:
        """The bytes contradict a UTF-8 label more than they confirm it."""
        return self.invalid > self.multibyte

    @property
    def mostly_utf8(self) -> bool:
        """UTF-8 but for a few stray bytes: stronger evidence than a legacy label."""
        return self.multibyte >= UTF8_MAJORITY * max(self.invalid, 1)


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """Decode a page's bytes to text; raise :class:`UnreadableInput` for non-text.

    ``content_type`` is the HTTP ``Content-Type`` header the page was served with, if any.
    """
    bom_codec, bom = read_bom(data)
    if bom_codec is not None and bom is not None:
        return data[len(bom):].decode(bom_codec, errors="replace")
    served = served_charset(content_type)
    if served in _WIDE:  # UTF-16 without a BOM, named by the header: its NULs are not binary
        return data.decode(_WIDE[served], errors="replace")
    if looks_binary(data):
        raise UnreadableInput("empty or binary input")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    fit = Utf8Fit.of(data)
    for declared in dict.fromkeys(c for c in (served, declared_charset(data)) if c):
        if declared == "utf-8" and not fit.refutes_label:
            return data.decode("utf-8", errors="replace")
        if declared != "utf-8":
            return to_unicode(data, "utf-8" if fit.mostly_utf8 else declared)
    if fit.mostly_utf8:
        return data.decode("utf-8", errors="replace")
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
