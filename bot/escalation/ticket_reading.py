"""A ticket as an employee reads it: the newcomer's question and the conversation before it in
the employee's own language (a machine translation, with the original beside it), what the
bot answered, the promise made, the delivery, and the ticket's history.

Translations are made for the reader and never stored: retention and /forget have nothing
more to erase. A translation that fails shows the original, and says so.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Ticket, TicketEvent, as_utc
from bot.escalation import history, tickets
from bot.escalation.desk import staff_name
from bot.escalation.tickets import WAITING
from bot.translation.base import TranslationFailed, Translator


@dataclass(frozen=True)
class ShownText:
    """A newcomer's (or the bot's) words: as written, and in the reader's language when a
    machine translated them (`translated` None: shown as written)."""

    original: str
    language: str
    translated: str | None = None
    failed: bool = False


@dataclass(frozen=True)
class ExcerptShown:
    sender: str  # "newcomer" or "bot"
    text: ShownText


@dataclass(frozen=True)
class HistoryStep:
    at: dt.datetime
    kind: str
    actor: str  # a staff name, never an identity's id part; "" for the system
    detail: str


@dataclass(frozen=True)
class TicketReading:
    ticket: Ticket
    question: ShownText
    excerpt: list[ExcerptShown]
    steps: list[HistoryStep]
    overdue: bool
    engine: str
    translated: bool  # an engine is configured and the languages differ


async def shown_text(translator: Translator, text: str, *, source: str, target: str) -> ShownText:
    """`text` for a reader of `target`: translated when an engine is set up, else as is."""
    if not translator.configured or source == target or not text.strip():
        return ShownText(original=text, language=source)
    try:
        made = await translator.translate(text, source=source, target=target)
    except TranslationFailed:
        return ShownText(original=text, language=source, failed=True)
    return ShownText(original=text, language=source, translated=made.text if made.machine else None)


def is_overdue(ticket: Ticket, now: dt.datetime) -> bool:
    return (
        ticket.state in WAITING
        and ticket.expected_by is not None
        and as_utc(ticket.expected_by) < now
    )


def steps_of(events: Sequence[TicketEvent]) -> list[HistoryStep]:
    return [
        HistoryStep(
            at=as_utc(event.at),
            kind=event.kind,
            actor=staff_name(event.actor),
            detail=event.detail or "",
        )
        for event in events
    ]


async def read_ticket(
    session: AsyncSession,
    ticket: Ticket,
    *,
    translator: Translator,
    reader_language: str,
    now: dt.datetime,
) -> TicketReading:
    """The ticket in `reader_language` (nl or en). The newcomer wrote in the ticket's
    language; Russian is stored as Ukrainian's conversation and detected by the engine."""
    source = ticket.language
    lines = tickets.excerpt_from_json(ticket.excerpt)
    question, *shown_lines = await asyncio.gather(
        shown_text(translator, ticket.question, source=source, target=reader_language),
        *(
            shown_text(translator, line.text, source=source, target=reader_language)
            for line in lines
        ),
    )
    events = await history.history_of(session, ticket.id)
    return TicketReading(
        ticket=ticket,
        question=question,
        excerpt=[
            ExcerptShown(sender=line.sender, text=shown)
            for line, shown in zip(lines, shown_lines, strict=True)
        ],
        steps=steps_of(events),
        overdue=is_overdue(ticket, now),
        engine=translator.engine,
        translated=translator.configured and source != reader_language,
    )
