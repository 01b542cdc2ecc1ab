"""The archive's exceptions: each message tells the user what to do next."""
from __future__ import annotations


class ArchiveError(Exception):
    """The archive cannot be opened or used (bad URL, unreachable, too new, missing)."""


class ReadOnlyQueryError(ArchiveError):
    """A `presswatch query` statement would write, or is not allowed in read-only mode."""
