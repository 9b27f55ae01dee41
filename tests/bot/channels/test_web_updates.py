"""The web channel's updates endpoint (a staff answer outside a turn), on the real app and a
real database; Rasa is not needed. The full loop is in tests/e2e/test_escalation_web.py."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import create_app
from bot.config import Settings
from bot.db.migrate import migrate
from bot.db.models import Base, Conversation, InboxMessage
from bot.db.session import make_engine
from bot.escalation import tickets

TOKEN = "T" * 32


@dataclass
class Gateway:
    client: httpx.AsyncClient
    app: FastAPI

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        sessions: async_sessionmaker[AsyncSession] = self.app.state.sessions
        return sessions

    def conversation_id(self, token: str = TOKEN) -> str:
        return str(self.app.state.pseudonymizer.conversation_id("web", token))

    async def add_conversation(self, token: str = TOKEN, language: str = "uk") -> str:
        conversation_id = self.conversation_id(token)
        async with self.sessions.begin() as session:
            session.add(Conversation(id=conversation_id, channel="web", language=language))
        return conversation_id

    async def deliver(self, conversation_id: str, text: str, sender: str = "staff") -> int:
        """What the outbox's web delivery writes (bot/escalation/delivery.py)."""
        async with self.sessions.begin() as session:
            row = InboxMessage(
                conversation_id=conversation_id,
                sender=sender,
                language="uk",
                text=text,
                buttons=json.dumps([{"id": "btn12345", "title": "Так, вирішила"}]),
            )
            session.add(row)
            await session.flush()
            return row.id

    async def updates(self, token: str = TOKEN, **params: float) -> httpx.Response:
        return await self.client.get(f"/api/conversations/{token}/updates", params=params)


@asynccontextmanager
async def gateway_for(
    tmp_path: Path, database: str | None = None, **values: str
) -> AsyncIterator[Gateway]:
    database = database or f"sqlite:///{tmp_path / 'test.db'}"
    migrate(database)
    engine = make_engine(database)
    async with engine.begin() as connection:  # PostgreSQL's database lives for the session
        for table in reversed(Base.metadata.sorted_tables):
            await connection.execute(table.delete())
    await engine.dispose()
    settings = Settings(  # type: ignore[call-arg]
        **{
            "WEGWIJS_VAR_DIR": str(tmp_path),
            "DATABASE_URL": database,
            "RASA_URL": "http://127.0.0.1:9",
            "RASA_TIMEOUT_SECONDS": "0.5",
            "PSEUDONYM_KEY": "k" * 32,
            "TELEGRAM_BOT_TOKEN": "",
            "OUTBOX_ENABLED": "false",
            **values,
        }
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1:8000", timeout=60
        ) as client,
    ):
        yield Gateway(client=client, app=app)


@pytest.fixture(params=["sqlite", "postgresql"])
async def gateway(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Gateway]:
    database = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    async with gateway_for(tmp_path, database) as made:
        yield made


async def test_a_pending_answer_is_returned_until_confirmed_then_never_again(
    gateway: Gateway,
) -> None:
    conversation_id = await gateway.add_conversation()
    first = await gateway.deliver(conversation_id, "Відповідь працівника")
    second = await gateway.deliver(conversation_id, "Чи вирішила?", sender="system")

    polled = await gateway.updates(after=0, wait=0)
    assert polled.status_code == 200, polled.text
    data = polled.json()
    assert data["cursor"] == second
    assert [(m["sender"], m["text"], m["language"]) for m in data["messages"]] == [
        ("staff", "Відповідь працівника", "uk"),
        ("system", "Чи вирішила?", "uk"),
    ]
    assert data["messages"][1]["buttons"] == [{"id": "btn12345", "title": "Так, вирішила"}]

    # Not confirmed yet (the page may have closed before showing it): returned again.
    again = (await gateway.updates(after=0)).json()
    assert [m["text"] for m in again["messages"]] == ["Відповідь працівника", "Чи вирішила?"]

    # Confirming the first only: the second is still pending.
    partly = (await gateway.updates(after=first)).json()
    assert [m["text"] for m in partly["messages"]] == ["Чи вирішила?"]

    confirmed = (await gateway.updates(after=second)).json()
    assert confirmed == {
        "conversation": TOKEN,
        "cursor": second,
        "open_tickets": 0,
        "messages": [],
    }
    # Shown and confirmed: not even a client that lost its cursor gets them again.
    assert (await gateway.updates(after=0)).json()["messages"] == []
    async with gateway.sessions() as session:
        seen = list(await session.scalars(select(InboxMessage.seen_at)))
    assert len(seen) == 2
    assert all(moment is not None for moment in seen)


async def test_nothing_is_marked_seen_before_the_client_confirms(gateway: Gateway) -> None:
    conversation_id = await gateway.add_conversation()
    await gateway.deliver(conversation_id, "Відповідь")
    for _ in range(3):
        assert len((await gateway.updates(after=0)).json()["messages"]) == 1
    async with gateway.sessions() as session:
        assert await session.scalar(select(InboxMessage.seen_at)) is None


async def test_a_waiting_poll_returns_as_soon_as_the_answer_is_written(gateway: Gateway) -> None:
    conversation_id = await gateway.add_conversation()

    async def answer_later() -> int:
        await asyncio.sleep(1.0)
        return await gateway.deliver(conversation_id, "Ось відповідь")

    started = time.monotonic()
    polled, written = await asyncio.gather(gateway.updates(after=0, wait=10), answer_later())
    took = time.monotonic() - started
    assert polled.status_code == 200, polled.text
    assert [m["text"] for m in polled.json()["messages"]] == ["Ось відповідь"]
    assert polled.json()["cursor"] == written
    assert 0.9 < took < 3.0


async def test_a_poll_with_nothing_to_say_waits_its_time_and_no_longer(gateway: Gateway) -> None:
    await gateway.add_conversation()
    started = time.monotonic()
    polled = await gateway.updates(after=0, wait=1.2)
    took = time.monotonic() - started
    assert polled.json()["messages"] == []
    assert 1.1 < took < 2.5


async def test_open_tickets_counts_what_staff_may_still_answer(gateway: Gateway) -> None:
    conversation_id = await gateway.add_conversation()
    async with gateway.sessions.begin() as session:
        ticket = await tickets.create_ticket(
            session,
            conversation_id=conversation_id,
            channel="web",
            language="uk",
            question="Де знайти житло?",
            excerpt=[],
        )
        code = ticket.code
    assert (await gateway.updates()).json()["open_tickets"] == 1
    async with gateway.sessions.begin() as session:
        await tickets.answer(session, code=code, staff="Anna", text="Ось так.")
    assert (await gateway.updates()).json()["open_tickets"] == 1  # answered: "solved?" is open
    async with gateway.sessions.begin() as session:
        await tickets.close(session, code=code)
    # Closed while its answer is still on the way (the outbox was off): still counted.
    assert (await gateway.updates()).json()["open_tickets"] == 1
    async with gateway.sessions.begin() as session:
        closed = await tickets.get_ticket(session, code)
        closed.delivery_state = "delivered"
    assert (await gateway.updates()).json()["open_tickets"] == 0


async def test_an_unknown_conversation_is_a_clear_error_in_the_users_language(
    gateway: Gateway,
) -> None:
    refused = await gateway.client.get(
        f"/api/conversations/{'U' * 32}/updates", headers={"Accept-Language": "uk"}
    )
    assert refused.status_code == 404
    error = refused.json()["error"]
    assert error["code"] == "conversation_unknown"
    assert error["language"] == "uk"
    assert "розмову" in error["message"]


@pytest.mark.parametrize(
    "params",
    [
        {"wait": "26"},
        {"wait": "-1"},
        {"wait": "nan"},
        {"wait": "inf"},
        {"wait": "soon"},
        {"after": "-1"},
        {"after": str(2**53)},
        {"after": "1.5"},
    ],
)
async def test_bad_parameters_are_refused_clearly_never_a_500(
    gateway: Gateway, params: dict[str, str]
) -> None:
    await gateway.add_conversation()
    refused = await gateway.client.get(
        f"/api/conversations/{TOKEN}/updates", params=params, headers={"Accept-Language": "en"}
    )
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["language"] == "en"
    assert next(iter(params)) in error["message"]


async def test_a_malformed_token_is_refused(gateway: Gateway) -> None:
    refused = await gateway.client.get("/api/conversations/short/updates")
    assert refused.status_code == 422


async def test_polls_do_not_use_up_the_chat_budget_and_have_their_own(tmp_path: Path) -> None:
    async with gateway_for(tmp_path, RATE_LIMIT_PER_CLIENT="2") as gateway:
        await gateway.add_conversation()
        for _ in range(5):
            assert (await gateway.updates()).status_code == 200
        # The POST budget of this address is untouched by the polls.
        started = await gateway.client.post("/api/conversations", json={})
        assert started.status_code == 503  # allowed; Rasa is absent here


async def test_too_many_polls_from_one_address_are_refused_politely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.channels import web

    monkeypatch.setattr(web, "UPDATES_PER_CLIENT", 3)
    async with gateway_for(tmp_path) as gateway:
        await gateway.add_conversation()
        for _ in range(3):
            assert (await gateway.updates()).status_code == 200
        refused = await gateway.client.get(
            f"/api/conversations/{TOKEN}/updates", headers={"Accept-Language": "nl"}
        )
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert "Wacht even" in refused.json()["error"]["message"]


async def test_a_database_that_is_gone_is_a_503_in_the_users_language(tmp_path: Path) -> None:
    async with gateway_for(tmp_path) as gateway:
        await _table_gone_is_a_503(gateway)


async def _table_gone_is_a_503(gateway: Gateway) -> None:
    await gateway.add_conversation()
    async with gateway.sessions.begin() as session:
        await session.execute(text("DROP TABLE inbox_messages"))
    refused = await gateway.client.get(
        f"/api/conversations/{TOKEN}/updates", headers={"Accept-Language": "en"}
    )
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "assistant_unavailable"
    assert refused.json()["error"]["language"] == "uk"  # the conversation's language


async def test_the_largest_cursor_is_accepted(gateway: Gateway) -> None:
    await gateway.add_conversation()
    polled = await gateway.updates(after=2**53 - 1)
    assert polled.status_code == 200, polled.text
    assert polled.json()["cursor"] == 2**53 - 1
