"""Article claims shared through Redis, so crawler processes never fetch a page twice.

When several `presswatch crawl` processes (on one or several hosts) crawl the same
sources at once, each claims the article URLs it is about to fetch with
`SET key NX EX ttl`; a URL another process has claimed is left to that process.
A run releases its claims when it ends; the TTL frees them if it dies.
Off unless `redis_url` is set in the crawl settings.
"""
from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterable
from typing import Any

KEY_PREFIX = "presswatch:claim:"


class ClaimsUnavailable(Exception):
    """The configured Redis cannot be reached; the message tells which (password masked)."""


class RedisClaims:
    """Claims on article URLs held in Redis for the length of one crawl run."""

    def __init__(self, client: Any, ttl_seconds: int) -> None:
        self.client = client
        self.ttl = ttl_seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.held: set[str] = set()

    @classmethod
    def connect(cls, url: str, ttl_seconds: int) -> RedisClaims:
        try:
            import redis
        except ImportError:
            raise ClaimsUnavailable("redis_url is set but the 'redis' package is missing: pip install redis") from None
        client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
        try:
            client.ping()
        except redis.RedisError as exc:
            raise ClaimsUnavailable(f"cannot reach Redis at {masked(url)}: {exc}; start it or unset redis_url") from None
        return cls(client, ttl_seconds)

    def claim(self, urls: Iterable[str]) -> list[str]:
        """The URLs this process may fetch: those nobody else holds, now held by us."""
        urls = list(urls)
        pipe = self.client.pipeline(transaction=False)
        for url in urls:
            pipe.set(claim_key(url), self.owner, nx=True, ex=self.ttl)
        granted = [url for url, ok in zip(urls, pipe.execute(), strict=True) if ok]
        self.held.update(granted)
        return granted

    def release_all(self) -> None:
        """Give back every claim this run still holds (only ours: a key that expired and
        was re-claimed by another process is left alone)."""
        if not self.held:
            return
        keys = [claim_key(u) for u in self.held]
        owners = self.client.mget(keys)
        mine = [k for k, owner in zip(keys, owners, strict=True) if owner is not None and owner.decode() == self.owner]
        if mine:
            self.client.delete(*mine)
        self.held.clear()


def claim_key(url: str) -> str:
    return KEY_PREFIX + hashlib.sha1(url.encode("utf-8")).hexdigest()


def masked(url: str) -> str:
    """The URL with any password replaced by ***."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
