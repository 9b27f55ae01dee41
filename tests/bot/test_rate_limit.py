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


def test_a_key_is_limited_within_the_window_and_free_again_after_it() -> None:
    clock = Clock()
    limiter = RateLimiter(limit=3, window=60.0, clock=clock)
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")  # other keys are not affected
    clock.now = 59.0
    assert not limiter.allow("a")
    clock.now = 60.5
    assert limiter.allow("a")


def test_memory_stays_bounded_when_many_keys_pass() -> None:
    clock = Clock()
    limiter = RateLimiter(limit=1, window=10.0, clock=clock, max_keys=100)
    for i in range(1000):
        clock.now = float(i)
        assert limiter.allow(f"client-{i}")
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


def test_two_gateways_share_one_limit_through_redis(redis_url: str) -> None:
    scope = f"test-{secrets.token_hex(4)}"

    def gateway() -> RateLimiter:
        shared = RedisWindow(client=redis_client(redis_url), limit=3, window=60.0, scope=scope)
        return RateLimiter(limit=3, window=60.0, shared=shared)

    first, second = gateway(), gateway()
    answers = [first.allow("conv"), second.allow("conv"), first.allow("conv")]
    assert answers == [True, True, True]
    assert not second.allow("conv")
    assert not first.allow("conv")
    assert second.allow("another conversation")


def test_the_redis_window_slides(redis_url: str) -> None:
    clock = Clock()
    clock.now = 1_000.0
    window = RedisWindow(
        client=redis_client(redis_url),
        limit=2,
        window=10.0,
        scope=f"test-{secrets.token_hex(4)}",
        clock=clock,
    )
    assert [window.allow("k"), window.allow("k"), window.allow("k")] == [True, True, False]
    clock.now = 1_010.5
    assert window.allow("k")


def test_an_unreachable_redis_lets_messages_through() -> None:
    # Port 9 (discard) on loopback: nothing listens; the limiter must not take the chat down.
    window = RedisWindow(
        client=redis_client("redis://127.0.0.1:9/0", timeout=0.05), limit=1, window=60.0, scope="x"
    )
    assert window.allow("k")
    assert window.allow("k")


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
