"""The sliding-window rate limiter."""

from __future__ import annotations

from bot.rate_limit import RateLimiter


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
