"""An entry's answer for staff to send: the bot's own text, in the newcomer's language, with
the sources shown to that language and the review date."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.faq.entry_answer import UnknownEntry, entry_answer_text
from bot.faq.render import answer_text
from bot.faq.schema import load_knowledge_base
from bot.texts import load_texts

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("language", ["uk", "en", "nl"])
def test_the_answer_has_its_sources_and_review_date(language: str) -> None:
    entry = load_knowledge_base(ROOT / "faq").by_id()["health_insurance"]
    text = entry_answer_text(ROOT, "health_insurance", language)
    assert entry.answer.get(language).strip() in text
    shown = [source for source in entry.sources if source.shown_in(language)]
    hidden = [source for source in entry.sources if not source.shown_in(language)]
    for source in shown:
        assert str(source.url) in text
    for source in hidden:
        assert str(source.url) not in text
    labels = load_texts(ROOT).faq_labels
    assert labels["sources"][language] in text
    month = labels["months"][language][entry.reviewed.month - 1]
    assert f"{entry.reviewed.day} {month} {entry.reviewed.year}" in text
    assert text == answer_text(entry, language, load_texts(ROOT))  # as the bot sends it


def test_the_source_for_one_language_only_reaches_that_language() -> None:
    entry = load_knowledge_base(ROOT / "faq").by_id()["housing_shelter_location"]
    only_uk = next(source for source in entry.sources if source.languages == ["uk"])
    assert str(only_uk.url) in entry_answer_text(ROOT, entry.id, "uk")
    assert str(only_uk.url) not in entry_answer_text(ROOT, entry.id, "nl")


def test_the_faq_folder_works_as_root_too() -> None:
    assert entry_answer_text(ROOT / "faq", "registration_bsn", "en") == entry_answer_text(
        ROOT, "registration_bsn", "en"
    )


def test_unknown_entries_and_languages_are_refused() -> None:
    with pytest.raises(UnknownEntry):
        entry_answer_text(ROOT, "registration_nothing", "uk")
    with pytest.raises(ValueError, match="language"):
        entry_answer_text(ROOT, "registration_bsn", "ru")


def test_an_edited_entry_is_read_again(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "faq", tmp_path / "faq")
    shutil.copytree(ROOT / "texts", tmp_path / "texts")
    before = entry_answer_text(tmp_path, "registration_bsn", "en")
    path = tmp_path / "faq" / "registration" / "registration_bsn.yml"
    changed = path.read_text(encoding="utf-8").replace("reviewed: ", "reviewed: 2026-01-02 #", 1)
    path.write_text(changed, encoding="utf-8")
    later = path.stat().st_mtime + 10  # the same second on a coarse file system
    os.utime(path, (later, later))
    after = entry_answer_text(tmp_path, "registration_bsn", "en")
    assert after != before
    assert "2 January 2026" in after
