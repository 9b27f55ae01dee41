"""The development set's Ukrainian rows in Latin letters (bench/devset/romanize.py)."""

from __future__ import annotations

from bench.devset import DevQuestion
from bench.devset.romanize import latin_rows, romanize


def test_the_official_spelling_follows_the_passport_table() -> None:
    assert romanize("Чи маю я оплачувати медичні послуги?", "official") == (
        "Chy maiu ya oplachuvaty medychni posluhy?"
    )
    assert romanize("Щоб отримати житло", "official") == "Shchob otrymaty zhytlo"


def test_the_chat_spelling_uses_g_h_and_sch() -> None:
    assert romanize("Чи маю я оплачувати медичні послуги?", "chat") == (
        "Chy mayu ya oplachuvaty medychni poslugy?"
    )
    assert romanize("Що робити вночі?", "chat") == "Scho robyty vnochi?"


def test_each_ukrainian_row_comes_once_per_spelling_and_others_not_at_all() -> None:
    rows = [
        DevQuestion("uk-1", "Де житло?", "uk", "housing_shelter_location", "https://x", "tune"),
        DevQuestion("en-1", "Where?", "en", "housing_shelter_location", "https://x", "tune"),
    ]
    latin = latin_rows(rows)
    assert [(q.id, q.text) for q in latin] == [
        ("uk-1-official", "De zhytlo?"),
        ("uk-1-chat", "De zhytlo?"),
    ]
    assert all(q.expected == "housing_shelter_location" for q in latin)
