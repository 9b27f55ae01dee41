"""The Telegram staff group with machine translation: the question in the staff language,
the answer in the newcomer's, marked; LibreTranslate is the fake on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.telegram.runtime import TelegramRuntime
from bot.config import PROJECT_ROOT, Settings
from bot.conversation import ConversationService
from bot.escalation.tickets import display_code
from bot.language import LanguageDecider
from bot.pseudonym import Pseudonymizer
from bot.rasa_client import RasaClient
from bot.texts import load_texts
from tests.bot.channels.test_telegram_staff import (
    NEWCOMER,
    PSEUDONYM_KEY,
    QUESTION,
    STAFF_A,
    STAFF_B,
    Harness,
    eventually,
    fake,
    sessions,
)
from tests.fake_libretranslate import FakeLibreTranslate, running_fake
from tests.fake_telegram import TOKEN, FakeTelegram

__all__ = ["fake", "sessions"]  # fixtures shared with test_telegram_staff.py


@pytest.fixture
def engine() -> Iterator[FakeLibreTranslate]:
    with running_fake() as server:
        yield server


@pytest_asyncio.fixture(loop_scope="function")
async def harness(
    fake: FakeTelegram,
    sessions: async_sessionmaker[AsyncSession],
    engine: FakeLibreTranslate,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Harness]:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    settings = Settings(  # type: ignore[call-arg]
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=fake.base_url,
        TELEGRAM_STAFF_CHAT_IDS=f"{STAFF_A},{STAFF_B}",
        STAFF_LANGUAGE="nl",
        PSEUDONYM_KEY=PSEUDONYM_KEY,
        WEGWIJS_VAR_DIR=str(tmp_path),
        DATABASE_URL="",
        TRANSLATION_URL=engine.url,
    )
    rasa = RasaClient(base_url="http://127.0.0.1:9", timeout=1.0)
    service = ConversationService(
        sessions=sessions,
        rasa=rasa,
        decider=LanguageDecider(),
        texts=load_texts(PROJECT_ROOT),
        links={},
        max_message_chars=1000,
    )
    runtime = TelegramRuntime(
        settings=settings,
        service=service,
        pseudonyms=Pseudonymizer(PSEUDONYM_KEY.encode()),
        sessions=sessions,
    )
    runtime.start()
    await eventually(lambda: runtime.ready, what="the bot to start")
    try:
        yield Harness(fake, sessions, runtime)
    finally:
        await runtime.stop()
        await rasa.close()


async def test_staff_read_the_question_in_dutch_with_the_original(
    harness: Harness, engine: FakeLibreTranslate
) -> None:
    ticket = await harness.ticket()
    await harness.run_outbox()
    (post,) = harness.posts_of(STAFF_A, ticket.code)
    assert (
        "Vraag:\n<nl> Mijn орендодавець каже, що я маю виїхати наступного тижня. Що мені робити?"
        "\n\n(Computervertaling. Wat de nieuwkomer schreef, 🇺🇦 Oekraïens / Ukrainian:)\n" + QUESTION
    ) in post["text"]
    assert "Een computer vertaalt je antwoord in de taal van de nieuwkomer" in post["text"]
    assert engine.state.requests[0]["source"] == "uk"
    assert engine.state.requests[0]["target"] == "nl"


async def test_a_dutch_answer_reaches_the_newcomer_in_ukrainian_marked_with_the_original(
    harness: Harness, engine: FakeLibreTranslate
) -> None:
    await harness.runtime.addresses.remember("te-newcomer", NEWCOMER)
    ticket = await harness.ticket()
    await harness.run_outbox()
    (post,) = harness.posts_of(STAFF_A, ticket.code)
    answer = "Bel het Juridisch Loket op 0900-8020 of kijk op https://www.juridischloket.nl"
    await harness.reply(STAFF_A, post, answer)
    confirmation = harness.fake.sent_to(STAFF_A)[-1]["text"]
    assert "krijgt via Telegram deze computervertaling" in confirmation
    translated = "<uk> Зателефонуйте het Juridisch Loket op 0900-8020 або kijk op https://www.juridischloket.nl"
    assert translated in confirmation
    assert engine.state.requests[-1]["q"] == ["Bel het [1] op [2] of kijk op [3]"]
    assert engine.state.requests[-1]["source"] == "auto"
    await harness.run_outbox()
    (delivered, _followup) = harness.fake.sent_to(NEWCOMER)
    assert delivered["text"] == (
        f"Відповідь працівника гемеенте Алмере на ваше запитання {display_code(ticket.code)}:"
        f"\n\n{translated}\n\n(Цю відповідь переклав комп’ютер, тож можливі помилки. "
        f"Ось що написав працівник:)\n{answer}"
    )


async def test_when_the_engine_fails_the_answer_goes_as_written_and_staff_are_told(
    harness: Harness, engine: FakeLibreTranslate
) -> None:
    engine.state.mode = "error"
    ticket = await harness.ticket()
    await harness.run_outbox()
    (post,) = harness.posts_of(STAFF_A, ticket.code)
    assert "Computervertaling" not in post["text"]
    assert f"Vraag:\n{QUESTION}" in post["text"]
    await harness.reply(STAFF_A, post, "Ga naar het Juridisch Loket.")
    confirmation = harness.fake.sent_to(STAFF_A)[-1]["text"]
    assert "maar niet vertaald: de vertaaldienst werkte niet" in confirmation
    answered = await harness.get(ticket.id)
    assert answered.answer == "Ga naar het Juridisch Loket."
