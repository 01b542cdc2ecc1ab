"""What saving a page works out from its headline, body and HTML alone.

Normalising the text, hashing it, its near-duplicate signature and compressing the raw page
are pure CPU work: about half a millisecond a page, which in a crawl would otherwise run in
the crawl process next to the reactor. A parse worker can do it instead and hand the result
over with the article (``ArticleIn.prepared``); saving does it itself when nobody did.
"""
from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass

from storage import neardup
from storage.dedupe import NewArticle
from storage.hashing import Fingerprint

RAW_COMPRESSION = "zlib"
# Level 3: 2.4x faster than the default 6 on real news pages (1.8 vs 4.3 ms a page on the
# DEV corpus) for ~10 % more bytes; compressing runs once per fetched page.
RAW_LEVEL = 3


@dataclass(frozen=True, slots=True)
class PreparedContent:
    """A page's text keys and compressed HTML, ready to save."""

    content_hash: str  # headline + body: decides revisions
    text: NewArticle  # body hash, near-duplicate signature; a placeholder id until the row exists
    html_sha256: str | None
    html_compressed: bytes | None

    @classmethod
    def of(cls, headline: str | None, body: str | None, html: bytes | None) -> PreparedContent:
        fingerprint = Fingerprint.of(headline, body)
        minhashes = neardup.signature_of_words(fingerprint.words)
        return cls(  # not the Fingerprint itself: its word list would be pickled for nothing
            content_hash=fingerprint.content_hash,
            text=NewArticle.signed(
                0, fingerprint.body_hash, fingerprint.duplicate_candidate, minhashes
            ),
            html_sha256=hashlib.sha256(html).hexdigest() if html else None,
            html_compressed=zlib.compress(html, RAW_LEVEL) if html else None,
        )
