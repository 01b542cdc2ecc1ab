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

The constants below are part of the stored data: changing them needs a
migration that recomputes ``article_signatures`` and ``article_lsh``.
"""
from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Sequence

from storage.hashing import normalise_text

SHINGLE_WORDS = 5
NUM_PERMUTATIONS = 64  # bins of the one-permutation signature
BANDS = 16
ROWS_PER_BAND = NUM_PERMUTATIONS // BANDS
#: Bodies with fewer words are too short to call "the same release with edits".
MIN_WORDS = 40
#: Estimated Jaccard similarity from which two bodies are near-duplicates.
THRESHOLD = 0.8

_BIN_BITS = 6  # 2**6 == NUM_PERMUTATIONS
_EMPTY = 0xFFFFFFFF + 1  # above every 32-bit value
_MASK64 = (1 << 64) - 1
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
    """The signature of an already normalised body, given as its words."""
    if len(words) < MIN_WORDS:
        return None
    mins = [_EMPTY] * NUM_PERMUTATIONS
    shift = 64 - _BIN_BITS
    for shingle in _shingles(words):
        mixed = (zlib.crc32(shingle.encode("utf-8", "surrogatepass")) * _MIX) & _MASK64
        slot, value = mixed >> shift, (mixed >> (shift - 32)) & 0xFFFFFFFF
        mins[slot] = min(mins[slot], value)
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


def encode(values: tuple[int, ...]) -> bytes:
    return _PACKING.pack(*values)


def decode(data: bytes) -> tuple[int, ...]:
    return _PACKING.unpack(bytes(data))
