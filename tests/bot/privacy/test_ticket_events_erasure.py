"""/forget takes a conversation's ticket events with its tickets (on SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db.models import TicketEvent
from bot.escalation import desk, tickets
from bot.escalation.tickets import ExcerptLine
from bot.privacy import erasure
from tests.bot.privacy.conftest import Stores


async def test_forget_takes_the_ticket_events(stores: Stores) -> None:
    async with stores.sessions.begin() as session:
        ticket = await tickets.create_ticket(
            session,
            conversation_id="we-events",
            channel="web",
            language="uk",
            question="Де жити?",
            excerpt=[ExcerptLine("newcomer", "Де жити?")],
        )
    async with stores.sessions.begin() as session:
        await desk.claim(session, ticket_id=ticket.id, staff="Anna #web1")
    await erasure.forget(stores.sessions, stores.tracker, "we-events")
    async with stores.sessions() as session:
        left = await session.scalar(select(func.count()).select_from(TicketEvent))
    assert left == 0
