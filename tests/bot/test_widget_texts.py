"""The web widget's labels (texts/widget.yml): complete in uk, en and nl, and all it uses."""

from __future__ import annotations

import dataclasses
import re

from bot.config import PROJECT_ROOT
from bot.texts import load_texts, missing_translations

WIDGET_JS = PROJECT_ROOT / "bot" / "static" / "widget" / "modules" / "widget.js"


def test_a_widget_label_without_all_three_languages_is_reported() -> None:
    texts = load_texts(PROJECT_ROOT)
    broken = dataclasses.replace(texts, widget={"send": {"uk": "Надіслати", "en": "Send"}})
    assert missing_translations(broken) == [
        "texts/widget.yml: send: no 'nl' text (quote it if YAML read it as yes/no)"
    ]


def test_every_label_the_widget_uses_exists() -> None:
    labels = load_texts(PROJECT_ROOT).widget
    source = WIDGET_JS.read_text(encoding="utf-8")
    used = set(re.findall(r"\bt\.([a-z_]+)", source))
    used |= {f"sender_{who}" for who in ("user", "bot", "staff", "system")}
    assert used
    assert used - set(labels) == set()


def test_ukrainian_widget_labels_contain_no_russian_only_letters() -> None:
    for labels in load_texts(PROJECT_ROOT).widget.values():
        assert not set("ыэъёЫЭЪЁ") & set(labels["uk"]), labels["uk"]
