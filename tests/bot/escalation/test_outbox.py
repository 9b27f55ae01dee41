"""The outbox on SQLite and PostgreSQL: each job done once, retried, taken over after a crash."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import PROJECT_ROOT
from bot.db import repository
from bot.db.models import InboxMessage, OutboxJob, Ticket, as_utc, utcnow
from bot.escalation import tickets
from bot.escalation.delivery import AnswerRouter, WebDelivery
from bot.escalation.outbox import (
    Context,
    Finish,
    OutboxDispatcher,
    PermanentFailure,
    RetryLater,
)
from bot.texts import load_texts

Sessions = async_sessionmaker[AsyncSession]


async def make_ticket(sessions: Sessions, conversation_id: str = "we-1") -> Ticket:
    async with sessions.begin() as session:
        await repository.get_or_create_conversation(
            session, conversation_id=conversation_id, channel="web"
        )
        return await tickets.create_ticket(
            session,
            conversation_id=conversation_id,
            channel="web",
            language="uk",
            question="Де жити?",
            excerpt=[],
        )


async def job_row(sessions: Sessions) -> OutboxJob:
    async with sessions() as session:
        row = await session.scalar(select(OutboxJob).order_by(OutboxJob.id.desc()))
        assert row is not None
        return row


async def test_two_gateways_do_a_job_once(sessions: Sessions) -> None:
    await make_ticket(sessions)
    calls: list[str] = []

    def handler(name: str):  # type: ignore[no-untyped-def]
        async def handle(context: Context, ticket: Ticket) -> Finish | None:
            calls.append(name)
            await asyncio.sleep(0.05)
            return None

        return handle

    first = OutboxDispatcher(sessions=sessions, handlers={"notify_staff": handler("a")}, worker="a")
    second = OutboxDispatcher(
        sessions=sessions, handlers={"notify_staff": handler("b")}, worker="b"
    )
    done = await asyncio.gather(first.run_once(), second.run_once())
    assert sum(done) == 1
    assert len(calls) == 1
    assert (await job_row(sessions)).done_at is not None
    assert await first.run_once() == 0  # nothing left


async def test_a_failure_is_retried_with_backoff_and_telegrams_wait_is_honoured(
    sessions: Sessions,
) -> None:
    await make_ticket(sessions)
    outcomes: list[Exception | None] = [RetryLater("flood", seconds=0.2), OSError("down"), None]

    async def flaky(context: Context, ticket: Ticket) -> Finish | None:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return None

    dispatcher = OutboxDispatcher(sessions=sessions, handlers={"notify_staff": flaky})
    assert await dispatcher.run_once() == 1
    row = await job_row(sessions)
    assert row.done_at is None
    assert row.last_error == "flood"
    assert row.attempts == 1
    assert await dispatcher.run_once() == 0  # not due yet
    await asyncio.sleep(0.25)
    assert await dispatcher.run_once() == 1  # OSError: kept; second attempt: 4 s ± 20%
    row = await job_row(sessions)
    assert row.done_at is None
    assert row.last_error == "OSError"
    wait = (as_utc(row.next_attempt_at) - utcnow()).total_seconds()
    assert 3.0 < wait < 5.0
    async with sessions.begin() as session:  # skip the wait
        await session.execute(update(OutboxJob).values(next_attempt_at=utcnow()))
    assert await dispatcher.run_once() == 1
    row = await job_row(sessions)
    assert row.done_at is not None
    assert row.attempts == 3
    assert not outcomes


async def test_a_permanent_failure_stops_and_records(sessions: Sessions) -> None:
    ticket = await make_ticket(sessions)

    async def mark(session: AsyncSession) -> None:
        stored = await session.get(Ticket, ticket.id)
        assert stored is not None
        stored.delivery_state = "failed"

    async def blocked(context: Context, ticket: Ticket) -> Finish | None:
        raise PermanentFailure("the user blocked the bot", finish=mark)

    dispatcher = OutboxDispatcher(sessions=sessions, handlers={"notify_staff": blocked})
    await dispatcher.run_once()
    row = await job_row(sessions)
    assert row.failed_at is not None
    assert row.done_at is None
    async with sessions() as session:
        stored = await session.get(Ticket, ticket.id)
        assert stored is not None
        assert stored.delivery_state == "failed"
    assert await dispatcher.run_once() == 0


async def test_a_job_held_by_a_dead_gateway_is_taken_over_when_its_lease_ends(
    sessions: Sessions,
) -> None:
    await make_ticket(sessions)
    async with sessions.begin() as session:  # a gateway took it and died
        await session.execute(
            update(OutboxJob).values(
                locked_by="dead:1", locked_until=utcnow() + dt.timedelta(seconds=0.3)
            )
        )
    calls: list[int] = []

    async def handle(context: Context, ticket: Ticket) -> Finish | None:
        calls.append(context.job.id)
        return None

    alive = OutboxDispatcher(sessions=sessions, handlers={"notify_staff": handle})
    assert await alive.run_once() == 0
    await asyncio.sleep(0.4)
    assert await alive.run_once() == 1
    assert len(calls) == 1


async def test_the_dead_gateways_late_finish_does_not_count(sessions: Sessions) -> None:
    """A gateway that lost its lease cannot mark the job done (the new holder will)."""
    await make_ticket(sessions)
    written: list[str] = []

    async def slow(context: Context, ticket: Ticket) -> Finish | None:
        async with sessions.begin() as session:  # meanwhile another gateway takes over
            await session.execute(update(OutboxJob).values(locked_by="other:2"))

        async def finish(session: AsyncSession) -> None:
            written.append("late")

        return finish

    dispatcher = OutboxDispatcher(sessions=sessions, handlers={"notify_staff": slow})
    await dispatcher.run_once()
    assert written == []
    assert (await job_row(sessions)).done_at is None


async def test_a_web_answer_lands_in_the_inbox_with_its_buttons_once(sessions: Sessions) -> None:
    ticket = await make_ticket(sessions)
    async with sessions.begin() as session:
        await tickets.answer(session, code=ticket.code, staff="cli:anna", text="Ось відповідь.")
    texts = load_texts(PROJECT_ROOT)

    async def nothing(context: Context, ticket: Ticket) -> Finish | None:
        return None

    dispatcher = OutboxDispatcher(
        sessions=sessions,
        handlers={
            "notify_staff": nothing,
            "deliver_answer": AnswerRouter({"web": WebDelivery(texts)}),
        },
    )
    assert await dispatcher.run_once() == 2
    assert await dispatcher.run_once() == 0
    async with sessions() as session:
        inbox = list(await session.scalars(select(InboxMessage).order_by(InboxMessage.id)))
        stored = await session.get(Ticket, ticket.id)
        assert stored is not None
        assert stored.delivery_state == "delivered"
        assert [m.sender for m in inbox] == ["staff", "system"]
        assert "Ось відповідь." in inbox[0].text
        assert "працівника гемеенте" in inbox[0].text
        buttons = json.loads(inbox[1].buttons)
        assert [b["title"] for b in buttons] == ["Так, вирішила", "Ні, ще ні"]
        payload = await repository.redeem_button(
            session, conversation_id="we-1", token=buttons[0]["id"]
        )
        assert payload == '/affirm{"ticket":"' + ticket.code + '"}'


async def test_an_answer_for_a_channel_not_running_here_waits(sessions: Sessions) -> None:
    ticket = await make_ticket(sessions)
    async with sessions.begin() as session:
        stored = await session.get(Ticket, ticket.id)
        assert stored is not None
        stored.channel = "telegram"
        await tickets.answer(session, code=ticket.code, staff="cli:anna", text="Answer")
    dispatcher = OutboxDispatcher(
        sessions=sessions,
        handlers={"deliver_answer": AnswerRouter({"web": WebDelivery(load_texts(PROJECT_ROOT))})},
    )
    await dispatcher.run_once()
    row = await job_row(sessions)
    assert row.kind == "deliver_answer"
    assert row.done_at is None
    assert row.failed_at is None
    assert "telegram" in (row.last_error or "")


async def test_the_running_dispatcher_keeps_polling_and_wakes_for_new_work(
    sessions: Sessions,
) -> None:
    """The loop survives idle polls (asyncio.wait_for's timeout on Python 3.10 included)."""
    done: list[int] = []

    async def handle(context: Context, ticket: Ticket) -> Finish | None:
        done.append(ticket.id)
        return None

    dispatcher = OutboxDispatcher(
        sessions=sessions, handlers={"notify_staff": handle}, poll_seconds=0.05
    )
    dispatcher.start()
    try:
        await asyncio.sleep(0.3)  # several idle polls
        first = await make_ticket(sessions, "we-1")
        for _ in range(100):
            if done:
                break
            await asyncio.sleep(0.05)
        second = await make_ticket(sessions, "we-2")
        dispatcher.wake()
        for _ in range(100):
            if len(done) == 2:
                break
            await asyncio.sleep(0.05)
    finally:
        await dispatcher.stop()
    assert done == [first.id, second.id]
