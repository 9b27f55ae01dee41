"""Answering tickets from the staff workspace: in staff's own words (translated into each
newcomer's language, checked by a back-translation first) or with a knowledge-base entry
(written by the editors in every language, so nothing is machine translated), to one ticket
or to several that ask the same thing.

Translations are made before the transaction (they go over the network); every ticket is then
answered in ONE transaction, each with its own deliver_answer job, so a crash either loses
none of the answers or stores them all, and each newcomer gets theirs exactly once. A ticket
a colleague answered or claimed meanwhile is left out and reported, never answered twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Ticket
from bot.escalation import desk
from bot.escalation.delivery import ticket_language
from bot.faq.entry_answer import entry_answer_text
from bot.language import Language
from bot.municipality import DEFAULT_MUNICIPALITY
from bot.texts import Texts
from bot.translation.base import TranslationFailed, Translator
from bot.translation.staff import NewcomerAnswer, answer_for_newcomer

MAX_ANSWER = 4000  # characters; a Telegram message holds 4096 with the header


@dataclass(frozen=True)
class Preview:
    """What the newcomer will read (`translation`), and that translated back into the staff
    member's language (`back`) so they can check it. Both None without an engine (the answer
    goes as written) or when it failed (`failure`, a reason without the text)."""

    text: str
    newcomer_language: str
    translation: str | None
    back: str | None
    engine: str
    configured: bool
    failure: str | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.text)


def fingerprint(text: str) -> str:
    """What a preview was made of: an answer is sent only as it was previewed."""
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Outcome:
    """The tickets answered, and the refusals of those that could not be (a colleague was
    quicker, it was closed)."""

    answered: list[Ticket] = field(default_factory=list)
    refused: list[desk.Refusal] = field(default_factory=list)
    machine_translated: bool = False


async def preview_answer(
    translator: Translator, text: str, *, newcomer_language: str, staff_language: str
) -> Preview:
    cleaned = text.strip()
    if not translator.configured:
        return Preview(cleaned, newcomer_language, None, None, translator.engine, False)
    try:
        there = await translator.translate(cleaned, source="auto", target=newcomer_language)
        if not there.machine or there.source == newcomer_language:
            return Preview(cleaned, newcomer_language, None, None, translator.engine, True)
        back = await translator.translate(
            there.text, source=newcomer_language, target=staff_language
        )
    except TranslationFailed as error:
        return Preview(cleaned, newcomer_language, None, None, translator.engine, True, str(error))
    return Preview(cleaned, newcomer_language, there.text, back.text, translator.engine, True)


async def answers_by_language(
    translator: Translator, texts: Texts, text: str, languages: Sequence[str]
) -> dict[str, NewcomerAnswer]:
    """The answer as each of these newcomers' languages will read it."""
    made: dict[str, NewcomerAnswer] = {}
    for language in dict.fromkeys(languages):
        shown: Language = language if language in ("uk", "en", "nl") else "nl"  # type: ignore[assignment]
        made[language] = await answer_for_newcomer(translator, text, language=shown, texts=texts)
    return made


async def answer_in_own_words(
    session: AsyncSession,
    tickets: Sequence[Ticket],
    *,
    staff: str,
    answers: dict[str, NewcomerAnswer],
) -> Outcome:
    """Answers each ticket with `answers[its language]` in the caller's transaction. The
    first ticket is the one staff opened: its refusal is raised; the others' are reported."""
    outcome = Outcome()
    for position, ticket in enumerate(tickets):
        newcomer = answers[ticket_language(ticket)]
        try:
            answered = await desk.answer(
                session,
                ticket_id=ticket.id,
                staff=staff,
                text=newcomer.text,
                original=newcomer.original,
                source_language=newcomer.source_language,
                machine_translated=newcomer.machine_translated,
            )
        except desk.Refusal as refusal:
            if position == 0:
                raise
            outcome.refused.append(refusal)
            continue
        outcome.answered.append(answered)
    machine = any(answers[ticket_language(t)].machine_translated for t in outcome.answered)
    return Outcome(outcome.answered, outcome.refused, machine)


async def answer_with_entry(
    session: AsyncSession,
    tickets: Sequence[Ticket],
    *,
    staff: str,
    root: Path,
    entry_id: str,
    personal: dict[str, NewcomerAnswer] | None = None,
    municipality: str = DEFAULT_MUNICIPALITY,
) -> Outcome:
    """Answers each ticket with the entry in its newcomer's language (with its sources and
    review date), after staff's personal line in that language when there is one. Raises
    bot.faq.entry_answer.UnknownEntry for an id no entry has."""
    outcome = Outcome()
    texts = {
        language: entry_answer_text(root, entry_id, language, municipality=municipality)
        for language in _langs(tickets)
    }
    for position, ticket in enumerate(tickets):
        language = ticket_language(ticket)
        line = personal.get(language) if personal else None
        body = f"{line.text}\n\n{texts[language]}" if line else texts[language]
        try:
            answered = await desk.answer(
                session,
                ticket_id=ticket.id,
                staff=staff,
                text=body,
                original=line.original if line else None,
                source_language=line.source_language if line else None,
                machine_translated=bool(line and line.machine_translated),
                entry_id=entry_id,
            )
        except desk.Refusal as refusal:
            if position == 0:
                raise
            outcome.refused.append(refusal)
            continue
        outcome.answered.append(answered)
    return outcome


def _langs(tickets: Sequence[Ticket]) -> list[str]:
    return list(dict.fromkeys(ticket_language(ticket) for ticket in tickets))
