"""Article claims in a real Redis: what one process holds, another does not fetch."""
from __future__ import annotations

import uuid

import pytest

from crawler.claims import ClaimsUnavailable, RedisClaims, claim_key, masked


def urls(n: int) -> list[str]:
    run = uuid.uuid4().hex
    return [f"https://wire.example/{run}/news/{i}" for i in range(n)]


def test_a_claimed_url_is_not_granted_to_another_process(redis_url: str) -> None:
    first, second = RedisClaims.connect(redis_url, 60), RedisClaims.connect(redis_url, 60)
    second.owner = "other-host:1"
    a, b, c = urls(3)
    assert first.claim([a, b]) == [a, b]
    assert second.claim([a, b, c]) == [c]
    assert 0 < first.client.ttl(claim_key(a)) <= 60
    first.release_all()
    second.release_all()


def test_released_claims_can_be_taken_again(redis_url: str) -> None:
    first, second = RedisClaims.connect(redis_url, 60), RedisClaims.connect(redis_url, 60)
    second.owner = "other-host:2"
    [a] = urls(1)
    assert first.claim([a]) == [a]
    first.release_all()
    assert first.client.exists(claim_key(a)) == 0
    assert second.claim([a]) == [a]
    second.release_all()


def test_release_leaves_a_claim_that_passed_to_another_owner(redis_url: str) -> None:
    first = RedisClaims.connect(redis_url, 60)
    [a] = urls(1)
    first.claim([a])
    first.client.set(claim_key(a), "someone-else:9", ex=60)  # ours expired; another process took it
    first.release_all()
    assert first.client.get(claim_key(a)) == b"someone-else:9"
    first.client.delete(claim_key(a))


def test_an_unreachable_redis_is_a_clear_error_without_the_password() -> None:
    with pytest.raises(ClaimsUnavailable) as caught:
        RedisClaims.connect("redis://:hunter2@127.0.0.1:1/0", 60)
    assert "redis://:***@127.0.0.1:1/0" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_masked_hides_only_the_password() -> None:
    assert masked("redis://user:pw@host:6379/0") == "redis://user:***@host:6379/0"
    assert masked("redis://host:6379/0") == "redis://host:6379/0"
