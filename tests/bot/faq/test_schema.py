"""The knowledge base's schema check, and its errors for editors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.faq.render import answer_text
from bot.faq.schema import TOPICS, KnowledgeBaseError, load_entry, load_knowledge_base
from bot.municipality import read_layer
from bot.texts import load_texts

ALMERE = read_layer(PROJECT_ROOT / "faq", "almere")  # fills the slots of a national entry


def test_the_knowledge_base_is_valid_and_complete() -> None:
    kb = load_knowledge_base(PROJECT_ROOT / "faq")
    assert len(kb.entries) >= 60
    for topic in TOPICS:
        assert len(kb.in_topic(topic)) >= 5, topic


def _write(tmp_path: Path, data: dict[str, object], name: str = "housing_test") -> Path:
    folder = tmp_path / "faq" / "housing"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def valid_entry() -> dict[str, object]:
    path = PROJECT_ROOT / "faq" / "registration" / "registration_bsn.yml"
    data: dict[str, object] = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["id"] = "housing_test"
    data["topic"] = "housing"
    return data


def test_a_valid_entry_has_no_problems(tmp_path: Path, valid_entry: dict[str, object]) -> None:
    entry, problems = load_entry(_write(tmp_path, valid_entry), ALMERE)
    assert entry is not None
    assert problems == []


def test_a_missing_language_names_file_field_and_language(
    tmp_path: Path, valid_entry: dict[str, object]
) -> None:
    del valid_entry["answer"]["nl"]  # type: ignore[attr-defined]
    path = _write(tmp_path, valid_entry)
    _entry, problems = load_entry(path, ALMERE)
    assert [str(p) for p in problems] == ["faq/housing/housing_test.yml: answer.nl: Field required"]


def test_too_few_questions_and_a_wrong_id_are_reported(
    tmp_path: Path, valid_entry: dict[str, object]
) -> None:
    valid_entry["questions"]["en"] = ["only one"]  # type: ignore[index]
    _entry, problems = load_entry(_write(tmp_path, valid_entry, name="housing_other"), ALMERE)
    assert any(p.field == "questions.en" and "at least 8" in p.message for p in problems)
    valid_entry["questions"]["en"] = [f"question {i}" for i in range(8)]  # type: ignore[index]
    _entry, problems = load_entry(_write(tmp_path, valid_entry, name="housing_other"), ALMERE)
    assert [(p.field, "file name" in p.message) for p in problems] == [("id", True)]


def test_russian_letters_in_ukrainian_and_markup_are_reported(
    tmp_path: Path, valid_entry: dict[str, object]
) -> None:
    valid_entry["answer"]["uk"] = "Это ответ"  # type: ignore[index]
    valid_entry["answer"]["en"] = "See **this** <b>page</b>"  # type: ignore[index]
    _entry, problems = load_entry(_write(tmp_path, valid_entry), ALMERE)
    messages = {(p.field, p.message.split(":")[0]) for p in problems}
    assert ("answer.uk", "contains ы, э, ъ or ё") in messages
    assert ("answer.en", "looks like HTML") in messages
    assert ("answer.en", "looks like Markdown") in messages


def test_heldout_questions_may_not_be_trained_on(
    tmp_path: Path, valid_entry: dict[str, object]
) -> None:
    valid_entry["heldout"]["en"][0] = valid_entry["questions"]["en"][0]  # type: ignore[index]
    _entry, problems = load_entry(_write(tmp_path, valid_entry), ALMERE)
    assert [p.field for p in problems] == ["heldout.en"]


def test_a_broken_file_is_reported_not_raised(tmp_path: Path) -> None:
    folder = tmp_path / "faq" / "housing"
    folder.mkdir(parents=True)
    (folder / "housing_bad.yml").write_text("id: [unclosed", encoding="utf-8")
    layer = tmp_path / "faq" / "local" / "almere"
    layer.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "faq" / "local" / "almere" / "municipality.yml", layer)
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(tmp_path / "faq")
    assert any(p.field == "(yaml)" for p in caught.value.problems)


def test_the_user_sees_sources_and_the_review_date_in_every_language() -> None:
    kb = load_knowledge_base(PROJECT_ROOT / "faq")
    texts = load_texts(PROJECT_ROOT)
    entry = kb.by_id()["registration_bsn"]
    expected_label = {"uk": "Джерела:", "en": "Sources:", "nl": "Bronnen:"}
    for language in ("uk", "en", "nl"):
        text = answer_text(entry, language, texts)  # type: ignore[arg-type]
        assert expected_label[language] in text
        assert str(entry.sources[0].url) in text
        assert str(entry.reviewed.year) in text
        assert len(text) < 4096  # one Telegram message
