"""Tickets on SQLite and PostgreSQL: creation with its outbox job, checked transitions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import OutboxJob, Ticket
from bot.escalation import tickets
from bot.escalation.tickets import (
    CODE_ALPHABET,
    ExcerptLine,
    TicketStateError,
    display_code,
    normalize_code,
    same_question,
)

Sessions = async_sessionmaker[AsyncSession]


async def new_ticket(sessions: Sessions, question: str = "Where can I live?") -> Ticket:
    async with sessions.begin() as session:
        return await tickets.create_ticket(
            session,
            conversation_id="we-1",
            channel="web",
            language="en",
            question=question,
            excerpt=[ExcerptLine("newcomer", question), ExcerptLine("bot", "Sorry?")],
            topic="housing",
        )


async def jobs(sessions: Sessions) -> list[tuple[str, str]]:
    async with sessions() as session:
        rows = await session.execute(
            select(OutboxJob.kind, OutboxJob.dedupe_key).order_by(OutboxJob.id)
        )
        return [(kind, key) for kind, key in rows]


async def test_a_ticket_and_its_staff_notification_are_written_together(sessions: Sessions) -> None:
    ticket = await new_ticket(sessions)
    assert ticket.state == "open"
    assert ticket.consent_at is not None
    assert len(ticket.code) == 6
    assert set(ticket.code) <= set(CODE_ALPHABET)
    assert await jobs(sessions) == [("notify_staff", f"notify_staff:{ticket.id}")]
    async with sessions() as session:
        stored = await tickets.get_ticket(session, display_code(ticket.code).lower())
        assert [line.sender for line in tickets.excerpt_from_json(stored.excerpt)] == [
            "newcomer",
            "bot",
        ]


async def test_a_failed_transaction_leaves_neither_ticket_nor_job(sessions: Sessions) -> None:
    async def crash_after_creating() -> None:
        async with sessions.begin() as session:
            await tickets.create_ticket(
                session,
                conversation_id="we-1",
                channel="web",
                language="en",
                question="q",
                excerpt=[],
            )
            raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError):
        await crash_after_creating()
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 0
        assert await session.scalar(select(func.count()).select_from(OutboxJob)) == 0


async def test_the_life_of_a_ticket(sessions: Sessions) -> None:
    ticket = await new_ticket(sessions)
    async with sessions.begin() as session:
        await tickets.claim(session, code=ticket.code, staff="cli:anna")
    async with sessions.begin() as session:
        answered = await tickets.answer(session, code=ticket.code, staff="cli:anna", text=" Hi ")
        assert (answered.state, answered.answer, answered.delivery_state) == (
            "answered",
            "Hi",
            "pending",
        )
    with pytest.raises(TicketStateError, match="already answered by cli:anna"):
        async with sessions.begin() as session:
            await tickets.answer(session, code=ticket.code, staff="cli:bob", text="Hello again")
    # "not solved": open again, staff told, and a second answer is possible
    async with sessions.begin() as session:
        reopened = await tickets.record_solved(
            session, conversation_id="we-1", code=ticket.code, solved=False
        )
        assert reopened is not None
        assert reopened.state == "open"
    async with sessions.begin() as session:
        await tickets.answer(session, code=ticket.code, staff="cli:bob", text="Second answer")
    async with sessions.begin() as session:
        closed = await tickets.record_solved(
            session, conversation_id="we-1", code=ticket.code, solved=True
        )
        assert closed is not None
        assert closed.state == "closed"
        assert closed.solved is True
    with pytest.raises(TicketStateError, match="closed; it cannot become claimed"):
        async with sessions.begin() as session:
            await tickets.claim(session, code=ticket.code, staff="cli:anna")
    assert [kind for kind, _ in await jobs(sessions)] == [
        "notify_staff",
        "deliver_answer",
        "notify_reopened",
        "deliver_answer",
    ]


async def test_only_the_newcomer_of_the_ticket_can_say_it_is_solved(sessions: Sessions) -> None:
    ticket = await new_ticket(sessions)
    async with sessions.begin() as session:
        await tickets.answer(session, code=ticket.code, staff="cli:anna", text="Answer")
    async with sessions.begin() as session:
        assert (
            await tickets.record_solved(
                session, conversation_id="someone-else", code=ticket.code, solved=True
            )
            is None
        )
        assert (
            await tickets.record_solved(session, conversation_id="we-1", code="NOPE99", solved=True)
            is None
        )


async def test_the_same_question_twice_is_found_while_the_ticket_waits(sessions: Sessions) -> None:
    ticket = await new_ticket(sessions, "Where can I find a house to rent in Almere?")
    async with sessions() as session:
        found = await tickets.find_duplicate(
            session, conversation_id="we-1", question="where can i find a house to rent in almere"
        )
        other = await tickets.find_duplicate(
            session, conversation_id="we-1", question="How do I open a bank account?"
        )
        assert found is not None
        assert found.id == ticket.id
        assert other is None
        assert await tickets.queue_length(session) == 1


def test_codes_are_read_back_however_they_are_typed() -> None:
    assert normalize_code("k7p-q4x") == "K7PQ4X" == normalize_code(" K7P Q4X ")
    assert display_code("K7PQ4X") == "K7P-Q4X"


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("Where can I live?", "where can I live", True),
        ("Where can I live in Almere?", "Can I live in Almere, where?", True),
        ("Where can I live?", "How do I get a BSN number?", False),
        ("Де отримати BSN?", "де отримати bsn", True),
    ],
)
def test_same_question(first: str, second: str, same: bool) -> None:
    assert same_question(first, second) is same
