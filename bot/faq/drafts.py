"""Draft entries: `faq/drafts/<id>.yml` (DRAFTS_DIR), started by an editor in the workspace
from newcomers' questions and a staff answer (bot/insights/draft_making.py). A draft is never
trained on and never answers: the knowledge base skips faq/drafts/ (bot/faq/schema.entry_paths),
and `make check-faq` lists what each draft still needs before an editor moves it into its topic.

A draft quotes newcomers (their redacted questions), so it keeps which conversation each
quote came from (under the turn events' pseudonym, never the conversation id) and /forget
takes the quotes out again, as the purge does once they are older than the retention period
(`take_out_quotes`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.faq.schema import Entry
from bot.language import SUPPORTED as LANGUAGES

DRAFT_ONLY_FIELDS = ("draft", "to_check", "made_from", "made_on", "quotes")
HEADER = (
    "# DRAFT entry, started in the workspace. It is never used to answer and never trained on.\n"
    "# To publish it: fill in what `make check-faq` lists, have every language read by someone\n"
    "# who reads it, choose the final id, remove the draft-only fields\n"
    "#   {fields}\n"
    "# and move the file to faq/<topic>/<id>.yml, where `make check-faq` checks the rest.\n"
    "# Commit it; `make run` and CI train the model again.\n"
)


@dataclass(frozen=True)
class Draft:
    path: Path
    id: str
    topic: str
    made_from: str
    made_on: dt.date | None
    questions: dict[str, int]  # language -> how many
    to_check: list[str]
    missing: list[str]  # what check-faq says is still needed (field: message)


def draft_paths(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.yml"))


def read_raw(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def dump(document: dict[str, Any]) -> str:
    body = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
    return HEADER.format(fields=", ".join(DRAFT_ONLY_FIELDS)) + body


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def missing_parts(raw: dict[str, Any]) -> list[str]:
    """What the draft lacks to be an entry: the entry schema's own complaints (an empty field
    counts as missing), and each machine translation no person has checked yet."""
    entry = {key: value for key, value in raw.items() if key not in DRAFT_ONLY_FIELDS}
    found: list[str] = []
    try:
        Entry.model_validate(entry)
    except ValidationError as error:
        found.extend(f"{_location(detail['loc'])}: {detail['msg']}" for detail in error.errors())
    found.extend(
        f"{field}: machine translation, to be checked" for field in raw.get("to_check") or []
    )
    return found


def load_draft(path: Path) -> Draft:
    raw = read_raw(path)
    questions = raw.get("questions") or {}
    made_on = raw.get("made_on")
    return Draft(
        path=path,
        id=str(raw.get("id") or path.stem),
        topic=str(raw.get("topic") or ""),
        made_from=str(raw.get("made_from") or ""),
        made_on=made_on if isinstance(made_on, dt.date) else None,
        questions={lang: len(questions.get(lang) or []) for lang in LANGUAGES},
        to_check=[str(field) for field in raw.get("to_check") or []],
        missing=missing_parts(raw),
    )


def load_drafts(folder: Path) -> list[Draft]:
    return [load_draft(path) for path in draft_paths(folder)]


def take_out_quotes(
    folder: Path,
    *,
    conversations: Iterable[str] = (),
    quoted_before: dt.date | None = None,
) -> int:
    """Takes newcomers' questions out of every draft: those quoted from these conversations
    (turn pseudonyms: /forget), or quoted before a date (the retention purge). A question an
    editor has since rewritten in their own words is no longer a quote and stays. Returns how
    many training questions were taken out."""
    wanted = set(conversations)
    removed = 0
    for path in draft_paths(folder):
        raw = read_raw(path)
        quotes: list[dict[str, Any]] = raw.get("quotes") or []

        def going(quote: dict[str, Any]) -> bool:
            on = quote.get("on")
            too_old = quoted_before is not None and isinstance(on, dt.date) and on < quoted_before
            return str(quote.get("from")) in wanted or too_old

        gone = [quote for quote in quotes if going(quote)]
        if not gone:
            continue
        texts = {str(quote.get("text")) for quote in gone}
        questions = raw.get("questions") or {}
        for language in LANGUAGES:
            asked = list(questions.get(language) or [])
            questions[language] = [question for question in asked if question not in texts]
            removed += len(asked) - len(questions[language])
        raw["quotes"] = [quote for quote in quotes if not going(quote)]
        path.write_text(dump(raw), encoding="utf-8")
    return removed
