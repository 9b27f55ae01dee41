"""A ticket's history: every step (made, claimed, released, answered, delivered, closed …)
is a TicketEvent written in the transaction of the change, by bot/escalation/tickets.py and
the delivery, so the Telegram group, the CLI and the browser all leave the same trail.

The staff workspace's live updates follow the events by id (`events_after`): a page that saw
event 41 asks for what came after it, whichever gateway process wrote it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Ticket, TicketEvent, utcnow

EventKind = Literal[
    "created",
    "claimed",
    "released",
    "answered",
    "delivered",
    "failed",
    "reopened",
    "solved",
    "closed",
]
DETAIL_LIMIT: Final = 200


def record(
    session: AsyncSession,
    ticket: Ticket,
    kind: EventKind,
    *,
    actor: str | None = None,
    detail: str | None = None,
) -> TicketEvent:
    """Adds the event to the caller's transaction (the ticket must have its id: flushed)."""
    event = TicketEvent(
        ticket_id=ticket.id,
        at=utcnow(),
        kind=kind,
        actor=actor,
        detail=detail[:DETAIL_LIMIT] if detail else None,
    )
    session.add(event)
    return event


async def history_of(session: AsyncSession, ticket_id: int) -> Sequence[TicketEvent]:
    """A ticket's events, oldest first."""
    rows = await session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    )
    return rows.all()


async def events_after(
    session: AsyncSession, after_id: int, *, limit: int = 200
) -> Sequence[TicketEvent]:
    """Events with an id above `after_id`, oldest first: what a live page has not seen."""
    rows = await session.scalars(
        select(TicketEvent).where(TicketEvent.id > after_id).order_by(TicketEvent.id).limit(limit)
    )
    return rows.all()


async def last_event_id(session: AsyncSession) -> int:
    """The newest event's id (0 when there is none): where a live page starts following."""
    return int(await session.scalar(select(func.max(TicketEvent.id))) or 0)
