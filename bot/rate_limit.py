"""Sliding-window rate limits, in memory (one gateway; several gateways would share Redis).

Keys are pseudonymous conversation ids or client addresses; they are never stored or logged.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most `limit` events per `window` seconds for each key."""

    def __init__(
        self,
        *,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._max_keys = max_keys
        self._events: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Records an event for `key` and says whether it is within the limit."""
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

    def _forget_idle(self, now: float) -> None:
        idle = [k for k, e in self._events.items() if not e or e[-1] <= now - self._window]
        for key in idle:
            del self._events[key]
        if len(self._events) >= self._max_keys:  # all busy: drop the oldest half
            for key in list(self._events)[: self._max_keys // 2]:
                del self._events[key]
