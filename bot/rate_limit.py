"""Sliding-window rate limits: in memory for one gateway, in Redis when several share the load.

Keys are pseudonymous conversation ids or client addresses; they are never stored or logged
(in Redis they are hashed, and kept only for the window).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis.asyncio

    from bot.config import Settings

log = logging.getLogger("wegwijs.rate_limit")


class RateLimiter:
    """At most `limit` events per `window` seconds for each key: in this process's memory, or
    in Redis (`shared`, see make_rate_limiter) so that several gateways count together."""

    def __init__(
        self,
        *,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
        shared: RedisWindow | None = None,
    ) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._max_keys = max_keys
        self._events: dict[str, deque[float]] = {}
        self._shared = shared

    async def allow(self, key: str) -> bool:
        """Records an event for `key` and says whether it is within the limit."""
        if self._shared is not None:
            return await self._shared.allow(key)
        now = self._clock()
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= self._max_keys:
                self._forget_idle(now)
            events = self._events[key] = deque()
        while events and events[0] <= now - self._window:
            events.popleft()
        if len(events) >= self._limit:
            return False
        events.append(now)
        return True

    async def aclose(self) -> None:
        if self._shared is not None:
            await self._shared.aclose()

    def _forget_idle(self, now: float) -> None:
        idle = [k for k, e in self._events.items() if not e or e[-1] <= now - self._window]
        for key in idle:
            del self._events[key]
        if len(self._events) >= self._max_keys:  # all busy: drop the oldest half
            for key in list(self._events)[: self._max_keys // 2]:
                del self._events[key]


# One round trip, atomic: drop events older than the window, count, add when within the limit.
# The window's events are a sorted set (score = time in ms, member unique), expiring with it.
_SLIDING_WINDOW = """
local key, now, window, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]),
  tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then return 0 end
redis.call('ZADD', key, now, member)
redis.call('PEXPIRE', key, window)
return 1
"""


class RedisWindow:
    """The sliding window in Redis, shared by every gateway (REDIS_URL).

    One loopback or private-network round trip (about 0.1-0.3 ms, see BENCHMARKS.md), awaited:
    a slow Redis holds up only the requests that wait for it, never the gateway's event loop.
    If Redis does not answer within the client's timeout the message is allowed and a warning
    is logged: a rate limit is abuse protection, and must not take the assistant down with it.
    """

    def __init__(
        self,
        *,
        client: redis.asyncio.Redis,
        limit: int,
        window: float,
        scope: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._limit = limit
        self._window_ms = int(window * 1000)
        self._prefix = f"wegwijs:rate:{scope}:"
        self._clock = clock
        self._script = client.register_script(_SLIDING_WINDOW)

    async def allow(self, key: str) -> bool:
        import redis

        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        now_ms = int(self._clock() * 1000)
        member = f"{now_ms}-{secrets.token_hex(4)}"
        try:
            allowed = await self._script(
                keys=[self._prefix + digest], args=[now_ms, self._window_ms, self._limit, member]
            )
        except (redis.RedisError, OSError) as error:
            log.warning("rate limit not checked, Redis did not answer: %s", error)
            return True
        return bool(allowed)

    async def aclose(self) -> None:
        await self._client.aclose()


def redis_client(url: str, *, timeout: float = 0.25) -> redis.asyncio.Redis:
    """An asyncio Redis client with short timeouts (the rate limiter's calls are tiny)."""
    import redis.asyncio

    return redis.asyncio.Redis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=timeout, health_check_interval=30
    )


def make_rate_limiter(settings: Settings, *, limit: int, window: float, scope: str) -> RateLimiter:
    """In memory for one gateway; shared through Redis when REDIS_URL is set (several)."""
    shared = (
        RedisWindow(
            client=redis_client(settings.redis_url), limit=limit, window=window, scope=scope
        )
        if settings.redis_url
        else None
    )
    return RateLimiter(limit=limit, window=window, shared=shared)
