"""Starting a draft entry (bot/faq/drafts.py) from what newcomers asked and staff answered:
from an answered ticket, or from missed questions (turn events) that belong together.

The questions become training questions in their own languages (as redacted when stored),
the staff answer (redacted too: it may quote a code or a number) the first answer text; the
other languages are machine translations when a translation engine is configured, marked
"to be checked", and empty otherwise."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Ticket, utcnow
from bot.db.turn_models import TurnEvent, turn_pseudonym
from bot.escalation import tickets
from bot.faq.drafts import draft_paths, dump
from bot.faq.schema import TOPICS
from bot.insights.trends import topic_of_offer
from bot.language import SUPPORTED as LANGUAGES
from bot.privacy.redact import redact
from bot.translation.base import TranslationFailed, Translator

MAX_QUESTIONS = 40  # per draft: an editor reads every one


class DraftRefused(Exception):
    """Why no draft was made, as a key of texts/staff_web/drafts.yml."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Quote:
    language: str
    text: str
    conversation: str  # the turn events' pseudonym of the conversation
    on: dt.date


@dataclass(frozen=True)
class Started:
    id: str
    path: Path
    questions: int
    translated: list[str]  # languages a machine wrote
    untranslated: list[str]  # languages left empty (no engine, or it failed)


def new_id(folder: Path, topic: str, source: str, today: dt.date) -> str:
    """`<topic>_draft_<date>_<6 hex>`, unique among the drafts (an editor chooses the final id)."""
    taken = {path.stem for path in draft_paths(folder)}
    digest = hashlib.sha256(f"{source}:{today}".encode()).hexdigest()
    for start in range(0, len(digest) - 6):
        candidate = f"{topic}_draft_{today:%Y%m%d}_{digest[start : start + 6]}"
        if candidate not in taken:
            return candidate
    raise DraftRefused("draft_exists")


async def translated_answers(
    translator: Translator, text: str, language: str
) -> tuple[dict[str, str], list[str], list[str]]:
    """The answer in every language: (answers, machine-translated languages, empty ones)."""
    answers = {language: text}
    machine: list[str] = []
    empty: list[str] = []
    for target in LANGUAGES:
        if target == language:
            continue
        if not translator.configured or not text:
            answers[target] = ""
            empty.append(target)
            continue
        try:
            made = await translator.translate(text, source=language, target=target)
        except TranslationFailed:
            answers[target] = ""
            empty.append(target)
            continue
        answers[target] = made.text
        machine.append(target)
    return answers, machine, empty


def document(
    *, draft_id: str, topic: str, quotes: Sequence[Quote], answers: dict[str, str],
    to_check: list[str], made_from: str, today: dt.date,
) -> dict[str, Any]:  # fmt: skip
    """The draft as written to faq/drafts/<id>.yml (the entry's fields, then the draft's)."""
    questions: dict[str, list[str]] = {language: [] for language in LANGUAGES}
    for quote in quotes:
        if quote.text not in questions[quote.language]:
            questions[quote.language].append(quote.text)
    return {
        "draft": True,
        "id": draft_id,
        "topic": topic,
        "scope": "national",
        "audience": "everyone",
        "reviewed": None,
        "sources": [],
        "title": {language: "" for language in LANGUAGES},
        "questions": questions,
        "heldout": {language: [] for language in LANGUAGES},
        "answer": {language: answers.get(language, "") for language in LANGUAGES},
        "to_check": [f"answer.{language}" for language in to_check],
        "made_from": made_from,
        "made_on": today,
        "quotes": [
            {"from": quote.conversation, "on": quote.on, "text": quote.text} for quote in quotes
        ],
    }


async def write_draft(
    folder: Path, translator: Translator, *, topic: str, quotes: Sequence[Quote],
    answer: str, answer_language: str, made_from: str, today: dt.date | None = None,
) -> Started:  # fmt: skip
    if topic not in TOPICS:
        raise DraftRefused("draft_no_topic")
    if not quotes:
        raise DraftRefused("draft_no_questions")
    day = today or utcnow().date()
    answers, machine, empty = await translated_answers(translator, answer, answer_language)
    draft_id = new_id(folder, topic, made_from, day)
    path = folder / f"{draft_id}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    written = document(
        draft_id=draft_id, topic=topic, quotes=quotes[:MAX_QUESTIONS], answers=answers,
        to_check=sorted(machine), made_from=made_from, today=day,
    )  # fmt: skip
    with path.open("x", encoding="utf-8") as file:  # never over another draft
        file.write(dump(written))
    return Started(draft_id, path, len(quotes[:MAX_QUESTIONS]), machine, empty)


async def draft_from_ticket(
    session: AsyncSession, folder: Path, translator: Translator, *, code: str,
    topic: str | None = None, today: dt.date | None = None,
) -> Started:  # fmt: skip
    """A draft from an answered ticket: its question, and the answer in the words the
    employee wrote it (translated into the other languages)."""
    try:
        ticket: Ticket = await tickets.get_ticket(session, code)
    except tickets.TicketNotFound:
        raise DraftRefused("draft_no_ticket") from None
    if not ticket.answer:
        raise DraftRefused("draft_not_answered")
    if ticket.answer_entry_id:
        raise DraftRefused("draft_already_entry")
    language = ticket.answer_source_language or ticket.language
    text = redact(ticket.answer_original or ticket.answer).text  # it may quote a code
    day = today or utcnow().date()
    quote = Quote(ticket.language, " ".join(ticket.question.split()),
                  turn_pseudonym(ticket.conversation_id), day)  # fmt: skip
    return await write_draft(
        folder, translator, topic=topic or ticket.topic or "", quotes=[quote], answer=text,
        answer_language=language, made_from=f"ticket:{ticket.code}", today=day,
    )  # fmt: skip


async def draft_from_events(
    session: AsyncSession, folder: Path, translator: Translator, *, event_ids: Sequence[int],
    topic: str | None = None, today: dt.date | None = None,
) -> Started:  # fmt: skip
    """A draft from missed questions: their texts in their languages, the topic the bot
    offered most (or the one chosen), and the first staff answer one of them got."""
    found = list(
        await session.scalars(
            select(TurnEvent)
            .where(TurnEvent.id.in_(list(event_ids)[:MAX_QUESTIONS]), TurnEvent.text.is_not(None))
            .order_by(TurnEvent.at)
        )
    )
    quotes = [
        Quote(
            event.language,
            " ".join((event.text or "").split()),
            event.conversation,
            event.at.date(),
        )
        for event in found
        if (event.text or "").strip()
    ]
    offered = Counter(topic_of_offer(event.entry_id or event.offered) for event in found)
    offered.pop("", None)
    chosen = topic or (offered.most_common(1)[0][0] if offered else "")
    answer, language = "", "nl"
    ticket_ids = [event.ticket_id for event in found if event.ticket_id is not None]
    if ticket_ids:
        answered = await session.scalar(
            select(Ticket)
            .where(Ticket.id.in_(ticket_ids), Ticket.answer.is_not(None),
                   Ticket.answer_entry_id.is_(None))
            .order_by(Ticket.answered_at)
            .limit(1)
        )  # fmt: skip
        if answered is not None:
            answer = redact(answered.answer_original or answered.answer or "").text
            language = answered.answer_source_language or answered.language
    return await write_draft(
        folder, translator, topic=chosen, quotes=quotes, answer=answer,
        answer_language=language, made_from=f"missed:{len(quotes)} questions", today=today,
    )  # fmt: skip
