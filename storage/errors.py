"""The archive's exceptions: each message tells the user what to do next."""
from __future__ import annotations


class ArchiveError(Exception):
    """The archive cannot be opened or used (bad URL, unreachable, too new, missing)."""


class ReadOnlyQueryError(ArchiveError):
    """A `presswatch query` statement would write, or is not allowed in read-only mode.

    Also a PostgreSQL connection with powers a statement could use (a superuser, a
    member of pg_read_server_files, ...): `presswatch query` refuses to run on it; and a
    role `presswatch db reader` refuses to make its read-only role.
    """


class QueryError(ArchiveError):
    """The user's statement itself failed: a syntax error, an unknown column, a bad cast."""


class QueryTimeoutError(ArchiveError):
    """The statement ran past its timeout and was cancelled (on the server too)."""


class ArchiveFull(ArchiveError):
    """The disk under a SQLite archive filled up: pages are no longer saved (the room left is for
    recording the run's end and its lost pages)."""
