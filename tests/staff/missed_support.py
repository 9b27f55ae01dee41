"""Missed questions for the editors' page tests (HTTP and browser): turn events recorded the
way the conversation service records them (bot/insights/recording.py), about two subjects in
uk, nl and en, beside turns that were no miss."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import utcnow
from bot.escalation import tickets
from bot.escalation.tickets import ExcerptLine
from bot.insights.recording import record_turn
from bot.language import Language
from bot.privacy.redact import redact
from bot.turns import FaqReference, Reply, Turn

ZONE = ZoneInfo("Europe/Amsterdam")  # the default TIMEZONE
Sessions = async_sessionmaker[AsyncSession]

SCHOOL = [
    ("uk", "Як отримати шкільний транспорт для моєї дитини?", "fallback"),
    ("uk", "Чи є безкоштовний автобус до школи для дітей?", "asked"),
    ("uk", "Моя дитина їде до школи далеко, хто оплачує транспорт?", "fallback"),
    ("nl", "Hoe vraag ik leerlingenvervoer aan voor mijn kind?", "unhelpful"),
    ("nl", "Mijn kind moet ver reizen naar school, is er vervoer?", "fallback"),
    ("en", "How can my child get transport to school?", "escalated"),
]
BANK = [
    ("uk", "Я загубив свою банківську картку, що робити?", "fallback"),
    ("uk", "Мою банківську картку вкрали, як її заблокувати?", "escalated"),
    (
        "nl",
        "Ik ben mijn bankpas kwijt, mijn IBAN is NL91ABNA0417164300, wat moet ik doen?",
        "asked",
    ),
    ("en", "I lost my bank card, how do I block it?", "fallback"),
    ("en", "My debit card was stolen, what should I do?", "fallback"),
]
# Turns that were no miss: never on the page.
NOT_MISSED = [
    ("nl", "Hoe open ik een bankrekening bij de bank?", "answered"),
    ("en", "Which school should my child go to?", "helpful"),
    ("uk", "Де відкрити банківський рахунок?", "chosen"),
]
CRISIS = ("uk", "Я не хочу жити")
FORGOTTEN = ("nl", "Mijn pinpas van de Rabobank is gestolen bij station Almere Buiten")
OLD = ("en", "Does the school bus come to our street in Poort?")  # 40 days ago
STAFF_ANSWER = "Bel uw bank meteen op 0201234567 om de pas te blokkeren."
SCHOOL_ENTRY = "education_school_children"
BANK_ENTRY = "money_bank_account"


def redacted(text: str) -> str:
    return redact(text).text


@dataclass
class Seeded:
    forgotten_conversation: str
    ticket_ids: list[int]


def _turn(language: Language, how: str, entry: str) -> Turn:
    topic = entry.split("_")[0]
    if how == "fallback":
        return Turn(language=language, fallback=True)
    if how in ("asked", "chosen"):
        return Turn(language=language, offered=(entry,))
    if how == "escalated":
        return Turn(language=language, escalated=True)
    return Turn(
        language=language,
        replies=[Reply(text="...", language=language, faq=FaqReference(id=entry, topic=topic))],
    )


async def seed_missed(sessions: Sessions, *, now: dt.datetime | None = None) -> Seeded:
    """The two subjects, the turns that were no miss, a crisis, one old message and one of a
    conversation to be forgotten. Each event in its own conversation."""
    moment = now or utcnow()
    ticket_ids: list[int] = []
    rows: list[tuple[str, str, str, str]] = [
        *((lang, text, how, SCHOOL_ENTRY) for lang, text, how in SCHOOL),
        *((lang, text, how, BANK_ENTRY) for lang, text, how in BANK),
        *((lang, text, how, BANK_ENTRY if "bank" in text else SCHOOL_ENTRY)
          for lang, text, how in NOT_MISSED),
    ]  # fmt: skip
    async with sessions.begin() as session:
        for number, (language, text, how, entry) in enumerate(rows):
            conversation = f"we-missed-{number}"
            at = moment - dt.timedelta(hours=number + 1)
            ticket_id = None
            if how == "escalated":
                ticket = await tickets.create_ticket(
                    session, conversation_id=conversation, channel="web", language=language,
                    question=redacted(text), excerpt=[ExcerptLine("newcomer", redacted(text))],
                    topic=entry.split("_")[0], now=at,
                )  # fmt: skip
                if entry == BANK_ENTRY:
                    ticket.answer = STAFF_ANSWER
                    ticket.answer_original = STAFF_ANSWER
                    ticket.answer_source_language = "nl"
                    ticket.state = "answered"
                await session.flush()
                ticket_id = ticket.id
                ticket_ids.append(ticket.id)
            event = await record_turn(
                session, conversation_id=conversation, turn=_turn(language, how, entry),  # type: ignore[arg-type]
                text=redacted(text), ticket_id=ticket_id, at=at, zone=ZONE,
            )  # fmt: skip
            if how == "unhelpful":
                event.helpful = False
            if how == "helpful":
                event.helpful = True
            if how == "chosen":
                event.chosen = entry
        await record_turn(
            session, conversation_id="we-crisis", turn=Turn(language="uk", crisis=True),
            text=CRISIS[1], zone=ZONE, at=moment - dt.timedelta(hours=1),
        )  # fmt: skip
        await record_turn(
            session, conversation_id="we-old", turn=Turn(language="en", fallback=True),
            text=OLD[1], zone=ZONE, at=moment - dt.timedelta(days=40),
        )  # fmt: skip
        await record_turn(
            session, conversation_id="we-forget", turn=Turn(language="nl", fallback=True),
            text=redacted(FORGOTTEN[1]), zone=ZONE, at=moment - dt.timedelta(minutes=5),
        )  # fmt: skip
    return Seeded(forgotten_conversation="we-forget", ticket_ids=ticket_ids)
