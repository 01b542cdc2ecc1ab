"""Stored HTTP validators for conditional GET, on both databases."""
from __future__ import annotations

from presswatch.storage import Validators, open_archive


def test_validators_are_stored_per_url_and_replaced_by_newer_ones(archive_url: str) -> None:
    feed, listing = "https://wire.example/rss", "https://wire.example/news"
    with open_archive(archive_url) as archive:
        assert archive.validators([feed, listing]) == {}
        archive.save_validators("wire", {feed: Validators('"v1"', None), listing: Validators(None, "Mon, 06 Apr 2026 10:00:00 GMT")})
        archive.save_validators("wire", {feed: Validators('"v2"', "Tue, 07 Apr 2026 10:00:00 GMT")})
        assert archive.validators([feed, listing, "https://wire.example/other"]) == {
            feed: Validators('"v2"', "Tue, 07 Apr 2026 10:00:00 GMT"),
            listing: Validators(None, "Mon, 06 Apr 2026 10:00:00 GMT"),
        }
