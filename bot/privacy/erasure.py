"""Forgetting a user (/forget) and deleting what is too old (the purge), on both databases.

Both work on the app database (conversations, buttons, tickets, outbox jobs, staff posts, the
web inbox, delivery addresses, feedback; the text of turn events, whose counts stay) and on
Rasa's tracker store (conversation events).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, exists, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.db.models import (
    ChannelAddress,
    Conversation,
    Feedback,
    InboxMessage,
    IssuedButton,
    OutboxJob,
    Ticket,
    utcnow,
)
from bot.db.repository import BUTTON_LIFETIME
from bot.db.turn_models import TurnEvent, turn_pseudonym
from bot.faq.drafts import take_out_quotes
from bot.privacy import tracker_events
from bot.privacy.staff_records import StaffRetention, purge_staff_records

log = logging.getLogger("wegwijs.privacy")


# What a turn event keeps when its conversation is forgotten or too old: the counts.
TURN_EVENT_FORGOTTEN = {"text": None, "vector": None, "conversation": "", "ticket_id": None}


@dataclass(frozen=True)
class Erased:
    events: int
    tickets: int
    feedback: int
    draft_questions: int = 0


async def forget(
    sessions: async_sessionmaker[AsyncSession],
    tracker: AsyncEngine,
    conversation_id: str,
    *,
    drafts: Path | None = None,
) -> Erased:
    """Everything stored about one conversation. Tickets go too (with their staff posts and
    outbox jobs), whatever their state: the user asked for it; and the questions of theirs
    an editor's draft entry quotes (in `drafts`, DRAFTS_DIR)."""
    async with sessions.begin() as session:
        tickets = await _rowcount(
            session, delete(Ticket).where(Ticket.conversation_id == conversation_id)
        )
        feedback = await _rowcount(
            session, delete(Feedback).where(Feedback.conversation_id == conversation_id)
        )
        for table in (InboxMessage, IssuedButton, ChannelAddress):
            await session.execute(delete(table).where(table.conversation_id == conversation_id))
        await session.execute(
            update(TurnEvent)
            .where(TurnEvent.conversation == turn_pseudonym(conversation_id))
            .values(**TURN_EVENT_FORGOTTEN)
        )
        await session.execute(delete(Conversation).where(Conversation.id == conversation_id))
    events = await tracker_events.delete_conversation_events(tracker, conversation_id)
    quoted = 0
    if drafts is not None:
        quoted = await asyncio.to_thread(
            take_out_quotes, drafts, conversations=[turn_pseudonym(conversation_id)]
        )
    return Erased(events=events, tickets=tickets, feedback=feedback, draft_questions=quoted)


@dataclass(frozen=True)
class Purged:
    events: int
    conversations: int
    closed_tickets: int
    buttons: int
    inbox_messages: int
    outbox_jobs: int
    feedback_unlinked: int
    staff_records: int = 0
    turn_texts: int = 0
    draft_questions: int = 0

    def __str__(self) -> str:
        return (
            f"{self.events} conversation events, {self.conversations} conversations, "
            f"{self.closed_tickets} closed tickets, {self.buttons} buttons, "
            f"{self.inbox_messages} delivered web messages, {self.outbox_jobs} finished jobs; "
            f"{self.feedback_unlinked} feedback answers unlinked from their conversation; "
            f"{self.staff_records} ended staff sessions, old sign-in attempts, used invitations "
            "and old audit entries; "
            f"{self.turn_texts} turn events' messages cleared (their counts stay); "
            f"{self.draft_questions} newcomers' questions taken out of draft entries"
        )


async def purge(
    sessions: async_sessionmaker[AsyncSession],
    tracker: AsyncEngine,
    *,
    conversation_days: int,
    closed_ticket_days: int,
    staff: StaffRetention | None = None,
    drafts: Path | None = None,
    now: dt.datetime | None = None,
) -> Purged:
    """Deletes what is older than the retention periods, and nothing else.

    A conversation with a ticket still waiting for staff (or for delivery) is kept whole:
    its delivery address and inbox are needed to bring the answer.
    """
    moment = now or utcnow()
    cutoff = moment - dt.timedelta(days=conversation_days)
    ticket_cutoff = moment - dt.timedelta(days=closed_ticket_days)
    unfinished = exists().where(Ticket.conversation_id == Conversation.id, Ticket.state != "closed")
    async with sessions.begin() as session:
        closed_tickets = await _rowcount(
            session,
            delete(Ticket).where(Ticket.state == "closed", Ticket.closed_at < ticket_cutoff),
        )
        conversations = await _rowcount(
            session,
            delete(Conversation).where(Conversation.last_seen_at < cutoff, ~unfinished),
        )
        buttons = await _rowcount(
            session, delete(IssuedButton).where(IssuedButton.created_at < moment - BUTTON_LIFETIME)
        )
        inbox_messages = await _rowcount(
            session,
            delete(InboxMessage).where(
                InboxMessage.seen_at.is_not(None), InboxMessage.created_at < cutoff
            ),
        )
        outbox_jobs = await _rowcount(
            session,
            delete(OutboxJob).where(OutboxJob.done_at.is_not(None), OutboxJob.done_at < cutoff),
        )
        feedback_unlinked = await _rowcount(
            session,
            update(Feedback)
            .where(Feedback.created_at < cutoff, Feedback.conversation_id != "")
            .values(conversation_id=""),
        )
        staff_records = (
            await purge_staff_records(session, retention=staff, moment=moment) if staff else 0
        )
        turn_texts = await _rowcount(
            session,
            update(TurnEvent)
            .where(TurnEvent.at < cutoff, TurnEvent.conversation != "")
            .values(**TURN_EVENT_FORGOTTEN),
        )
    events = await tracker_events.delete_events_before(tracker, cutoff)
    quoted = 0
    if drafts is not None:
        quoted = await asyncio.to_thread(take_out_quotes, drafts, quoted_before=cutoff.date())
    return Purged(
        events=events,
        conversations=conversations,
        closed_tickets=closed_tickets,
        buttons=buttons,
        inbox_messages=inbox_messages,
        outbox_jobs=outbox_jobs,
        feedback_unlinked=feedback_unlinked,
        staff_records=staff_records,
        turn_texts=turn_texts,
        draft_questions=quoted,
    )


async def _rowcount(session: AsyncSession, statement: object) -> int:
    result = await session.execute(statement)  # type: ignore[call-overload]
    return int(result.rowcount or 0)


async def purge_forever(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], tracker: AsyncEngine
) -> None:
    """The purge on a schedule (every PURGE_INTERVAL_HOURS), in every gateway: it is
    idempotent, so several gateways purging at once only repeat each other's work."""
    while True:
        try:
            purged = await purge(
                sessions,
                tracker,
                conversation_days=settings.retention_days,
                closed_ticket_days=settings.closed_ticket_retention_days,
                staff=StaffRetention.of(settings),
                drafts=settings.effective_drafts_dir,
            )
            log.info("purge: deleted %s", purged)
        except (SQLAlchemyError, OSError) as error:
            log.warning("purge failed (%s); trying again next time", type(error).__name__)
        await asyncio.sleep(settings.purge_interval_hours * 3600)


async def purge_expired(settings: Settings) -> Purged:
    """`wegwijs purge`: the purge with the retention periods of the settings, on engines of
    its own (what was deleted, as `purge` counts it)."""
    from bot.db.session import make_engine, make_sessionmaker
    from bot.privacy.tracker_events import tracker_engine

    engine, tracker = make_engine(settings.effective_database_url), tracker_engine(settings)
    try:
        return await purge(
            make_sessionmaker(engine),
            tracker,
            conversation_days=settings.retention_days,
            closed_ticket_days=settings.closed_ticket_retention_days,
            staff=StaffRetention.of(settings),
            drafts=settings.effective_drafts_dir,
        )
    finally:
        await tracker.dispose()
        await engine.dispose()
