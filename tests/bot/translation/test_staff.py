"""The two staff-side translations, on the fake LibreTranslate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import PROJECT_ROOT
from bot.texts import load_texts
from bot.translation import NoTranslator
from bot.translation.libretranslate import LibreTranslate
from bot.translation.staff import answer_for_newcomer, question_for_staff
from tests.fake_libretranslate import FakeLibreTranslate, running_fake

TEXTS = load_texts(PROJECT_ROOT)


@pytest.fixture
def fake() -> Iterator[FakeLibreTranslate]:
    with running_fake() as server:
        yield server


async def test_an_answer_in_the_newcomers_own_language_is_not_marked(
    fake: FakeLibreTranslate,
) -> None:
    answer = await answer_for_newcomer(
        LibreTranslate(url=fake.url), "Зверніться до гемеенте.", language="uk", texts=TEXTS
    )
    assert (answer.text, answer.machine_translated, answer.source_language) == (
        "Зверніться до гемеенте.",
        False,
        "uk",
    )


async def test_a_dutch_answer_is_translated_for_an_english_newcomer_and_marked(
    fake: FakeLibreTranslate,
) -> None:
    translator = LibreTranslate(url=fake.url)
    answer = await answer_for_newcomer(
        translator, "  Kijk op www.almere.nl  ", language="en", texts=TEXTS
    )
    assert answer.machine_translated is True
    assert answer.text == (
        "<en> Kijk op www.almere.nl\n\n(A computer translated this answer, so it may contain "
        "mistakes. This is what the employee wrote:)\nKijk op www.almere.nl"
    )
    assert (answer.original, answer.source_language) == ("Kijk op www.almere.nl", "nl")
    same = await answer_for_newcomer(
        translator, "Kijk op www.almere.nl", language="nl", texts=TEXTS
    )
    assert (same.text, same.machine_translated) == ("Kijk op www.almere.nl", False)


async def test_without_an_engine_nothing_is_sent_anywhere() -> None:
    answer = await answer_for_newcomer(NoTranslator(), " Hallo ", language="uk", texts=TEXTS)
    assert (answer.text, answer.machine_translated, answer.failure) == ("Hallo", False, None)
    assert await question_for_staff(NoTranslator(), "Привіт", source="uk", target="nl") is None


async def test_a_question_in_the_staff_language_is_not_translated(
    fake: FakeLibreTranslate,
) -> None:
    translator = LibreTranslate(url=fake.url)
    assert await question_for_staff(translator, "Waar woon ik?", source="nl", target="nl") is None
    assert fake.state.requests == []
    fake.state.mode = "error"
    assert await question_for_staff(translator, "Де я живу?", source="uk", target="nl") is None
