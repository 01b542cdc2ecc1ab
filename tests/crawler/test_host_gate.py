"""One process's politeness, shared by all its runs: per-host concurrency and spacing, a request cap."""
from __future__ import annotations

import asyncio
import time

from presswatch.crawler.host_gate import THROTTLE_START_SECONDS, HostGate


async def fetch(gate: HostGate, host: str, starts: list[tuple[str, float]], *, concurrency: int = 1,
                delay: float = 0.0, hold: float = 0.0) -> None:
    """What a request does: wait for the gate, "download" for `hold` seconds, let go."""
    waiting = gate.acquire(host, concurrency, delay)
    if waiting is not None:
        await waiting
    starts.append((host, time.monotonic()))
    await asyncio.sleep(hold)
    gate.release(host)


def gaps(starts: list[tuple[str, float]], host: str) -> list[float]:
    times = sorted(at for h, at in starts if h == host)
    return [later - earlier for earlier, later in zip(times, times[1:])]


def test_two_runs_fetching_from_one_host_keep_its_delay_between_all_their_requests() -> None:
    async def two_runs() -> list[tuple[str, float]]:
        gate, starts = HostGate(), []
        run = [fetch(gate, "ministry.example", starts, concurrency=4, delay=0.05) for _ in range(3)]
        other_run = [fetch(gate, "ministry.example", starts, concurrency=4, delay=0.05) for _ in range(3)]
        await asyncio.gather(*run, *other_run)
        return starts

    starts = asyncio.run(two_runs())
    assert len(starts) == 6
    assert min(gaps(starts, "ministry.example")) >= 0.05


def test_no_more_requests_to_a_host_are_in_flight_than_its_concurrency_allows() -> None:
    async def busy() -> int:
        gate, starts, peak = HostGate(), [], 0

        async def watch() -> None:
            nonlocal peak
            while len(starts) < 8 or gate.in_flight:
                peak = max(peak, gate.in_flight)
                await asyncio.sleep(0)

        await asyncio.gather(watch(), *(fetch(gate, "a.example", starts, concurrency=2, hold=0.01) for _ in range(8)))
        return peak

    assert asyncio.run(busy()) == 2


def test_a_host_that_must_wait_does_not_hold_up_another_host() -> None:
    async def mixed() -> tuple[bool, bool]:
        gate = HostGate()
        assert gate.acquire("slow.example", 1, 10.0) is None
        waiting = gate.acquire("slow.example", 1, 10.0)  # must wait 10 s
        other = gate.acquire("fast.example", 1, 10.0)  # another host: at once (no future, or one already done)
        held = waiting is not None and not waiting.done()
        if waiting is not None:
            waiting.cancel()
        return held, other is None or other.done()

    assert asyncio.run(mixed()) == (True, True)


def test_the_process_cap_holds_requests_to_any_host_until_one_is_done() -> None:
    async def capped() -> list[str]:
        gate, order = HostGate(max_in_flight=1), []
        assert gate.acquire("a.example", 4, 0.0) is None
        waiting = gate.acquire("b.example", 4, 0.0)
        assert waiting is not None and not waiting.done()
        order.append("b waits")
        gate.release("a.example")
        await waiting
        order.append("b goes")
        return order

    assert asyncio.run(capped()) == ["b waits", "b goes"]


def test_a_cancelled_waiter_gives_up_its_place_and_takes_no_slot() -> None:
    async def cancelled() -> tuple[int, bool]:
        gate = HostGate()
        assert gate.acquire("a.example", 1, 0.0) is None
        gone = gate.acquire("a.example", 1, 0.0)
        kept = gate.acquire("a.example", 1, 0.0)
        assert gone is not None and kept is not None
        gone.cancel()
        gate.release("a.example")
        await kept
        return gate.in_flight, kept.done()

    assert asyncio.run(cancelled()) == (1, True)


def test_robots_crawl_delay_spaces_requests_even_when_download_delay_is_zero() -> None:
    async def crawl_delayed() -> list[tuple[str, float]]:
        gate, starts = HostGate(), []
        gate.set_min_delay("polite.example", 0.1)
        await asyncio.gather(*(fetch(gate, "polite.example", starts, concurrency=8) for _ in range(3)))
        return starts

    assert min(gaps(asyncio.run(crawl_delayed()), "polite.example")) >= 0.1


def test_autothrottle_follows_the_hosts_response_time() -> None:
    now = [100.0]

    async def throttled() -> list[bool]:
        gate, seen = HostGate(clock=lambda: now[0]), []
        assert gate.acquire("slow.example", 1, 0.0, autothrottle=True) is None
        gate.release("slow.example", latency=2.0)  # a slow answer: wait about that long between requests
        now[0] += 1.0
        waiting = gate.acquire("slow.example", 1, 0.0, autothrottle=True)
        seen.append(waiting is None)
        now[0] += 1.0  # 2 s after the first request started
        gate._on_timer()  # noqa: SLF001 - what the gate's timer does when the delay is over
        seen.append(waiting is not None and waiting.done())
        return seen

    assert asyncio.run(throttled()) == [False, True]
    assert THROTTLE_START_SECONDS == 0.5  # a host not heard from yet: half a second, as Scrapy's AutoThrottle starts
