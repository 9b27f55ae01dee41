"""The staff queue as the browser workspace shows it: which tickets, in which order, and what
changed since a page last looked.

A row carries what staff need to choose a ticket (its code, language, topic, state, whether
it is urgent or late, who claimed it), never the newcomer's question: reading that is a step
of its own on the ticket page, and that step is audit-logged.

The order is the order of work: urgent tickets first, then the late ones (their promised time
has passed), then by the time promised to the newcomer (tickets without one last, by age).
One indexed query; "mine" is narrowed in SQL by the identity's suffix and then checked with
desk.same_staff, so a renamed colleague is still the same person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final, Literal

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Ticket, as_utc
from bot.escalation import desk, history, tickets

StateFilter = Literal["waiting", "open", "claimed", "answered", "closed", "all"]
STATE_FILTERS: Final[tuple[StateFilter, ...]] = (
    "waiting",
    "open",
    "claimed",
    "answered",
    "closed",
    "all",
)
LIMIT: Final = 200


@dataclass(frozen=True)
class QueueFilter:
    language: str | None = None
    topic: str | None = None
    state: StateFilter = "waiting"
    channel: str | None = None
    mine: str | None = None  # a staff identity: only the tickets that person claimed


@dataclass(frozen=True)
class QueueRow:
    code: str
    display_code: str
    language: str
    channel: str
    topic: str | None
    state: str
    urgent: bool
    created_at: dt.datetime
    expected_by: dt.datetime | None
    overdue: bool
    claimed_by_name: str | None
    mine: bool
    delivery_state: str


@dataclass(frozen=True)
class QueueChange:
    id: int
    code: str
    display_code: str
    kind: str
    actor_name: str | None
    at: dt.datetime


@dataclass(frozen=True)
class QueueOptions:
    """What the filters can choose among: the values the tickets have."""

    topics: tuple[str, ...]
    channels: tuple[str, ...]


def _states(state: StateFilter) -> tuple[str, ...]:
    if state == "waiting":
        return tickets.WAITING
    if state == "all":
        return ()
    return (state,)


def _suffix(identity: str) -> str:
    """The part of an identity that names the person (" #web7"), or the whole identity."""
    name = desk.staff_name(identity)
    return identity[len(name) :] if name != identity else identity


async def queue_rows(
    session: AsyncSession,
    where: QueueFilter,
    *,
    me: str,
    now: dt.datetime,
    limit: int = LIMIT,
) -> list[QueueRow]:
    """The tickets `where` selects, in the order of work, for the staff member `me`."""
    waiting = Ticket.state.in_(tickets.WAITING)
    overdue = case(
        (Ticket.expected_by.is_not(None) & (Ticket.expected_by < now) & waiting, 0), else_=1
    )
    no_promise = case((Ticket.expected_by.is_(None), 1), else_=0)
    query = select(Ticket)
    states = _states(where.state)
    if states:
        query = query.where(Ticket.state.in_(states))
    if where.language:
        query = query.where(Ticket.language == where.language)
    if where.topic:
        query = query.where(Ticket.topic == where.topic)
    if where.channel:
        query = query.where(Ticket.channel == where.channel)
    if where.mine:
        query = query.where(Ticket.claimed_by.is_not(None))
        suffix = _suffix(where.mine)
        if suffix != where.mine:
            query = query.where(Ticket.claimed_by.endswith(suffix, autoescape=True))
        else:
            query = query.where(Ticket.claimed_by == where.mine)
    query = query.order_by(
        Ticket.urgent.desc(),
        overdue,
        no_promise,
        Ticket.expected_by,
        Ticket.created_at,
        Ticket.id,
    ).limit(limit)
    rows: list[QueueRow] = []
    for ticket in await session.scalars(query):
        if where.mine and not desk.same_staff(ticket.claimed_by, where.mine):
            continue
        rows.append(_row(ticket, me=me, now=now))
    return rows


def _row(ticket: Ticket, *, me: str, now: dt.datetime) -> QueueRow:
    expected = as_utc(ticket.expected_by) if ticket.expected_by else None
    return QueueRow(
        code=ticket.code,
        display_code=tickets.display_code(ticket.code),
        language=ticket.language,
        channel=ticket.channel,
        topic=ticket.topic,
        state=ticket.state,
        urgent=bool(ticket.urgent),
        created_at=as_utc(ticket.created_at),
        expected_by=expected,
        overdue=expected is not None and expected < now and ticket.state in tickets.WAITING,
        claimed_by_name=desk.staff_name(ticket.claimed_by) if ticket.claimed_by else None,
        mine=ticket.claimed_by is not None and desk.same_staff(ticket.claimed_by, me),
        delivery_state=ticket.delivery_state,
    )


async def queue_options(session: AsyncSession) -> QueueOptions:
    topics = await session.scalars(
        select(Ticket.topic).where(Ticket.topic.is_not(None)).distinct().order_by(Ticket.topic)
    )
    channels = await session.scalars(select(Ticket.channel).distinct().order_by(Ticket.channel))
    return QueueOptions(topics=tuple(topic for topic in topics if topic), channels=tuple(channels))


async def changes_since(
    session: AsyncSession, after_id: int, *, limit: int = 200
) -> tuple[list[QueueChange], int]:
    """Ticket events after the cursor `after_id`, oldest first, and the new cursor. It reads
    the database, so it sees what every gateway process wrote."""
    events = await history.events_after(session, after_id, limit=limit)
    if not events:
        return [], after_id
    ids = {event.ticket_id for event in events}
    found = await session.execute(select(Ticket.id, Ticket.code).where(Ticket.id.in_(ids)))
    codes: dict[int, str] = {ticket_id: code for ticket_id, code in found.all()}
    changes = [  # an erased ticket's events go with it: none is left without a code
        QueueChange(
            id=event.id,
            code=codes[event.ticket_id],
            display_code=tickets.display_code(codes[event.ticket_id]),
            kind=event.kind,
            actor_name=desk.staff_name(event.actor) if event.actor else None,
            at=as_utc(event.at),
        )
        for event in events
        if event.ticket_id in codes
    ]
    return changes, events[-1].id
