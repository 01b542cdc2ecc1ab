"""What both `presswatch query` backends share: the rows of one answer, read as they come."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from presswatch.storage.errors import ReadOnlyQueryError

#: Rows fetched from the database at a time: memory holds about this many, whatever the answer.
FETCH_ROWS = 500

Row = tuple[Any, ...]


@dataclass
class QueryRows:
    """The answer to one statement: its ``columns``, then its rows as the database makes them.

    Iterating reads the rows in batches of ``FETCH_ROWS``; an error while reading (a
    timeout, a division by zero in row 10,000) is raised from the iteration, as one of
    the ``storage.errors`` exceptions.
    """

    columns: list[str]
    batches: Iterator[list[Row]]

    def __iter__(self) -> Iterator[Row]:
        for batch in self.batches:
            yield from batch


def refused(what: str) -> ReadOnlyQueryError:
    return ReadOnlyQueryError(f"presswatch query is read-only: {what} refused")


def timed_out(seconds: float) -> str:
    return (
        f"query cancelled: it ran longer than its {seconds:g} s timeout "
        "(give it more with --timeout SECONDS)"
    )
