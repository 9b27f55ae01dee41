"""The sliding-window rate limiter: in memory, and shared by several gateways through Redis."""

from __future__ import annotations

import os
import secrets

import pytest

from bot.rate_limit import RateLimiter, RedisWindow, make_rate_limiter, redis_client


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_key_is_limited_within_the_window_and_free_again_after_it() -> None:
    clock = Clock()
    limiter = RateLimiter(limit=3, window=60.0, clock=clock)
    assert [await limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert await limiter.allow("b")  # other keys are not affected
    clock.now = 59.0
    assert not await limiter.allow("a")
    clock.now = 60.5
    assert await limiter.allow("a")


async def test_memory_stays_bounded_when_many_keys_pass() -> None:
    clock = Clock()
    limiter = RateLimiter(limit=1, window=10.0, clock=clock, max_keys=100)
    for i in range(1000):
        clock.now = float(i)
        assert await limiter.allow(f"client-{i}")
    assert len(limiter._events) <= 100


@pytest.fixture
def redis_url() -> str:
    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/5"
    try:
        redis.Redis.from_url(url, socket_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url} (set REDIS_URL to run the shared rate limit tests)")
    return url


async def test_two_gateways_share_one_limit_through_redis(redis_url: str) -> None:
    scope = f"test-{secrets.token_hex(4)}"

    def gateway() -> RateLimiter:
        shared = RedisWindow(client=redis_client(redis_url), limit=3, window=60.0, scope=scope)
        return RateLimiter(limit=3, window=60.0, shared=shared)

    first, second = gateway(), gateway()
    answers = [await first.allow("conv"), await second.allow("conv"), await first.allow("conv")]
    assert answers == [True, True, True]
    assert not await second.allow("conv")
    assert not await first.allow("conv")
    assert await second.allow("another conversation")
    await first.aclose()
    await second.aclose()


async def test_the_redis_window_slides(redis_url: str) -> None:
    clock = Clock()
    clock.now = 1_000.0
    window = RedisWindow(
        client=redis_client(redis_url),
        limit=2,
        window=10.0,
        scope=f"test-{secrets.token_hex(4)}",
        clock=clock,
    )
    assert [await window.allow("k") for _ in range(3)] == [True, True, False]
    clock.now = 1_010.5
    assert await window.allow("k")
    await window.aclose()


async def test_an_unreachable_redis_lets_messages_through() -> None:
    # Port 9 (discard) on loopback: nothing listens; the limiter must not take the chat down.
    window = RedisWindow(
        client=redis_client("redis://127.0.0.1:9/0", timeout=0.05), limit=1, window=60.0, scope="x"
    )
    assert await window.allow("k")
    assert await window.allow("k")
    await window.aclose()


async def test_a_slow_redis_does_not_hold_up_the_event_loop() -> None:
    """A Redis that accepts connections but never answers: the limiter waits for its timeout
    without blocking other work on the loop (the synchronous client did)."""
    import asyncio
    import time

    done = asyncio.Event()
    connections: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        await done.wait()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    window = RedisWindow(
        client=redis_client(f"redis://127.0.0.1:{port}/0", timeout=0.3),
        limit=1,
        window=60.0,
        scope="slow",
    )
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    running = asyncio.create_task(ticker())
    started = time.monotonic()
    assert await window.allow("k")  # let through after the timeout
    waited = time.monotonic() - started
    running.cancel()
    await window.aclose()
    done.set()
    for writer in connections:
        writer.close()
        await writer.wait_closed()
    server.close()
    await server.wait_closed()
    assert 0.25 <= waited < 2.0
    assert ticks >= 10  # the loop kept running while the limiter waited


def test_the_factory_picks_memory_or_redis(redis_url: str) -> None:
    from bot.config import Settings

    memory = make_rate_limiter(Settings(), limit=1, window=60.0, scope="t")  # type: ignore[call-arg]
    assert memory._shared is None
    shared = make_rate_limiter(
        Settings(REDIS_URL=redis_url),  # type: ignore[call-arg]
        limit=1,
        window=60.0,
        scope=f"t-{secrets.token_hex(4)}",
    )
    assert isinstance(shared._shared, RedisWindow)
