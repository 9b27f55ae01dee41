"""Tickets: questions for staff, their states, and the outbox jobs they cause.

Every change that must reach someone (a new ticket for staff, an answer for the newcomer) is
written in the same transaction as an outbox job (bot/escalation/outbox.py), so a crash
between the two cannot lose it. Transitions are checked: an answered ticket is not answered
again by accident, a closed one is not claimed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import OutboxJob, Ticket, utcnow
from bot.escalation import history

State = Literal["open", "claimed", "answered", "closed"]
STATES: tuple[State, ...] = ("open", "claimed", "answered", "closed")
WAITING: tuple[State, ...] = ("open", "claimed")  # waiting for staff
# What each state may become. "answered -> open" is the newcomer saying the answer did not
# solve their question; "claimed -> open" is staff handing a ticket back.
TRANSITIONS: dict[State, frozenset[State]] = {
    "open": frozenset({"claimed", "answered", "closed"}),
    "claimed": frozenset({"open", "claimed", "answered", "closed"}),
    "answered": frozenset({"open", "closed"}),
    "closed": frozenset(),
}

# Codes people read aloud and type: no 0/O, 1/I/L, 2/Z, 5/S, 8/B.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6
CODE_ATTEMPTS = 5
SIMILAR_QUESTION = 0.6  # share of words in common from which two questions are the same
_WORD = re.compile(r"\w+", re.UNICODE)

JobKind = Literal["notify_staff", "deliver_answer", "notify_reopened", "notify_undelivered"]


class TicketError(Exception):
    """A staff action that cannot be done; the message says why."""


class TicketNotFound(TicketError):
    pass


class TicketStateError(TicketError):
    pass


@dataclass(frozen=True)
class ExcerptLine:
    sender: Literal["newcomer", "bot"]
    text: str


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def display_code(code: str) -> str:
    """K7PQ4X as K7P-Q4X: easier to read and to say."""
    return f"{code[:3]}-{code[3:]}"


def normalize_code(text: str) -> str:
    """What a person typed ("k7p-q4x", "K7P Q4X") as the stored code."""
    return re.sub(r"[^A-Za-z0-9]", "", text).upper()


def excerpt_to_json(lines: Sequence[ExcerptLine]) -> str:
    return json.dumps(
        [{"from": line.sender, "text": line.text} for line in lines], ensure_ascii=False
    )


def excerpt_from_json(raw: str) -> list[ExcerptLine]:
    try:
        items = json.loads(raw or "[]")
    except ValueError:
        return []
    lines: list[ExcerptLine] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("from") in ("newcomer", "bot"):
            lines.append(ExcerptLine(sender=item["from"], text=str(item.get("text", ""))))
    return lines


def _words(text: str) -> set[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return {word for word in _WORD.findall(folded) if len(word) > 1}


def same_question(first: str, second: str) -> bool:
    """Two wordings of one question: most of their words in common."""
    a, b = _words(first), _words(second)
    if not a or not b:
        return first.strip().casefold() == second.strip().casefold()
    return len(a & b) / len(a | b) >= SIMILAR_QUESTION


async def waiting_tickets(session: AsyncSession, *, conversation_id: str) -> list[Ticket]:
    """The newcomer's tickets that staff have not answered yet."""
    rows = await session.scalars(
        select(Ticket)
        .where(Ticket.conversation_id == conversation_id, Ticket.state.in_(WAITING))
        .order_by(Ticket.created_at)
    )
    return list(rows)


async def tickets_of(
    session: AsyncSession, *, conversation_id: str, include_closed: bool = False
) -> list[Ticket]:
    query = select(Ticket).where(Ticket.conversation_id == conversation_id)
    if not include_closed:
        query = query.where(Ticket.state != "closed")
    return list(await session.scalars(query.order_by(Ticket.created_at)))


async def find_duplicate(
    session: AsyncSession, *, conversation_id: str, question: str
) -> Ticket | None:
    """A waiting ticket of this conversation that asks the same thing."""
    for ticket in await waiting_tickets(session, conversation_id=conversation_id):
        if same_question(ticket.question, question):
            return ticket
    return None


async def queue_length(session: AsyncSession) -> int:
    """Tickets waiting for staff, across all conversations."""
    count = await session.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.state.in_(WAITING))
    )
    return int(count or 0)


async def create_ticket(
    session: AsyncSession,
    *,
    conversation_id: str,
    channel: str,
    language: str,
    question: str,
    excerpt: Sequence[ExcerptLine],
    topic: str | None = None,
    urgent: bool = False,
    now: dt.datetime | None = None,
) -> Ticket:
    """A ticket with the newcomer's consent (given now), and the job that tells staff."""
    moment = now or utcnow()
    ticket = Ticket(
        code=await _free_code(session),
        conversation_id=conversation_id,
        channel=channel,
        language=language,
        topic=topic,
        question=question,
        excerpt=excerpt_to_json(excerpt),
        consent_at=moment,
        urgent=urgent,
        state="open",
        created_at=moment,
    )
    session.add(ticket)
    await session.flush()
    history.record(session, ticket, "created", detail="urgent" if urgent else None)
    add_job(session, ticket, "notify_staff", f"notify_staff:{ticket.id}")
    return ticket


async def _free_code(session: AsyncSession) -> str:
    """A code no ticket has. (Checked rather than caught: SQLite's driver cannot roll back
    to a savepoint reliably, and one in 244 million draws collides anyway; a collision
    between check and commit fails the whole transaction, never half of it.)"""
    for _ in range(CODE_ATTEMPTS):
        code = new_code()
        if await session.scalar(select(Ticket.id).where(Ticket.code == code)) is None:
            return code
    raise TicketError("no free ticket code after several attempts")


def add_job(session: AsyncSession, ticket: Ticket, kind: JobKind, dedupe_key: str) -> None:
    session.add(OutboxJob(kind=kind, dedupe_key=dedupe_key, ticket_id=ticket.id))


async def get_ticket(session: AsyncSession, code: str, *, for_update: bool = False) -> Ticket:
    query = select(Ticket).where(Ticket.code == normalize_code(code))
    if for_update:
        query = query.with_for_update()
    ticket = await session.scalar(query)
    if ticket is None:
        raise TicketNotFound(f"no ticket {code}")
    return ticket


async def waiting_codes(session: AsyncSession, codes: Iterable[str]) -> frozenset[str]:
    """Which of `codes` name a ticket that still waits for staff."""
    wanted = {normalize_code(code) for code in codes}
    if not wanted:
        return frozenset()
    found = await session.scalars(
        select(Ticket.code).where(Ticket.code.in_(wanted), Ticket.state.in_(WAITING))
    )
    return frozenset(found)


async def get_ticket_by_id(session: AsyncSession, ticket_id: int) -> Ticket | None:
    return await session.get(Ticket, ticket_id)


def _move(ticket: Ticket, target: State) -> None:
    current: State = ticket.state  # type: ignore[assignment]
    if target not in TRANSITIONS[current]:
        raise TicketStateError(
            f"ticket {display_code(ticket.code)} is {current}; it cannot become {target}"
        )
    ticket.state = target


async def claim(session: AsyncSession, *, code: str, staff: str) -> Ticket:
    ticket = await get_ticket(session, code, for_update=True)
    if ticket.state == "claimed" and ticket.claimed_by == staff:
        return ticket  # pressing "claim" twice changes nothing
    _move(ticket, "claimed")
    ticket.claimed_by = staff
    ticket.claimed_at = utcnow()
    history.record(session, ticket, "claimed", actor=staff)
    return ticket


async def unclaim(session: AsyncSession, *, code: str, staff: str | None = None) -> Ticket:
    ticket = await get_ticket(session, code, for_update=True)
    _move(ticket, "open")
    history.record(session, ticket, "released", actor=staff or ticket.claimed_by)
    ticket.claimed_by = None
    ticket.claimed_at = None
    return ticket


def awaits_resend(ticket: Ticket) -> bool:
    """Answered, but the answer could never be delivered: a new answer is a second try."""
    return ticket.state == "answered" and ticket.delivery_state == "failed"


async def answer(session: AsyncSession, *, code: str, staff: str, text: str) -> Ticket:
    """Stores staff's answer and queues its delivery, in one transaction. An answered ticket
    takes a new answer only when the last one could not be delivered (a second try)."""
    cleaned = text.strip()
    if not cleaned:
        raise TicketError("the answer is empty")
    ticket = await get_ticket(session, code, for_update=True)
    if ticket.state == "answered" and not awaits_resend(ticket):
        raise TicketStateError(
            f"ticket {display_code(ticket.code)} was already answered by {ticket.answered_by}"
        )
    if ticket.state != "answered":
        _move(ticket, "answered")
    now = utcnow()
    ticket.answer = cleaned
    ticket.answered_by = staff
    ticket.answered_at = now
    if ticket.claimed_by is None:
        ticket.claimed_by, ticket.claimed_at = staff, now
    ticket.answer_count += 1
    ticket.delivery_state = "pending"
    ticket.delivered_at = None
    history.record(session, ticket, "answered", actor=staff)
    add_job(session, ticket, "deliver_answer", f"deliver_answer:{ticket.id}:{ticket.answer_count}")
    return ticket


async def close(
    session: AsyncSession, *, code: str, staff: str | None = None, reason: str | None = None
) -> Ticket:
    ticket = await get_ticket(session, code, for_update=True)
    _move(ticket, "closed")
    ticket.closed_at = utcnow()
    ticket.close_reason = reason
    history.record(session, ticket, "closed", actor=staff, detail=reason)
    return ticket


async def record_solved(
    session: AsyncSession, *, conversation_id: str, code: str, solved: bool
) -> Ticket | None:
    """The newcomer's "did this solve your question?": yes closes the ticket, no sends it
    back to staff. None when the ticket is not this conversation's or not answered."""
    try:
        ticket = await get_ticket(session, code, for_update=True)
    except TicketNotFound:
        return None
    if ticket.conversation_id != conversation_id or ticket.state != "answered":
        return None
    ticket.solved = solved
    if solved:
        _move(ticket, "closed")
        ticket.closed_at = utcnow()
        history.record(session, ticket, "solved")
    else:
        _move(ticket, "open")
        history.record(session, ticket, "reopened")
        ticket.claimed_by = None
        ticket.claimed_at = None
        add_job(
            session, ticket, "notify_reopened", f"notify_reopened:{ticket.id}:{ticket.answer_count}"
        )
    return ticket


async def list_tickets(
    session: AsyncSession,
    *,
    states: Sequence[str] = (),
    language: str | None = None,
    topic: str | None = None,
    older_than: dt.timedelta | None = None,
    limit: int = 200,
) -> list[Ticket]:
    """For staff: oldest first (the longest waiting on top), urgent ones before the rest."""
    query = select(Ticket)
    if states:
        query = query.where(Ticket.state.in_(list(states)))
    if language:
        query = query.where(Ticket.language == language)
    if topic:
        query = query.where(Ticket.topic == topic)
    if older_than is not None:
        query = query.where(Ticket.created_at < utcnow() - older_than)
    query = query.order_by(Ticket.urgent.desc(), Ticket.created_at).limit(limit)
    return list(await session.scalars(query))
