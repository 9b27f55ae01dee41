"""/forget erases one user everywhere; the purge deletes what is too old and nothing else."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import repository
from bot.db.models import (
    ChannelAddress,
    Conversation,
    Feedback,
    InboxMessage,
    IssuedButton,
    OutboxJob,
    StaffPost,
    Ticket,
    utcnow,
)
from bot.escalation import tickets
from bot.privacy import erasure, tracker_events
from bot.privacy.tracker_events import EVENTS

from .conftest import Stores

NOW = utcnow()
OLD = NOW - dt.timedelta(days=40)


async def add_events(
    tracker: AsyncEngine, sender: str, moments: list[tuple[dt.datetime, str, str]]
) -> None:
    async with tracker.begin() as connection:
        for moment, kind, text in moments:
            await connection.execute(
                insert(EVENTS).values(
                    sender_id=sender,
                    type_name=kind,
                    timestamp=moment.timestamp(),
                    data=json.dumps({"event": kind, "text": text}),
                )
            )


async def events_of(tracker: AsyncEngine, sender: str) -> list[str]:
    async with tracker.connect() as connection:
        rows = await connection.execute(
            select(EVENTS.c.data).where(EVENTS.c.sender_id == sender).order_by(EVENTS.c.id)
        )
        return [json.loads(row[0])["text"] for row in rows]


async def a_user_with_everything(stores: Stores, conversation_id: str, *, when: dt.datetime) -> int:
    async with stores.sessions.begin() as session:
        conversation = await repository.get_or_create_conversation(
            session, conversation_id=conversation_id, channel="telegram"
        )
        conversation.last_seen_at = when
        await repository.issue_button(session, conversation_id=conversation_id, payload="/greet")
        session.add(
            ChannelAddress(conversation_id=conversation_id, channel="telegram", address="42")
        )
        session.add(
            Feedback(
                conversation_id=conversation_id,
                faq_id="x",
                language="uk",
                helpful=True,
                created_at=when,
            )
        )
        ticket = await tickets.create_ticket(
            session,
            conversation_id=conversation_id,
            channel="telegram",
            language="uk",
            question="Де жити?",
            excerpt=[],
        )
        session.add(StaffPost(ticket_id=ticket.id, chat_id=-100, message_id=ticket.id))
        session.add(
            InboxMessage(
                conversation_id=conversation_id,
                ticket_id=ticket.id,
                sender="staff",
                language="uk",
                text="Відповідь",
            )
        )
        ticket_id = ticket.id
    await add_events(
        stores.tracker,
        conversation_id,
        [(when, "session_started", ""), (when, "user", "Де жити?"), (when, "bot", "...")],
    )
    return ticket_id


async def count(stores: Stores, table: type, conversation_id: str | None = None) -> int:
    async with stores.sessions() as session:
        query = select(func.count()).select_from(table)
        if conversation_id is not None:
            column = table.id if table is Conversation else table.conversation_id  # type: ignore[attr-defined]
            query = query.where(column == conversation_id)
        return int(await session.scalar(query) or 0)


async def test_forget_erases_one_user_everywhere_and_no_one_else(stores: Stores) -> None:
    await a_user_with_everything(stores, "tg-forget", when=NOW)
    await a_user_with_everything(stores, "tg-keep", when=NOW)
    erased = await erasure.forget(stores.sessions, stores.tracker, "tg-forget")
    assert (erased.events, erased.tickets, erased.feedback) == (3, 1, 1)
    for table in (Conversation, IssuedButton, ChannelAddress, Feedback, Ticket, InboxMessage):
        assert await count(stores, table, "tg-forget") == 0, table.__name__
        assert await count(stores, table, "tg-keep") == 1, table.__name__
    assert await count(stores, OutboxJob) == 1  # only the other user's ticket's job
    assert await count(stores, StaffPost) == 1
    assert await events_of(stores.tracker, "tg-forget") == []
    assert await events_of(stores.tracker, "tg-keep") == ["", "Де жити?", "..."]


async def test_purge_deletes_old_conversations_but_keeps_a_waiting_ticket(stores: Stores) -> None:
    await a_user_with_everything(stores, "tg-waiting", when=OLD)  # open ticket: kept
    await a_user_with_everything(stores, "tg-recent", when=NOW)
    async with stores.sessions.begin() as session:
        await repository.get_or_create_conversation(
            session, conversation_id="we-old", channel="web"
        )
        stored = await session.get(Conversation, "we-old")
        assert stored is not None
        stored.last_seen_at = OLD
    await add_events(stores.tracker, "we-old", [(OLD, "session_started", ""), (OLD, "user", "hi")])
    purged = await erasure.purge(
        stores.sessions, stores.tracker, conversation_days=28, closed_ticket_days=90, now=NOW
    )
    assert purged.conversations == 1
    assert await count(stores, Conversation, "we-old") == 0
    assert await count(stores, Conversation, "tg-waiting") == 1
    assert await count(stores, ChannelAddress, "tg-waiting") == 1  # needed to deliver
    assert await events_of(stores.tracker, "we-old") == []
    assert await events_of(stores.tracker, "tg-recent") == ["", "Де жити?", "..."]
    # the waiting user's old conversation events go (the ticket keeps its own excerpt)
    assert await events_of(stores.tracker, "tg-waiting") == []
    assert await count(stores, Feedback, "tg-waiting") == 0  # unlinked, not deleted
    assert await count(stores, Feedback) == 2


async def test_purge_keeps_the_current_session_whole(stores: Stores) -> None:
    """Rasa appends to a tracker by counting its current session's events: never cut one."""
    long_ago = NOW - dt.timedelta(days=60)
    await add_events(
        stores.tracker,
        "tg-long",
        [
            (long_ago, "session_started", ""),
            (long_ago, "user", "old session"),
            (OLD, "session_started", ""),
            (OLD, "user", "current session, started long ago"),
            (NOW, "user", "still talking"),
        ],
    )
    await erasure.purge(
        stores.sessions, stores.tracker, conversation_days=28, closed_ticket_days=90, now=NOW
    )
    assert await events_of(stores.tracker, "tg-long") == [
        "",
        "current session, started long ago",
        "still talking",
    ]


async def test_purge_deletes_closed_tickets_after_their_own_period(stores: Stores) -> None:
    ticket_id = await a_user_with_everything(stores, "tg-closed", when=NOW)
    async with stores.sessions.begin() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        ticket.state, ticket.closed_at = "closed", NOW - dt.timedelta(days=60)
    kept = await erasure.purge(
        stores.sessions, stores.tracker, conversation_days=28, closed_ticket_days=90, now=NOW
    )
    assert kept.closed_tickets == 0
    gone = await erasure.purge(
        stores.sessions, stores.tracker, conversation_days=28, closed_ticket_days=30, now=NOW
    )
    assert gone.closed_tickets == 1
    assert await count(stores, Ticket) == 0
    assert await count(stores, StaffPost) == 0


async def test_a_missing_tracker_table_means_nothing_is_stored(tmp_path: object) -> None:
    from bot.db.session import make_engine

    engine = make_engine(f"sqlite:///{tmp_path}/empty.db")
    try:
        assert (await tracker_events.stored_events(engine, "x")).count == 0
        assert await tracker_events.delete_conversation_events(engine, "x") == 0
        assert await tracker_events.delete_events_before(engine, NOW) == 0
    finally:
        await engine.dispose()
