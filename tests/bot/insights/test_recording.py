"""Turn events are recorded by the conversation service as each turn happens, and the purge
and /forget clear their text while the counts stay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import func, select

from bot.conversation import ConversationService
from bot.db import repository
from bot.db.models import utcnow
from bot.db.turn_models import TurnEvent, turn_pseudonym
from bot.escalation import tickets
from bot.escalation.tickets import ExcerptLine
from bot.privacy.erasure import forget, purge
from bot.rasa_client import RasaButton, RasaMessage
from bot.stack import PROJECT_ROOT
from bot.texts import load_texts
from tests.bot.insights.conftest import Script
from tests.bot.privacy.conftest import Stores

TEXTS = load_texts(PROJECT_ROOT)
UK = "tg-uk0000000000000000000000000000"
NL = "tg-nl0000000000000000000000000000"
EN = "tg-en0000000000000000000000000000"


def default_text(language: str) -> str:
    return TEXTS.message("default", language)[0]  # type: ignore[arg-type]


async def events(stores: Stores) -> list[TurnEvent]:
    async with stores.sessions() as session:
        return list(await session.scalars(select(TurnEvent).order_by(TurnEvent.id)))


def scripted(stores: Stores) -> Script:
    async def script(sender: str, text: str) -> list[RasaMessage]:
        if text.startswith("/faq_"):
            entry = text.removeprefix("/faq_")
            return [
                RasaMessage(text="answer"),
                RasaMessage(custom={"faq": {"id": entry, "topic": entry.split("_")[0]}}),
            ]
        if "huurtoeslag" in text:
            return [
                RasaMessage(
                    text=TEXTS.message("did_you_mean", "nl")[0],
                    buttons=(
                        RasaButton(title="Huurtoeslag", payload="/faq_housing_rent_allowance"),
                        RasaButton(title="Sociale huur", payload="/faq_housing_social_rental"),
                        RasaButton(title="Iets anders", payload="/something_else"),
                    ),
                )
            ]
        if "BSN" in text:
            return [
                RasaMessage(text="Your BSN ..."),
                RasaMessage(custom={"faq": {"id": "registration_bsn", "topic": "registration"}}),
            ]
        if "людина" in text:
            async with stores.sessions.begin() as session:
                await tickets.create_ticket(
                    session, conversation_id=sender, channel="telegram", language="uk",
                    question="шкільний автобус", excerpt=[ExcerptLine("newcomer", "x")],
                )  # fmt: skip
            return [RasaMessage(text="created")]
        language = "uk" if any("\u0400" <= ch <= "\u04ff" for ch in text) else "nl"
        return [RasaMessage(text=default_text(language))]

    return script


async def test_each_outcome_is_recorded_as_it_happens(
    stores: Stores, service_for: Callable[[Script], ConversationService]
) -> None:
    service = service_for(scripted(stores))
    await service.handle_text(
        conversation_id=UK, channel="telegram", text="Чи возить автобус дитину до школи?"
    )
    asked = await service.handle_text(
        conversation_id=NL, channel="web", text="Hoe vraag ik huurtoeslag aan voor mijn kamer?"
    )
    await service.handle_button(
        conversation_id=NL, channel="web", token=asked.replies[0].buttons[0].id
    )
    await service.handle_text(
        conversation_id=EN, channel="web", text="How do I get a BSN number?", hint="en"
    )
    async with stores.sessions.begin() as session:
        await repository.record_feedback(
            session, conversation_id=EN, faq_id="registration_bsn", language="en", helpful=False
        )
        await repository.record_feedback(
            session, conversation_id=NL, faq_id="housing_rent_allowance", language="nl",
            helpful=True,
        )  # fmt: skip
    await service.handle_text(
        conversation_id=UK, channel="telegram", text="Мені потрібна людина, будь ласка"
    )
    await service.handle_text(
        conversation_id=UK, channel="telegram", text="Мене б'ють вдома, я боюся за життя"
    )

    rows = await events(stores)
    assert [(r.language, r.outcome) for r in rows] == [
        ("uk", "fallback"),
        ("nl", "asked"),
        ("en", "answered"),
        ("uk", "escalated"),
        ("uk", "crisis"),
    ]
    fallback, offer, answer, escalated, crisis = rows
    assert fallback.text == "Чи возить автобус дитину до школи?"
    assert fallback.conversation == turn_pseudonym(UK) != UK
    assert UK not in {r.conversation for r in rows}
    assert offer.offered_ids == ["housing_rent_allowance", "housing_social_rental"]
    assert (offer.chosen, offer.helpful) == ("housing_rent_allowance", True)
    assert (answer.entry_id, answer.topic, answer.helpful) == (
        "registration_bsn", "registration", False,
    )  # fmt: skip
    assert escalated.ticket_id is not None
    # The fallback before the escalation is marked, with the ticket (what staff answer).
    assert (fallback.escalated_after, fallback.ticket_id) == (True, escalated.ticket_id)
    assert crisis.text is None  # counted, never shown
    assert all(r.week == r.at.date() - dt.timedelta(days=r.at.weekday()) for r in rows)


async def test_forget_and_purge_clear_the_text_and_keep_the_counts(
    stores: Stores, service_for: Callable[[Script], ConversationService]
) -> None:
    service = service_for(scripted(stores))
    await service.handle_text(conversation_id=UK, channel="telegram", text="Де взяти велосипед?")
    await service.handle_text(conversation_id=NL, channel="web", text="Waar koop ik een fiets?")
    await service.handle_text(conversation_id=EN, channel="web", text="Where is the library?")
    async with stores.sessions.begin() as session:
        for event in await session.scalars(select(TurnEvent)):
            event.vector = b"\x00" * 8
            if event.language == "nl":
                event.at = utcnow() - dt.timedelta(days=100)

    erased = await forget(stores.sessions, stores.tracker, UK)
    assert erased.events == 0
    purged = await purge(
        stores.sessions, stores.tracker, conversation_days=90, closed_ticket_days=1
    )
    assert purged.turn_texts == 1

    rows = {r.language: r for r in await events(stores)}
    assert len(rows) == 3
    for gone in (rows["uk"], rows["nl"]):
        assert (gone.text, gone.vector, gone.conversation, gone.outcome) == (
            None, None, "", "fallback",
        )  # fmt: skip
    assert rows["en"].text == "Where is the library?"
    assert rows["en"].conversation == turn_pseudonym(EN)
    async with stores.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(TurnEvent)) == 3
