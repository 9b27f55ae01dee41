"""The records of the web API's idempotency keys (bot/idempotency.py): in memory for one
gateway, in Redis for several. A done record holds the answer, which can quote the newcomer,
so each record is also listed under its conversation and /forget erases them with the rest
(`KeyStore.forget`, called by bot/privacy/requests.py)."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from bot.config import Settings

KEEP_SECONDS = 24 * 3600

State = Literal["new", "retry", "pending", "done"]


@dataclass(frozen=True)
class Claim:
    """What a gateway finds for a key: new or retry (it is now this gateway's), pending
    (another gateway is answering it), or done (with the answer to replay)."""

    state: State
    response: dict[str, Any] | None = None


class KeyStore(Protocol):
    async def claim(self, key: str, *, owner: str, lease: float, conversation: str) -> Claim: ...
    async def finish(self, key: str, response: dict[str, Any]) -> None: ...
    async def fail(self, key: str) -> None: ...
    async def forget(self, conversation: str) -> int:
        """Erase every record of a conversation; how many there were."""
        ...


class MemoryKeyStore:
    """One gateway: the records in this process (dropped after a day; bounded in number)."""

    def __init__(self, *, max_keys: int = 100_000) -> None:
        self._records: dict[str, tuple[float, dict[str, Any]]] = {}
        self._by_conversation: dict[str, set[str]] = {}
        self._max_keys = max_keys

    async def claim(self, key: str, *, owner: str, lease: float, conversation: str) -> Claim:
        now = time.time()
        self._by_conversation.setdefault(conversation, set()).add(key)
        found = self._records.get(key)
        record = found[1] if found and found[0] > now else None
        if record is not None:
            if record["state"] == "done":
                return Claim("done", record["response"])
            if record["state"] == "pending" and record["expires"] > now:
                return Claim("pending")
        if len(self._records) >= self._max_keys:
            self._forget(now)
        self._records[key] = (
            now + KEEP_SECONDS,
            {"state": "pending", "owner": owner, "expires": now + lease},
        )
        return Claim("retry" if record is not None else "new")

    async def finish(self, key: str, response: dict[str, Any]) -> None:
        self._records[key] = (time.time() + KEEP_SECONDS, {"state": "done", "response": response})

    async def fail(self, key: str) -> None:
        self._records[key] = (time.time() + KEEP_SECONDS, {"state": "failed"})

    async def forget(self, conversation: str) -> int:
        keys = self._by_conversation.pop(conversation, set())
        return sum(self._records.pop(key, None) is not None for key in keys)

    def _forget(self, now: float) -> None:
        for key in [k for k, (until, _r) in self._records.items() if until <= now]:
            del self._records[key]
        while len(self._records) >= self._max_keys:
            del self._records[next(iter(self._records))]
        for conversation, keys in list(self._by_conversation.items()):
            keys.intersection_update(self._records)
            if not keys:
                del self._by_conversation[conversation]


_CLAIM = """
local found = redis.call('GET', KEYS[1])
if found then
  local record = cjson.decode(found)
  if record['state'] == 'done' then return found end
  if record['state'] == 'pending' and tonumber(record['expires']) > tonumber(ARGV[2]) then
    return found
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('SADD', KEYS[2], KEYS[1])
redis.call('EXPIRE', KEYS[2], ARGV[3])
if found then return '{"state": "retry"}' end
return '{"state": "new"}'
"""


class RedisKeyStore:
    """Several gateways: the records in Redis; claiming is one atomic script."""

    def __init__(self, url: str) -> None:
        import redis.asyncio

        self._client = redis.asyncio.Redis.from_url(url, socket_timeout=2.0)
        self._claim = self._client.register_script(_CLAIM)

    async def claim(self, key: str, *, owner: str, lease: float, conversation: str) -> Claim:
        now = time.time()
        pending = json.dumps({"state": "pending", "owner": owner, "expires": now + lease})
        raw = await self._claim(
            keys=[f"wegwijs:idem:{key}", _conversation_index(conversation)],
            args=[pending, now, KEEP_SECONDS],
        )
        record = json.loads(raw)
        return Claim(record["state"], record.get("response"))

    async def finish(self, key: str, response: dict[str, Any]) -> None:
        value = json.dumps({"state": "done", "response": response})
        await self._client.set(f"wegwijs:idem:{key}", value, ex=KEEP_SECONDS)

    async def fail(self, key: str) -> None:
        await self._client.set(f"wegwijs:idem:{key}", '{"state": "failed"}', ex=KEEP_SECONDS)

    async def forget(self, conversation: str) -> int:
        index = _conversation_index(conversation)
        members = await self._client.smembers(index)
        keys = [m.decode() if isinstance(m, bytes) else str(m) for m in members]
        erased = int(await self._client.delete(*keys)) if keys else 0
        await self._client.delete(index)
        return erased

    async def aclose(self) -> None:
        await self._client.aclose()


def _conversation_index(conversation: str) -> str:
    return f"wegwijs:idem:conversation:{hashlib.sha256(conversation.encode()).hexdigest()[:40]}"


def key_store(settings: Settings) -> KeyStore:
    return RedisKeyStore(settings.redis_url) if settings.redis_url else MemoryKeyStore()
