"""Rasa's tracker store (its `events` table), as the gateway needs it for privacy requests.

Rasa writes conversation events there; the gateway reads them only to show a user what is
stored (/mydata) and deletes them to forget a user (/forget) or when they are too old (purge).
The table is Rasa's (rasa/core/tracker_store.py, SQLTrackerStore.SQLEvent); it is described
here, not created: when Rasa has not created it yet, nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    delete,
    func,
    select,
)
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings, async_url
from bot.db.session import make_engine

_metadata = MetaData()
EVENTS = Table(
    "events",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
MISSING_TABLE = (OperationalError, ProgrammingError)  # "no such table" / "does not exist"


def tracker_engine(settings: Settings) -> AsyncEngine:
    """An async engine on Rasa's tracker store (SQLite under var/, or the PostgreSQL)."""
    return make_engine(async_url(settings.effective_tracker_store_url))


@dataclass(frozen=True)
class StoredEvents:
    count: int
    first: dt.datetime | None
    last: dt.datetime | None
    user_texts: tuple[str, ...]  # the user's own messages, newest last (buttons left out)
    situation: str | None = None  # the situation the user chose (bot/faq/situations.py)


SLOT_EVENTS_READ = 200  # the latest slot events looked at for the situation


def _latest_slot(raw: list[str | None], name: str) -> str | None:
    """The latest value of slot `name` among slot events' data, newest first."""
    for data in raw:
        try:
            event = json.loads(data or "")
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("name") == name:
            value = event.get("value")
            return value if isinstance(value, str) else None
    return None


async def stored_events(engine: AsyncEngine, sender_id: str, *, texts: int = 5) -> StoredEvents:
    try:
        async with engine.connect() as connection:
            count, first, last = (
                await connection.execute(
                    select(
                        func.count(), func.min(EVENTS.c.timestamp), func.max(EVENTS.c.timestamp)
                    ).where(EVENTS.c.sender_id == sender_id)
                )
            ).one()
            rows = await connection.execute(
                select(EVENTS.c.data)
                .where(EVENTS.c.sender_id == sender_id, EVENTS.c.type_name == "user")
                .order_by(EVENTS.c.id.desc())
                .limit(texts * 3)
            )
            raw = [row[0] for row in rows]
            slots = await connection.execute(
                select(EVENTS.c.data)
                .where(EVENTS.c.sender_id == sender_id, EVENTS.c.type_name == "slot")
                .order_by(EVENTS.c.id.desc())
                .limit(SLOT_EVENTS_READ)
            )
            situation = _latest_slot([row[0] for row in slots], "situation")
    except MISSING_TABLE:
        return StoredEvents(0, None, None, ())
    user_texts: list[str] = []
    for data in raw:
        text = _text_of(data)
        if text and not text.startswith("/") and len(user_texts) < texts:
            user_texts.append(text)
    return StoredEvents(
        count=int(count or 0),
        first=_moment(first),
        last=_moment(last),
        user_texts=tuple(reversed(user_texts)),
        situation=situation,
    )


async def delete_conversation_events(engine: AsyncEngine, sender_id: str) -> int:
    try:
        async with engine.begin() as connection:
            result = await connection.execute(delete(EVENTS).where(EVENTS.c.sender_id == sender_id))
    except MISSING_TABLE:
        return 0
    return int(result.rowcount or 0)


async def delete_events_before(engine: AsyncEngine, cutoff: dt.datetime) -> int:
    """Events older than `cutoff`, but never from a session still going on: Rasa appends to
    a tracker by counting the events of its current session, so those are left whole (a
    session ends after the session_expiration_time of the domain)."""
    moment = cutoff.timestamp()
    newer = EVENTS.alias("newer")
    latest_session_start = (
        select(func.max(newer.c.id))
        .where(newer.c.sender_id == EVENTS.c.sender_id, newer.c.type_name == "session_started")
        .scalar_subquery()
    )
    latest_event = (
        select(func.max(newer.c.timestamp))
        .where(newer.c.sender_id == EVENTS.c.sender_id)
        .scalar_subquery()
    )
    try:
        async with engine.begin() as connection:
            past_sessions = await connection.execute(
                delete(EVENTS).where(
                    and_(EVENTS.c.timestamp < moment, EVENTS.c.id < latest_session_start)
                )
            )
            idle_conversations = await connection.execute(
                delete(EVENTS).where(latest_event < moment)
            )
    except MISSING_TABLE:
        return 0
    return int(past_sessions.rowcount or 0) + int(idle_conversations.rowcount or 0)


def _text_of(data: str | None) -> str:
    try:
        loaded = json.loads(data or "{}")
    except ValueError:
        return ""
    text = loaded.get("text") if isinstance(loaded, dict) else None
    return text.strip() if isinstance(text, str) else ""


def _moment(timestamp: float | None) -> dt.datetime | None:
    if timestamp is None:
        return None
    return dt.datetime.fromtimestamp(timestamp, tz=dt.timezone.utc)
