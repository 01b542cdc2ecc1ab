"""MinHash signatures for near-duplicate bodies (dedupe level 3), pure functions.

The same press release republished by several outlets with small edits (a
dateline, a trimmed paragraph, another sign-off) shares most of its word
5-grams ("shingles"). A MinHash signature estimates the Jaccard similarity of
two shingle sets; split into bands, it becomes keys an index can look up
(locality-sensitive hashing): two bodies that share any band key are
candidates, and the full signatures decide.

The signature is a one-permutation MinHash (Li, Owen & Zhang 2012): each
shingle is hashed once, the hash picks one of 64 bins and the smallest value
per bin is kept; bins no shingle fell into borrow a filled bin's value along
a fixed probe sequence ("optimal densification", Shrivastava 2017). It
estimates Jaccard similarity as well as 64 separate permutations at a
fraction of the cost (one hash per shingle instead of 64).

A copy edited more than that (an update under a new URL with one paragraph of
four rewritten, a reprint with another closing paragraph) keeps most of the
shorter text inside the other: the signatures estimate that containment too
(``containment``), and such a pair is the same release when the two also open
alike (``Opening.needs``: the same opening words, or the same headline), which
different releases on one template and with the same boilerplate do not.

The signature and band constants below are part of the stored data: changing
them needs a migration that recomputes ``article_signatures`` and ``article_lsh``.
"""
from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate

from presswatch.storage.hashing import normalise_text

SHINGLE_WORDS = 5
NUM_PERMUTATIONS = 64  # bins of the one-permutation signature
BANDS = 16
ROWS_PER_BAND = NUM_PERMUTATIONS // BANDS
#: Bodies with fewer words are too short to call "the same release with edits".
MIN_WORDS = 40
#: Estimated Jaccard similarity from which two bodies are near-duplicates.
THRESHOLD = 0.8
#: Estimated share of the shorter text inside the other from which two bodies that open
#: alike are the same release ("mostly contained": one paragraph of four rewritten is 0.75).
CONTAINMENT = 0.6
#: ... when only their headlines agree: headlines recur ("Weekly market update") where
#: opening words seldom do, and the estimate runs high among the candidates LSH picks.
CONTAINMENT_SAME_HEADLINE = 0.75
#: ... as long as they are that similar at least: below it, the few bins that compare the
#: two texts make the containment estimate mere noise.
CONTAINMENT_MIN_SIMILARITY = 0.3
#: The opening of a body: its first characters (some 60 words), which must agree (most of
#: the shingles of the one in the other: a dateline put in front costs a few), and be long
#: enough to say anything. A template's fixed opening phrase is a part of it, not all.
LEAD_CHARS = 400
LEAD_AGREEMENT = 0.8
LEAD_WORDS = 20
#: A headline agrees only when it says something: "Press release" is no evidence.
HEADLINE_MIN_WORDS = 4

_BIN_BITS = 6  # 2**6 == NUM_PERMUTATIONS
_EMPTY = 0xFFFFFFFF + 1  # above every 32-bit value
_MASK64 = (1 << 64) - 1
_ONE = 1
_MIX = 0x9E3779B97F4A7C15  # odd 64-bit multiplier (golden ratio): spreads a 32-bit hash


def _probe_order(own: int) -> tuple[int, ...]:
    """The other bins in the fixed pseudo-random order an empty bin ``own`` borrows from."""
    others = [b for b in range(NUM_PERMUTATIONS) if b != own]
    return tuple(sorted(others, key=lambda b: hashlib.blake2b(bytes((own, b))).digest()))


_PROBES = tuple(_probe_order(own) for own in range(NUM_PERMUTATIONS))
_PACKING = struct.Struct(f"<{NUM_PERMUTATIONS}I")


def shingles(body: str | None) -> set[str]:
    return set(_shingles(normalise_text(body).split()))


def _shingles(words: Sequence[str]) -> list[str]:
    return [" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)]


def signature(body: str | None) -> tuple[int, ...] | None:
    """The MinHash signature of a body, or None when it is too short to compare."""
    return signature_of_words(normalise_text(body).split())


def signature_of_words(words: Sequence[str]) -> tuple[int, ...] | None:
    """The signature of an already normalised body, given as its words.

    Each shingle is read as a slice of the body's UTF-8 bytes (the words joined by single
    spaces, as ``" ".join(shingle words)`` encodes them) instead of being joined and
    encoded on its own: the same CRC-32s at about half the cost.
    """
    if len(words) < MIN_WORDS:
        return None
    text = " ".join(words).encode("utf-8", "surrogatepass")
    sizes = list(map(len, words))
    if len(text) != sum(sizes) + len(sizes) - 1:  # not ASCII: sizes in bytes
        sizes = [len(word.encode("utf-8", "surrogatepass")) for word in words]
    starts = list(accumulate(map(_ONE.__add__, sizes), initial=0))  # and one past the end (+1)
    mins = [_EMPTY] * NUM_PERMUTATIONS
    shift, crc32 = 64 - _BIN_BITS, zlib.crc32
    # not strict: a shingle starts at every word but the last SHINGLE_WORDS - 1
    for start, stop in zip(starts, starts[SHINGLE_WORDS:], strict=False):
        mixed = (crc32(text[start : stop - 1]) * _MIX) & _MASK64
        slot, value = mixed >> shift, (mixed >> (shift - 32)) & 0xFFFFFFFF
        if value < mins[slot]:
            mins[slot] = value
    return tuple(_densified(mins))


def _densified(mins: list[int]) -> list[int]:
    filled = list(mins)
    for slot, value in enumerate(mins):
        if value == _EMPTY:
            filled[slot] = next(mins[other] for other in _PROBES[slot] if mins[other] != _EMPTY)
    return filled


def band_keys(minhashes: tuple[int, ...]) -> list[int]:
    """The LSH keys of a signature, one per band: ``band << 32 | crc32(the band's values)``.

    Keys of different bands never collide; within a band a 32-bit collision only
    adds a candidate that the full signatures then reject.
    """
    packed = _PACKING.pack(*minhashes)
    width = 4 * ROWS_PER_BAND
    return [
        band << 32 | zlib.crc32(packed[band * width : (band + 1) * width])
        for band in range(BANDS)
    ]


def similarity(first: tuple[int, ...], second: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two signatures."""
    same = sum(1 for a, b in zip(first, second, strict=True) if a == b)
    return same / len(first)


def containment(first: tuple[int, ...], second: tuple[int, ...]) -> float:
    """Estimated ``|A ∩ B| / min(|A|, |B|)`` of the shingle sets behind two signatures.

    In each bin the smaller of the two minima is the minimum of the union: when both
    signatures hold it, that shingle is in both sets; else it is in the set whose
    signature holds it and not in the other (or the other's minimum would be as small).
    The three counts are in proportion to ``|A ∩ B|``, ``|A − B|`` and ``|B − A|``.
    """
    same = only_first = only_second = 0
    for a, b in zip(first, second, strict=True):
        if a == b:
            same += 1
        elif a < b:
            only_first += 1
        else:
            only_second += 1
    return same / (same + min(only_first, only_second)) if same else 0.0


@dataclass(frozen=True, slots=True)
class Opening:
    """What a reader meets first: the normalised headline and the body's opening words."""

    headline: str = ""
    lead: tuple[str, ...] = ()

    @classmethod
    def of(cls, headline: str | None, body: str | None) -> Opening:
        """From the headline and the body (of which only the first ``LEAD_CHARS`` are read,
        as the archive's candidate query reads them: ``substr(body, 1, LEAD_CHARS)``)."""
        start = (body or "")[:LEAD_CHARS]
        words = normalise_text(start).split()
        if len(start) == LEAD_CHARS:
            words = words[:-1]  # perhaps cut in the middle
        return cls(normalise_text(headline), tuple(words))

    def needs(self, other: Opening) -> float | None:
        """The containment from which two texts opening like these are one release:
        ``CONTAINMENT`` when the two bodies open with the same words (their first
        ``LEAD_CHARS``, maybe after a dateline or a credit line one put in front),
        ``CONTAINMENT_SAME_HEADLINE`` when only the headline (of a few words at least) is the
        same; else None."""
        if self.opens_like(other):
            return CONTAINMENT
        if self.headline == other.headline and len(self.headline.split()) >= HEADLINE_MIN_WORDS:
            return CONTAINMENT_SAME_HEADLINE
        return None

    def opens_like(self, other: Opening) -> bool:
        """Most (``LEAD_AGREEMENT``) of the word 5-grams of the shorter opening are in the
        other, both of ``LEAD_WORDS`` words at least."""
        if min(len(self.lead), len(other.lead)) < LEAD_WORDS:
            return False
        mine, theirs = set(_shingles(self.lead)), set(_shingles(other.lead))
        return len(mine & theirs) >= LEAD_AGREEMENT * min(len(mine), len(theirs))


def same_release(first: tuple[int, ...], second: tuple[int, ...],
                 needs: Callable[[], float | None] | None = None) -> bool:
    """Whether two signed bodies are one release: similar (``THRESHOLD``), or one mostly
    inside the other, as far as their openings require (``needs()``: ``Opening.needs``,
    asked only then; without it, similarity alone decides)."""
    estimate = similarity(first, second)
    if estimate >= THRESHOLD:
        return True
    if needs is None or estimate < CONTAINMENT_MIN_SIMILARITY:
        return False
    inside = containment(first, second)
    if inside < CONTAINMENT:
        return False
    required = needs()
    return required is not None and inside >= required


def encode(values: tuple[int, ...]) -> bytes:
    return _PACKING.pack(*values)


def decode(data: bytes) -> tuple[int, ...]:
    return _PACKING.unpack(bytes(data))
