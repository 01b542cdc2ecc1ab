"""The parser's version, stored with every raw page it read (``raw_pages.parser_version``).

Bump it whenever extraction output can change, so `presswatch reparse` and SQL
users can tell which pages were read by an older parser.
"""
from __future__ import annotations

PARSER_VERSION = "9"
