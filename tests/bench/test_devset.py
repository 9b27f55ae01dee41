"""The development set (bench/devset): shape, ids, sources, counts, and a split that never moves."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.devset import (
    CRISIS,
    NO_ENTRY,
    DevQuestion,
    DevsetError,
    load_devset,
    load_split_lock,
)
from bench.devset.append import append
from bot.config import PROJECT_ROOT
from bot.faq.schema import load_knowledge_base

MINIMUM_PER_LANGUAGE = {"uk": 60, "en": 60, "nl": 60, "ru": 25}
MINIMUM_TOTAL = 300


@pytest.fixture(scope="module")
def devset() -> list[DevQuestion]:
    return load_devset()


@pytest.fixture(scope="module")
def entry_ids() -> set[str]:
    return set(load_knowledge_base(PROJECT_ROOT / "faq").by_id())


def test_every_expected_entry_exists(devset: list[DevQuestion], entry_ids: set[str]) -> None:
    unknown = [
        (q.id, entry)
        for q in devset
        for entry in q.accepted
        if entry not in entry_ids and entry not in (NO_ENTRY, CRISIS)
    ]
    assert unknown == []


def test_also_lists_only_other_entries(devset: list[DevQuestion]) -> None:
    wrong = [q.id for q in devset if q.expected in q.also or (not q.is_answerable and q.also)]
    assert wrong == []


def test_counts_per_language_meet_the_minimum(devset: list[DevQuestion]) -> None:
    counts = Counter(q.language for q in devset)
    short = {
        lang: counts[lang] for lang, least in MINIMUM_PER_LANGUAGE.items() if counts[lang] < least
    }
    assert short == {}
    assert len(devset) >= MINIMUM_TOTAL


def test_some_rows_have_no_entry_but_not_too_many(devset: list[DevQuestion]) -> None:
    share = sum(q.expected == NO_ENTRY for q in devset) / len(devset)
    assert 0.03 <= share <= 0.15


def test_ids_are_unique_and_name_their_language(devset: list[DevQuestion]) -> None:
    assert len({q.id for q in devset}) == len(devset)
    assert [q.id for q in devset if not q.id.startswith(f"{q.language}-")] == []


def test_no_question_is_in_twice(devset: list[DevQuestion]) -> None:
    texts = Counter((q.language, " ".join(q.text.lower().split())) for q in devset)
    assert [text for text, count in texts.items() if count > 1] == []


def test_sources_are_urls(devset: list[DevQuestion]) -> None:
    assert [q.id for q in devset if not q.source.startswith(("https://", "http://"))] == []


def test_split_matches_the_lock_for_every_row(devset: list[DevQuestion]) -> None:
    locked = load_split_lock()
    assert {q.id: q.split for q in devset} == locked


def test_split_is_roughly_half_in_every_language(devset: list[DevQuestion]) -> None:
    for language in MINIMUM_PER_LANGUAGE:
        rows = [q for q in devset if q.language == language]
        report = sum(q.split == "report" for q in rows)
        assert abs(2 * report - len(rows)) <= max(4, len(rows) // 10), language


def test_each_answerable_entry_is_balanced_between_the_splits(devset: list[DevQuestion]) -> None:
    sides = Counter((q.language, q.expected, q.split) for q in devset)
    groups = {(language, expected) for language, expected, _ in sides}
    uneven = [
        group for group in groups if abs(sides[(*group, "tune")] - sides[(*group, "report")]) > 1
    ]
    assert uneven == []


def test_the_questions_do_not_copy_the_training_questions(devset: list[DevQuestion]) -> None:
    """A row that is also a training question of its entry would measure memory, not reading."""
    kb = load_knowledge_base(PROJECT_ROOT / "faq").by_id()
    copied = [
        q.id
        for q in devset
        if q.is_answerable
        and q.language != "ru"
        and q.text.lower() in {t.lower() for t in getattr(kb[q.expected].questions, q.language)}
    ]
    assert copied == []


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("language: de", "language 'de'"),
        ("split: train", "split 'train'"),
        ("source: refugeehelp.nl/en", "is not an http"),
        ("colour: red", "unknown fields"),
    ],
)
def test_a_bad_row_is_refused(tmp_path: Path, row: str, message: str) -> None:
    good = {
        "id": "en-001",
        "text": "Mag ik werken?",
        "language": "en",
        "expected": "work_rights",
        "source": "https://example.nl/faq",
        "split": "tune",
    }
    key = row.split(":")[0]
    lines = [f"    {k}: {row.split(': ')[1] if k == key else v}" for k, v in good.items()]
    if key not in good:
        lines.append(f"    {row}")
    lines[0] = "  - " + lines[0].strip()
    path = _write(tmp_path / "q.yml", "questions:\n" + "\n".join(lines) + "\n")
    with pytest.raises(DevsetError, match=message):
        load_devset(path)


def test_a_repeated_id_is_refused(tmp_path: Path) -> None:
    row = (
        "  - {id: en-001, text: 'Q', language: en, expected: none, "
        "source: 'https://example.nl', split: tune}\n"
    )
    path = _write(tmp_path / "q.yml", "questions:\n" + row + row.replace("'Q'", "'R'"))
    with pytest.raises(DevsetError, match="used twice"):
        load_devset(path)


def test_appending_keeps_old_splits_and_balances_new_rows(tmp_path: Path) -> None:
    path, lock = tmp_path / "q.yml", tmp_path / "split.lock"
    source = "https://example.nl/faq"
    first = [
        {"lang": "nl", "exp": "work_rights", "src": source, "text": f"vraag {n}"} for n in range(3)
    ]
    added = append(first, path=path, lock=lock)
    before = {q.id: q.split for q in added}
    more = [
        {"lang": "nl", "exp": "work_rights", "src": source, "text": f"vraag {n}"}
        for n in range(2, 6)
    ]
    again = append(more, path=path, lock=lock)
    assert [q.id for q in again] == ["nl-004", "nl-005", "nl-006"]  # "vraag 2" was in already
    rows = load_devset(path)
    assert {q.id: q.split for q in rows if q.id in before} == before
    assert load_split_lock(lock) == {q.id: q.split for q in rows}
    assert abs(sum(q.split == "tune" for q in rows) - sum(q.split == "report" for q in rows)) <= 1


def test_appending_refuses_an_unknown_entry(tmp_path: Path) -> None:
    row = {"lang": "en", "exp": "no_such_entry", "src": "https://example.nl", "text": "Q?"}
    with pytest.raises(SystemExit, match="unknown entry"):
        append([row], path=tmp_path / "q.yml", lock=tmp_path / "split.lock")


def test_appending_refuses_also_on_a_row_without_an_entry(tmp_path: Path) -> None:
    row = {
        "lang": "en",
        "exp": CRISIS,
        "also": ["health_huisarts"],
        "src": "https://example.nl",
        "text": "Q?",
    }
    with pytest.raises(SystemExit, match="takes no `also`"):
        append([row], path=tmp_path / "q.yml", lock=tmp_path / "split.lock")


def test_appending_leaves_out_a_training_question(tmp_path: Path) -> None:
    kb = load_knowledge_base(PROJECT_ROOT / "faq").by_id()
    trained = kb["work_rights"].questions.en[0]
    rows = [
        {"lang": "en", "exp": "work_rights", "src": "https://example.nl", "text": trained.upper()},
        {"lang": "en", "exp": "work_rights", "src": "https://example.nl", "text": "Not trained?"},
    ]
    added = append(rows, path=tmp_path / "q.yml", lock=tmp_path / "split.lock")
    assert [q.text for q in added] == ["Not trained?"]
