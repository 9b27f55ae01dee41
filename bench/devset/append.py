"""Adds new rows to the development set: `python -m bench.devset.append NEW_ROWS.yml`.

NEW_ROWS.yml is a list of `{lang, exp, src, text}` (optionally `also: [...]`), copied from the
page at `src`. Each new row gets the next id of its language (`uk-001`, ...) and a split, once:
within its (language, expected) group it goes to the side that has fewer rows so far, and a
tie is broken by the parity of the SHA-256 of its id. Rows already in the set keep theirs
(split.lock records them and tests/bench/test_devset.py fails if one changes). A row whose
text is already in the set (same language, ignoring case and spaces) is left out.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from bench.devset import (
    CRISIS,
    NO_ENTRY,
    QUESTIONS_PATH,
    SPLIT_LOCK_PATH,
    DevQuestion,
    Split,
    is_url,
    load_devset,
)
from bot.config import PROJECT_ROOT
from bot.faq.schema import load_knowledge_base

HEADER = """\
# The development set (issue 17): real newcomers' questions copied from public pages, written by
# no one on this project. Read by bench/devset/__init__.py (load_devset); checked by
# tests/bench/test_devset.py; how the rows were found is in bench/devset/README.md.
#
# Row: id (stable, never reused), text (as written at the source, lightly trimmed), language
# (uk | en | nl | ru), expected (faq entry id, `none` when no entry answers it, `crisis` for
# the 112/113/Veilig Thuis reply), also (other entries that answer it too), source (the page
# it was read on), split.
#
# Split, decided once when a row is added (python -m bench.devset.append) and never changed:
# within its (language, expected) group a row goes to the side with fewer rows so far; a tie
# goes by the parity of sha256(id). split.lock freezes every row's split. Tune on `tune` only;
# report on `report`; never train on `report`.
"""


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def _tie_break(row_id: str) -> Split:
    return "tune" if hashlib.sha256(row_id.encode()).digest()[0] % 2 == 0 else "report"


def _next_number(questions: list[DevQuestion], language: str) -> int:
    numbers = [int(q.id.split("-")[1]) for q in questions if q.language == language]
    return max(numbers, default=0) + 1


def _as_row(question: DevQuestion) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": question.id,
        "text": question.text,
        "language": question.language,
        "expected": question.expected,
    }
    if question.also:
        row["also"] = list(question.also)
    row["source"] = question.source
    row["split"] = question.split
    return row


def write_devset(questions: list[DevQuestion], path: Path) -> None:
    body = yaml.safe_dump(
        {"questions": [_as_row(q) for q in questions]},
        allow_unicode=True,
        sort_keys=False,
        width=1000,
    )
    path.write_text(HEADER + body, encoding="utf-8")


def append(new_rows: list[dict[str, Any]], *, path: Path, lock: Path) -> list[DevQuestion]:
    entries = load_knowledge_base(PROJECT_ROOT / "faq").by_id()
    entry_ids = set(entries)
    questions = load_devset(path) if path.exists() else []
    known = {(q.language, _normal(q.text)) for q in questions}
    sides: Counter[tuple[str, str, str]] = Counter(
        (q.language, q.expected, q.split) for q in questions
    )
    added: list[DevQuestion] = []
    for row in new_rows:
        language, expected, source = row["lang"], row["exp"], row["src"]
        text = " ".join(str(row["text"]).split())
        also = tuple(row.get("also", ()))
        for entry in (expected, *also):
            if entry not in entry_ids and entry not in (NO_ENTRY, CRISIS):
                raise SystemExit(f"unknown entry '{entry}' for: {text}")
        if expected in (NO_ENTRY, CRISIS) and also:
            raise SystemExit(f"'{expected}' takes no `also`: {text}")
        if not is_url(source):
            raise SystemExit(f"not a URL: {source}")
        if (language, _normal(text)) in known:
            print(f"already in the set, left out: {text}", file=sys.stderr)
            continue
        if expected in entries and language != "ru":
            training = {_normal(t) for t in getattr(entries[expected].questions, language)}
            if _normal(text) in training:
                print(f"a training question of {expected}, left out: {text}", file=sys.stderr)
                continue
        row_id = f"{language}-{_next_number(questions + added, language):03d}"
        tune, report = sides[(language, expected, "tune")], sides[(language, expected, "report")]
        split: Split = (
            "tune" if tune < report else "report" if report < tune else _tie_break(row_id)
        )
        sides[(language, expected, split)] += 1
        known.add((language, _normal(text)))
        added.append(DevQuestion(row_id, text, language, expected, source, split, also))
    write_devset(questions + added, path)
    with lock.open("a", encoding="utf-8") as handle:
        if lock.stat().st_size == 0:
            handle.write("# <id> <split>, written once when the row was added; never edit a line\n")
        handle.writelines(f"{q.id} {q.split}\n" for q in added)
    return added


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("new_rows", type=Path)
    args = parser.parse_args()
    rows = yaml.safe_load(args.new_rows.read_text(encoding="utf-8")) or []
    added = append(rows, path=QUESTIONS_PATH, lock=SPLIT_LOCK_PATH)
    print(f"added {len(added)} rows: {dict(Counter(q.language for q in added))}")


if __name__ == "__main__":
    main()
