"""Recording turn events at the moment they happen, called by the conversation service
(bot/conversation.py) in its own transactions. Feedback ("did this help?") arrives through
bot/db/repository.record_feedback, which marks the event it is about."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Ticket, utcnow
from bot.db.turn_models import TurnEvent, turn_pseudonym, week_of
from bot.turns import Turn, outcome_of

# An escalation counts against the entry answered or offered shortly before it.
ESCALATION_WINDOW = dt.timedelta(minutes=30)


async def ticket_made_since(
    session: AsyncSession, *, conversation_id: str, since: dt.datetime
) -> int | None:
    """The ticket this conversation got since `since` (this turn), if any (indexed lookup)."""
    found = await session.scalar(
        select(Ticket.id)
        .where(Ticket.conversation_id == conversation_id, Ticket.created_at >= since)
        .order_by(Ticket.id.desc())
        .limit(1)
    )
    return int(found) if found is not None else None


async def record_turn(
    session: AsyncSession,
    *,
    conversation_id: str,
    turn: Turn,
    text: str | None,
    zone: dt.tzinfo,
    ticket_id: int | None = None,
    at: dt.datetime | None = None,
) -> TurnEvent:
    """One typed message and what it came to. `text` is already redacted (a crisis message
    is recorded without its text: it is counted, never shown)."""
    moment = at or utcnow()
    outcome = outcome_of(turn)
    event = TurnEvent(
        at=moment,
        week=week_of(moment, zone),
        conversation=turn_pseudonym(conversation_id),
        language=turn.language,
        outcome=outcome,
        topic=turn.topic,
        entry_id=turn.entry_id,
        offered=",".join(turn.offered)[:400],
        text=None if outcome == "crisis" else text,
        ticket_id=ticket_id,
        escalated_after=False,
    )
    if ticket_id is not None:
        await mark_escalation(session, conversation_id=conversation_id, ticket_id=ticket_id)
    session.add(event)
    return event


async def record_choice(session: AsyncSession, *, conversation_id: str, entry_id: str) -> None:
    """A "did you mean" button was chosen: the latest open offer of that entry says so."""
    event = await session.scalar(
        select(TurnEvent)
        .where(
            TurnEvent.conversation == turn_pseudonym(conversation_id),
            TurnEvent.outcome == "asked",
            TurnEvent.chosen.is_(None),
        )
        .order_by(TurnEvent.at.desc(), TurnEvent.id.desc())
        .limit(1)
    )
    if event is not None and entry_id in event.offered_ids:
        event.chosen = entry_id


async def mark_escalation(session: AsyncSession, *, conversation_id: str, ticket_id: int) -> None:
    """A ticket was made: the conversation's last event, and the last event that answered or
    offered an entry within ESCALATION_WINDOW, are marked "escalated after" (with the ticket,
    so the editors see what staff answered)."""
    pseudonym = turn_pseudonym(conversation_id)
    recent = TurnEvent.conversation == pseudonym
    since = utcnow() - ESCALATION_WINDOW
    last = await session.scalar(
        select(TurnEvent.id)
        .where(recent, TurnEvent.at >= since)
        .order_by(TurnEvent.at.desc(), TurnEvent.id.desc())
        .limit(1)
    )
    with_entry = await session.scalar(
        select(TurnEvent.id)
        .where(
            recent,
            TurnEvent.at >= since,
            (TurnEvent.entry_id.is_not(None)) | (TurnEvent.offered != ""),
        )
        .order_by(TurnEvent.at.desc(), TurnEvent.id.desc())
        .limit(1)
    )
    ids = {found for found in (last, with_entry) if found is not None}
    if ids:
        await session.execute(
            update(TurnEvent)
            .where(TurnEvent.id.in_(ids))
            .values(escalated_after=True, ticket_id=ticket_id)
        )
