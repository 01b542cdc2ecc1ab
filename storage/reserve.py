"""Room to record a run's end when the disk fills (SQLite archives).

When the disk under a SQLite archive fills, every write fails, the small ones too: the run
that lost pages could not even be marked `failed` with its counts, nor its failures
recorded. So the archive keeps a reserve file beside it (`<archive>-reserve`, 1 MiB,
really allocated) while it is opened for crawling; when a run's bookkeeping write finds
the disk full, the reserve is given back to the file system and the write tried again.
The next crawl that finds room makes the reserve again.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

RESERVE_BYTES = 1024 * 1024
SQLITE_FULL = 13


def reserve_path(archive: Path) -> Path:
    return archive.with_name(archive.name + "-reserve")


def ensure_reserve(archive: Path, size: int = RESERVE_BYTES) -> bool:
    """Make the reserve unless it is there; False when there is no room for it now."""
    path = reserve_path(archive)
    if path.exists() and path.stat().st_size >= size:
        return True
    try:
        with path.open("wb") as reserve:
            if hasattr(os, "posix_fallocate"):
                os.posix_fallocate(reserve.fileno(), 0, size)
            else:
                reserve.write(b"\0" * size)
    except OSError:
        path.unlink(missing_ok=True)
        return False
    return True


def release_reserve(archive: Path) -> bool:
    """Give the reserve back to the file system; False when there was none."""
    path = reserve_path(archive)
    try:
        size = path.stat().st_size
        path.unlink()
    except FileNotFoundError:
        return False
    logger.error("the disk under %s is full: released the %d KiB reserve to record the run's end",
                 archive, size // 1024)
    return True


def disk_full(exc: BaseException) -> bool:
    """True for SQLite's "database or disk is full" (SQLITE_FULL), wrapped or not."""
    original = getattr(exc, "orig", exc)
    code = getattr(original, "sqlite_errorcode", None)
    return code == SQLITE_FULL or "database or disk is full" in str(original)
