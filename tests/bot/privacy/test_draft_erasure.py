"""Draft entries quote newcomers: /forget takes a newcomer's questions out of every draft, and
the purge takes out those quoted longer ago than the retention period; what an editor has
rewritten in their own words stays."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from bot.db.models import utcnow
from bot.db.turn_models import turn_pseudonym
from bot.insights.draft_making import Quote, write_draft
from bot.privacy.erasure import forget, purge
from bot.translation.base import NoTranslator
from tests.bot.privacy.conftest import Stores

TODAY = utcnow().date()


async def a_draft(folder: Path, *, on: dt.date = TODAY) -> Path:
    quotes = [
        Quote("uk", "де знайти шкільний автобус", turn_pseudonym("we-a"), on),
        Quote("uk", "шкільний автобус для доньки", turn_pseudonym("we-b"), on),
        Quote("nl", "schoolbus voor mijn zoon", turn_pseudonym("we-a"), on),
    ]
    started = await write_draft(
        folder, NoTranslator(), topic="education", quotes=quotes, answer="Vraag het de school.",
        answer_language="nl", made_from="missed:3 questions", today=TODAY,
    )  # fmt: skip
    return started.path


def read(path: Path) -> dict[str, object]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


async def test_forget_takes_a_newcomers_questions_out_of_drafts(
    stores: Stores, tmp_path: Path
) -> None:
    path = await a_draft(tmp_path)
    raw = read(path)
    questions = raw["questions"]
    assert isinstance(questions, dict)
    questions["uk"].append("Як дитині їздити до школи? (своїми словами)")  # an editor's line
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")

    erased = await forget(stores.sessions, stores.tracker, "we-a", drafts=tmp_path)
    assert erased.draft_questions == 2
    after = read(path)
    assert after["questions"] == {
        "uk": ["шкільний автобус для доньки", "Як дитині їздити до школи? (своїми словами)"],
        "en": [],
        "nl": [],
    }
    assert after["quotes"] == [
        {"from": turn_pseudonym("we-b"), "on": TODAY, "text": "шкільний автобус для доньки"}
    ]
    assert "we-a" not in path.read_text(encoding="utf-8")
    again = await forget(stores.sessions, stores.tracker, "we-a", drafts=tmp_path)
    assert again.draft_questions == 0


async def test_the_purge_takes_out_quotes_older_than_the_retention_period(
    stores: Stores, tmp_path: Path
) -> None:
    old = await a_draft(tmp_path, on=TODAY - dt.timedelta(days=40))
    purged = await purge(
        stores.sessions, stores.tracker, conversation_days=28, closed_ticket_days=90,
        drafts=tmp_path,
    )  # fmt: skip
    assert purged.draft_questions == 3
    assert read(old)["questions"] == {"uk": [], "en": [], "nl": []}
    assert read(old)["answer"] == {"uk": "", "en": "", "nl": "Vraag het de school."}
    fresh = await a_draft(tmp_path)
    kept = await purge(
        stores.sessions, stores.tracker, conversation_days=28, closed_ticket_days=90,
        drafts=tmp_path,
    )  # fmt: skip
    assert kept.draft_questions == 0
    assert len(read(fresh)["quotes"]) == 3  # type: ignore[arg-type]
