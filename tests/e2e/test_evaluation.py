"""The evaluation command's measurements, on a few questions through the real stack."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bench.measure.evaluate import Case, Result, all_titles, ask, format_markdown
from bot.config import PROJECT_ROOT
from bot.faq.schema import KnowledgeBase, load_knowledge_base
from tests.support import Stack

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base(PROJECT_ROOT / "faq")


def asked(stack: Stack, kb: KnowledgeBase, entry_id: str, language: str, question: str) -> Result:
    titles = all_titles(kb)
    entry = kb.by_id()[entry_id]
    right = {titles[f"{entry_id}:{g}"] for g in ("uk", "en", "nl")}
    with httpx.Client(base_url=stack.url, timeout=60.0) as client:
        return ask(client, Case(entry_id, entry.topic, language, question), titles, right)  # type: ignore[arg-type]


def test_a_clear_question_is_answered_and_is_the_first_choice(
    stack: Stack, kb: KnowledgeBase
) -> None:
    entry = kb.by_id()["registration_digid"]
    result = asked(stack, kb, entry.id, "en", max(entry.questions.en, key=len))
    assert (result.outcome, result.answered_id) == ("answered", entry.id)
    assert result.correct
    assert result.first_choice_correct
    assert result.first_choice_topic_correct
    assert result.reply_language == "en"


def test_a_vague_question_is_asked_and_its_first_choice_is_the_first_button(
    stack: Stack, kb: KnowledgeBase
) -> None:
    question = "ik heb een diploma uit Oekraïne"  # for work, or to study further?
    result = asked(stack, kb, "work_diploma_recognition", "nl", question)
    assert result.outcome == "asked"
    assert result.answered_id is None
    assert not result.correct
    assert result.reached
    titles = all_titles(kb)
    assert result.first_choice_id is not None
    assert result.suggested_titles[0] == titles[f"{result.first_choice_id}:nl"]
    study = titles["education_diploma_recognition_study:nl"]
    assert study in result.suggested_titles


def test_the_report_has_every_language_and_both_kinds_of_top_1(
    stack: Stack, kb: KnowledgeBase, tmp_path: Path
) -> None:
    entry = kb.by_id()["health_huisarts"]
    results = [
        asked(stack, kb, entry.id, language, getattr(entry.heldout, language)[0])
        for language in ("uk", "en", "nl", "ru")
    ]
    report = format_markdown(results, kb, tmp_path / "confusion.png")
    header = next(line for line in report.splitlines() if line.startswith("| language"))
    assert "top-1 entry (first choice)" in header
    assert "answered right at once" in header
    for language in ("uk", "en", "nl", "ru"):
        row = next(line for line in report.splitlines() if line.startswith(f"| {language} |"))
        assert row.count("|") == header.count("|")
