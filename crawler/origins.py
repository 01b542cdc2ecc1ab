"""Which origins a source may be crawled on: its hosts, and their ports.

An `allowed_domains` entry is a host name (`example.az`: that host and its subdomains,
on the default ports 80 and 443 — so a redirect from http:// to https:// stays allowed)
or a host with a port (`127.0.0.1:8080`, `news.example.az:8443`: that port only). A
redirect or link to another port of an allowed host (an internal admin page on
`127.0.0.1:9000`, say) is outside unless the source lists that origin too. Without
`allowed_domains`, a source is allowed the origins of its own start URLs, feeds and
sitemaps.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
_ENTRY = re.compile(r"^(?P<host>[^\s:/?#\[\]@]+)(?::(?P<port>\d{1,5}))?$")


def parse_entry(entry: str) -> tuple[str, int | None] | None:
    """(host, port or None) of an `allowed_domains` entry; None when it is not one."""
    match = _ENTRY.match(entry.strip().lower())
    if match is None:
        return None
    port = int(match["port"]) if match["port"] else None
    if port is not None and not 0 < port < 65536:
        return None
    return match["host"], port


def url_origin(url: str) -> tuple[str, int | None]:
    """(host, port) of an http(s) URL, the port filled in for the scheme's default; port None if unreadable."""
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        port = None
    return (parts.hostname or "").lower(), port


def origin_allowed(url: str, allowed: Iterable[str]) -> bool:
    """True when the URL's host is an allowed host (or a subdomain of one) on an allowed port."""
    host, port = url_origin(url)
    if port is None:
        return False
    for entry in allowed:
        parsed = parse_entry(entry)
        if parsed is None:
            continue
        name, entry_port = parsed
        if host != name and not host.endswith("." + name):
            continue
        if port == entry_port or (entry_port is None and port in DEFAULT_PORTS.values()):
            return True
    return False


def origins_of(urls: Iterable[str]) -> tuple[str, ...]:
    """The `allowed_domains` entries that allow exactly these URLs' origins (sorted)."""
    entries = set()
    for url in urls:
        host, port = url_origin(url)
        if host:
            entries.add(host if port in DEFAULT_PORTS.values() else f"{host}:{port}")
    return tuple(sorted(entries))
