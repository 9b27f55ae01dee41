"""Every user-facing text exists in Ukrainian, English and Dutch."""

from __future__ import annotations

from bot.config import PROJECT_ROOT
from bot.texts import load_texts, missing_translations


def test_every_text_has_all_three_languages() -> None:
    assert missing_translations(load_texts(PROJECT_ROOT)) == []


def test_ukrainian_texts_contain_no_russian_only_letters() -> None:
    texts = load_texts(PROJECT_ROOT)
    tables = [*texts.responses.values(), *texts.messages.values()]
    ukrainian = [t["text"]["uk"] for t in tables] + [t["uk"] for t in texts.gateway.values()]
    for text in ukrainian:
        assert not set("ыэъёЫЭЪЁ") & set(text), text


def test_missing_language_is_reported() -> None:
    texts = load_texts(PROJECT_ROOT)
    broken = type(texts)(
        root=texts.root,
        responses={"utter_x": {"text": {"uk": "так", "en": True}}},
        messages={},
        buttons=texts.buttons,
        button_groups=texts.button_groups,
        gateway={},
        faq_labels=texts.faq_labels,
    )
    assert missing_translations(broken) == [
        "texts/responses.yml: utter_x.text: no 'en' text (quote it if YAML read it as yes/no)",
        "texts/responses.yml: utter_x.text: no 'nl' text (quote it if YAML read it as yes/no)",
    ]
