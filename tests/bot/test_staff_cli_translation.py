"""`wegwijs staff` with machine translation (LibreTranslate: the fake on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.staff_cli.commands import EXIT_OK
from tests.bot.test_staff_cli import Database, Staff, db, staff
from tests.fake_libretranslate import FakeLibreTranslate, running_fake

__all__ = ["db", "staff"]  # fixtures shared with test_staff_cli.py

QUESTION = "Де мені зареєструватися в Almere? Мій код K7MQ4X."


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLibreTranslate]:
    with running_fake() as server:
        monkeypatch.setenv("TRANSLATION_URL", server.url)
        yield server


def test_show_gives_the_question_in_dutch_and_the_original(
    db: Database, staff: Staff, engine: FakeLibreTranslate
) -> None:
    code = db.add(QUESTION)
    shown = staff("show", code)
    assert shown.code == EXIT_OK, shown.err
    assert (
        "Vraag, door een computer vertaald:\n"
        "  <nl> Waar мені зареєструватися в Almere? Mijn code K7MQ4X.\n\n"
        f"Vraag:\n  {QUESTION}"
    ) in shown.out
    assert "een computer vertaalt je antwoord" in shown.out
    assert engine.state.requests[0]["q"] == ["Де мені зареєструватися в [1]? Мій код [2]."]


def test_an_answer_is_stored_translated_marked_and_with_the_original(
    db: Database, staff: Staff, engine: FakeLibreTranslate
) -> None:
    code = db.add(QUESTION)
    answer = "Kom naar Stadhuisplein 1, 1315 HR Almere. Bel 14 036."
    answered = staff("answer", code, "--as", "Anna", "--text", answer)
    assert answered.code == EXIT_OK, answered.err
    translated = "<uk> Приходьте naar Stadhuisplein 1, 1315 HR Almere. Зателефонуйте 14 036."
    assert "De nieuwkomer leest deze computervertaling" in answered.out
    assert translated in answered.out
    stored = db.ticket(code).answer or ""
    assert stored == (
        f"{translated}\n\n(Цю відповідь переклав комп’ютер, тож можливі помилки. "
        f"Ось що написав працівник:)\n{answer}"
    )


def test_a_failed_translation_sends_the_answer_as_written_and_says_so(
    db: Database, staff: Staff, engine: FakeLibreTranslate
) -> None:
    engine.state.mode = "error"
    code = db.add(QUESTION)
    shown = staff("show", code)
    assert "door een computer vertaald" not in shown.out
    answered = staff("answer", code, "--as", "Anna", "--text", "Ga naar het stadhuis.")
    assert answered.code == EXIT_OK, answered.err
    assert "de vertaaldienst werkte niet" in answered.out
    assert db.ticket(code).answer == "Ga naar het stadhuis."


def test_without_an_engine_nothing_is_translated(db: Database, staff: Staff) -> None:
    code = db.add(QUESTION)
    shown = staff("show", code)
    assert "door een computer vertaald" not in shown.out
    assert "je antwoord wordt niet vertaald" in shown.out
    staff("answer", code, "--as", "Anna", "--text", "Ga naar het stadhuis.")
    assert db.ticket(code).answer == "Ga naar het stadhuis."
