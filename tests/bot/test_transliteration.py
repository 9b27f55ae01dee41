"""Ukrainian typed in Latin letters, read back into Cyrillic (bot/transliteration.py)."""

from __future__ import annotations

import pytest

from bot.language import LanguageDecider
from bot.transliteration import latin_to_cyrillic


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("de ya mozhu znayty kvartyru", "де я можу знайти квартиру"),
        # the official spelling, as in passports
        ("Chy maiu ya oplachuvaty medychni posluhy?", "Чи маю я оплачувати медичні послуги?"),
        ("Shcho vidbuvaietsia v pershi dni?", "Що відбувається в перші дні?"),
        ("Informatsiia pro vakansii", "Інформація про вакансії"),
        # the chat spelling: g for г, ya/yu, e for є after a vowel, -tsya
        ("Chy mayu ya pravo na dopomogu?", "Чи маю я право на допомогу?"),
        ("de pratsiue simeynyi likar", "де працює сімейний лікар"),
        ("shcho vidbuvaetsya", "що відбувається"),
        ("moyi dity i yizha", "мої діти і їжа"),
        ("dobryi den", "добрий ден"),  # the soft sign is not typed, so it stays lost
    ],
)
def test_latin_ukrainian_is_read_back_into_cyrillic(typed: str, read: str) -> None:
    assert latin_to_cyrillic(typed) == read


def test_names_acronyms_codes_and_links_stay_as_typed() -> None:
    typed = "yak otrymaty BSN i DigiD v Almere? kod K7MQ4X, dyvys www.ind.nl abo 06-12345678"
    assert latin_to_cyrillic(typed) == (
        "як отримати BSN і DigiD в Almere? код K7MQ4X, дивис www.ind.nl або 06-12345678"
    )


def test_a_capitalised_word_spelled_like_ukrainian_is_read_even_inside_a_sentence() -> None:
    assert latin_to_cyrillic("Yak dovho mozhna buty v Niderlandakh, pytaie Juridisch Loket") == (
        "Як довго можна бути в Нідерландах, питає Juridisch Loket"
    )


def test_dutch_words_inside_keep_their_double_vowels() -> None:
    assert latin_to_cyrillic("dopomoha vid gemeente") == "допомога від гемеенте"


@pytest.mark.parametrize(
    ("text", "current", "latin"),
    [
        ("de ya mozhu znayty kvartyru", None, True),
        ("gde mne nayti kvartiru", None, True),  # Russian in Latin letters, answered in uk
        ("de ya mozhu znayty kvartyru", "en", True),  # a clear sentence switches to uk
        ("Where can I find a flat?", None, False),
        ("Waar vind ik een huis?", None, False),
        ("BSN", "uk", False),  # nothing to read back in a Ukrainian conversation
        ("де я можу знайти квартиру", None, False),
    ],
)
def test_the_language_decision_says_when_ukrainian_came_in_latin_letters(
    text: str, current: str | None, latin: bool
) -> None:
    decision = LanguageDecider().decide(text, current=current)  # type: ignore[arg-type]
    assert decision.latin is latin
    if latin:
        assert decision.language == "uk"
