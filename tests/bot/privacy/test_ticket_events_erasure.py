"""/forget takes a conversation's ticket events with its tickets (on SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db.models import TicketEvent
from bot.escalation import desk
from bot.privacy import erasure
from tests.bot.escalation.test_desk import new_ticket
from tests.bot.privacy.conftest import Stores


async def test_forget_takes_the_ticket_events(stores: Stores) -> None:
    ticket = await new_ticket(stores.sessions)
    async with stores.sessions.begin() as session:
        await desk.claim(session, ticket_id=ticket.id, staff="Anna #web1")
    await erasure.forget(stores.sessions, stores.tracker, ticket.conversation_id)
    async with stores.sessions() as session:
        left = await session.scalar(select(func.count()).select_from(TicketEvent))
    assert left == 0
