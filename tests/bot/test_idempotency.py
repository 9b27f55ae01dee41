"""A message sent twice with one Idempotency-Key is handled once; its answer is replayed."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from bot.config import Settings
from bot.idempotency import GatewayMiddleware
from bot.key_store import KeyStore, MemoryKeyStore, RedisKeyStore

TOKEN = "t" * 32
PATH = f"/api/conversations/{TOKEN}/messages"


def counting_app() -> tuple[FastAPI, list[str]]:
    app = FastAPI()
    seen: list[str] = []

    @app.post("/api/conversations/{token}/messages")
    async def message(body: dict[str, str]) -> dict[str, object]:
        seen.append(body["text"])
        await asyncio.sleep(0.05)
        return {"messages": [{"text": f"answer {len(seen)}"}]}

    return app, seen


def client_for(store: KeyStore) -> tuple[httpx.AsyncClient, list[str]]:
    app, seen = counting_app()
    wrapped = GatewayMiddleware(app, settings=Settings(), store=store)  # type: ignore[call-arg]
    transport = httpx.ASGITransport(app=wrapped)
    return httpx.AsyncClient(transport=transport, base_url="http://test"), seen


@pytest_asyncio.fixture(params=["memory", "redis"], loop_scope="function")
async def store(request: pytest.FixtureRequest) -> AsyncIterator[KeyStore]:
    if request.param == "memory":
        yield MemoryKeyStore()
        return
    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/5"
    try:
        with redis.Redis.from_url(url, socket_timeout=1) as probe:
            probe.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    shared = RedisKeyStore(url)
    yield shared
    await shared.aclose()


async def test_a_retry_gets_the_first_answer_and_is_not_handled_again(store: KeyStore) -> None:
    client, seen = client_for(store)
    key = {"Idempotency-Key": secrets.token_hex(8)}
    first = await client.post(PATH, json={"text": "hello"}, headers=key)
    again = await client.post(PATH, json={"text": "hello"}, headers=key)
    assert seen == ["hello"]
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "rasa;dur=" in first.headers["server-timing"]


async def test_two_copies_at_once_are_handled_once(store: KeyStore) -> None:
    client, seen = client_for(store)
    key = {"Idempotency-Key": secrets.token_hex(8)}
    answers = await asyncio.gather(
        *(client.post(PATH, json={"text": "hi"}, headers=key) for _ in range(3))
    )
    assert seen == ["hi"]
    assert {a.status_code for a in answers} == {200}
    assert len({a.text for a in answers}) == 1


async def test_messages_without_a_key_or_with_other_keys_are_each_handled(
    store: KeyStore,
) -> None:
    client, seen = client_for(store)
    await client.post(PATH, json={"text": "a"})
    await client.post(PATH, json={"text": "a"})
    await client.post(PATH, json={"text": "a"}, headers={"Idempotency-Key": secrets.token_hex(8)})
    await client.post(PATH, json={"text": "a"}, headers={"Idempotency-Key": secrets.token_hex(8)})
    assert seen == ["a", "a", "a", "a"]


async def test_a_pending_key_past_its_lease_is_taken_over_as_a_retry() -> None:
    store = MemoryKeyStore()
    c = "conversation"
    assert (await store.claim("k", owner="gateway-1", lease=0.05, conversation=c)).state == "new"
    assert (await store.claim("k", owner="gateway-2", lease=10, conversation=c)).state == "pending"
    await asyncio.sleep(0.06)  # gateway-1 died holding it
    assert (await store.claim("k", owner="gateway-2", lease=10, conversation=c)).state == "retry"
    await store.fail("k")  # gateway-2 got an error from Rasa
    assert (await store.claim("k", owner="gateway-3", lease=10, conversation=c)).state == "retry"
    await store.finish("k", {"status": 200, "headers": [], "body": "{}"})
    assert (await store.claim("k", owner="gateway-4", lease=10, conversation=c)).state == "done"


async def test_forgetting_a_conversation_erases_its_kept_answers_only(store: KeyStore) -> None:
    mine, other = f"mine-{secrets.token_hex(4)}", f"other-{secrets.token_hex(4)}"
    keys = {name: f"{name}-{secrets.token_hex(6)}" for name in ("a", "b", "c")}
    for name, conversation in (("a", mine), ("b", mine), ("c", other)):
        await store.claim(keys[name], owner="gateway", lease=10, conversation=conversation)
        body = f'{{"messages": [{{"text": "you asked about {name}"}}]}}'
        await store.finish(keys[name], {"status": 200, "headers": [], "body": body})

    assert await store.forget(mine) == 2
    assert await store.forget(mine) == 0
    for name, conversation in (("a", mine), ("b", mine)):
        found = await store.claim(keys[name], owner="gateway", lease=10, conversation=conversation)
        assert (found.state, found.response) == ("new", None)
    kept = await store.claim(keys["c"], owner="gateway", lease=10, conversation=other)
    assert kept.state == "done"
    assert kept.response is not None
    assert "you asked about c" in kept.response["body"]
