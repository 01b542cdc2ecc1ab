"""Which URLs a source may fetch: its hosts on their own ports, never another port of the same host."""
from __future__ import annotations

import pytest

from presswatch.crawler.origins import origin_allowed, origins_of


@pytest.mark.parametrize(("url", "allowed"), [
    ("https://wire.example/news", True),
    ("http://wire.example/news", True),  # http and https on their default ports: one site
    ("https://www.wire.example/news", True),  # a subdomain
    ("https://wire.example:443/news", True),
    ("http://127.0.0.1:8000/news", True),
    ("http://127.0.0.1:9000/admin", False),  # another port of an allowed host: an internal service
    ("http://127.0.0.1/news", False),
    ("https://wire.example:8443/news", False),
    ("https://evilwire.example/news", False),
    ("http://127.0.0.1:99999/news", False),  # an unreadable port
])
def test_a_url_is_allowed_only_on_an_allowed_host_and_port(url: str, allowed: bool) -> None:
    assert origin_allowed(url, ("wire.example", "127.0.0.1:8000")) is allowed


def test_a_sources_own_urls_give_its_origins_with_non_default_ports_kept() -> None:
    assert origins_of(["https://Wire.Example/a", "http://wire.example/b", "http://127.0.0.1:8000/c"]) == (
        "127.0.0.1:8000", "wire.example",
    )
