"""MinHash signatures for near-duplicate bodies (dedupe level 3), pure functions.

The same press release republished by several outlets with small edits (a
dateline, a trimmed paragraph, another sign-off) shares most of its word
5-grams ("shingles"). A MinHash signature estimates the Jaccard similarity of
two shingle sets; split into bands, it becomes rows an index can look up
(locality-sensitive hashing): two bodies that share any band bucket are
candidates, and the full signatures decide.

The constants below are part of the stored data: changing them needs a
migration that recomputes ``article_signatures``.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from storage.hashing import normalise_text

SHINGLE_WORDS = 5
NUM_PERMUTATIONS = 64
BANDS = 16
ROWS_PER_BAND = NUM_PERMUTATIONS // BANDS
#: Bodies with fewer words are too short to call "the same release with edits".
MIN_WORDS = 40
#: Estimated Jaccard similarity from which two bodies are near-duplicates.
THRESHOLD = 0.8

_PRIME = (1 << 61) - 1
_SEEDS = random.Random(20261127)  # fixed forever: stored signatures depend on it
_PERMUTATIONS = tuple(
    (_SEEDS.randrange(1, _PRIME), _SEEDS.randrange(0, _PRIME)) for _ in range(NUM_PERMUTATIONS)
)


@dataclass(frozen=True, slots=True)
class Band:
    """One LSH band of a signature: its number, its bucket key and its values."""

    band: int
    bucket: int
    minhashes: tuple[int, ...]


def shingles(body: str | None) -> set[str]:
    words = normalise_text(body).split()
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def signature(body: str | None) -> tuple[int, ...] | None:
    """The MinHash signature of a body, or None when it is too short to compare."""
    if len(normalise_text(body).split()) < MIN_WORDS:
        return None
    hashes = [_hash64(shingle) % _PRIME for shingle in shingles(body)]
    return tuple(min((a * x + b) % _PRIME for x in hashes) for a, b in _PERMUTATIONS)


def bands(minhashes: tuple[int, ...]) -> list[Band]:
    result = []
    for band in range(BANDS):
        values = minhashes[band * ROWS_PER_BAND : (band + 1) * ROWS_PER_BAND]
        bucket = _hash64(f"{band}:{','.join(map(str, values))}", signed=True)
        result.append(Band(band=band, bucket=bucket, minhashes=values))
    return result


def similarity(first: tuple[int, ...], second: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two signatures."""
    same = sum(1 for a, b in zip(first, second, strict=True) if a == b)
    return same / len(first)


def encode(values: tuple[int, ...]) -> str:
    return ",".join(map(str, values))


def decode(text: str) -> tuple[int, ...]:
    return tuple(int(value) for value in text.split(","))


def _hash64(text: str, *, signed: bool = False) -> int:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=signed)
