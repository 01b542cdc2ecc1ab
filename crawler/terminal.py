"""What a terminal allows: its width, and text cut to it. Output that is not a terminal is left whole."""
from __future__ import annotations

import os
from typing import TextIO

ELLIPSIS = "…"


def terminal_width(stream: TextIO) -> int | None:
    """The columns of the terminal `stream` writes to ($COLUMNS first); None when it is no terminal."""
    try:
        if not stream.isatty():
            return None
        fd = stream.fileno()
    except (AttributeError, ValueError, OSError):  # closed, or a stream without a file (tests' StringIO)
        return None
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(fd).columns or 80
    except OSError:
        return 80


def clip(text: str, width: int) -> str:
    """`text` in at most `width` characters, an ellipsis marking a cut."""
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)] + ELLIPSIS if width > 0 else ""
