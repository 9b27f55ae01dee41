"""Draft entries from what newcomers asked and staff answered: POST /staff/insights/drafts
writes faq/drafts/<id>.yml (here DRAFTS_DIR in the test's folder) with the real questions in
their languages, the staff answer and machine translations marked "to be checked"; the
knowledge base never loads it; only editors may, and every step is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Ticket, utcnow
from bot.db.staff_models import AuditEntry
from bot.db.turn_models import TurnEvent, turn_pseudonym, week_of
from bot.escalation import desk
from bot.faq.drafts import load_drafts, missing_parts
from bot.faq.schema import entry_paths
from bot.staff.roles import Role
from tests.fake_libretranslate import FakeLibreTranslate, running_fake
from tests.staff.support import csrf_of, make_staff, sign_in, staff_app, staff_settings
from tests.staff.ticket_support import QUESTION_UK, new_ticket

Sessions = async_sessionmaker[AsyncSession]
ZONE = ZoneInfo("Europe/Amsterdam")  # the default TIMEZONE
ANSWER_NL = "Maak een afspraak bij de balie van de gemeente. Neem je paspoort mee."


@pytest.fixture
def engine() -> Iterator[FakeLibreTranslate]:
    with running_fake() as server:
        yield server


@pytest.fixture
def app(db: Sessions, tmp_path: Path, engine: FakeLibreTranslate) -> FastAPI:
    return staff_app(db, staff_settings(tmp_path, TRANSLATION_URL=engine.url))


def folder(tmp_path: Path) -> Path:
    return tmp_path / "drafts"


async def answered_ticket(db: Sessions, *, entry_id: str | None = None) -> str:
    made = await new_ticket(db)
    async with db.begin() as session:
        await desk.answer(
            session, ticket_id=made.id, staff="Anna #web1", text=f"<uk> {ANSWER_NL}",
            original=ANSWER_NL, source_language="nl", machine_translated=True, entry_id=entry_id,
        )  # fmt: skip
    return made.code


async def editor(client: httpx.AsyncClient, db: Sessions, roles: list[Role] | None = None) -> str:
    await make_staff(db, roles=roles or [Role.editor], email="eva@almere.example", name="Eva")
    assert (await sign_in(client, email="eva@almere.example")).status_code == 303
    return csrf_of((await client.get("/staff/")).text)


async def audited(db: Sessions, action: str) -> list[AuditEntry]:
    async with db() as session:
        found = await session.scalars(select(AuditEntry).where(AuditEntry.action == action))
        return list(found)


async def test_an_answered_ticket_becomes_a_draft_with_its_question_and_translations(
    client: httpx.AsyncClient, db: Sessions, tmp_path: Path
) -> None:
    code = await answered_ticket(db)
    csrf = await editor(client, db)
    made = await client.post("/staff/insights/drafts", data={"csrf_token": csrf, "ticket": code})
    assert made.status_code == 303
    [path] = sorted(folder(tmp_path).glob("*.yml"))
    assert made.headers["location"] == f"/staff/insights/drafts?made={path.stem}"
    assert path.stem.startswith(f"registration_draft_{utcnow():%Y%m%d}_")
    assert path.read_text(encoding="utf-8").startswith("# DRAFT entry")
    draft = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert draft["draft"] is True
    assert draft["questions"] == {"uk": [QUESTION_UK], "en": [], "nl": []}
    assert draft["answer"]["nl"] == ANSWER_NL  # the employee's own words
    assert draft["answer"]["uk"] == f"<uk> {ANSWER_NL}"  # the fake engine's translations
    assert draft["answer"]["en"] == f"<en> {ANSWER_NL}"
    assert draft["to_check"] == ["answer.en", "answer.uk"]
    assert draft["made_from"] == f"ticket:{code}"
    assert draft["quotes"] == [
        {"from": turn_pseudonym("we-1"), "on": utcnow().date(), "text": QUESTION_UK}
    ]
    missing = missing_parts(draft)
    for needed in ("reviewed", "sources", "title.uk", "questions.en", "heldout.nl"):
        assert any(item.startswith(needed) for item in missing), (needed, missing)
    assert "answer.uk: machine translation, to be checked" in missing
    page = await client.get(made.headers["location"])
    assert page.status_code == 200
    assert f"Het concept {path.stem} is gemaakt." in page.text
    assert "Vragen: 1 Oekraïens, 0 Engels, 0 Nederlands" in page.text
    [started] = await audited(db, "draft_started")
    assert started.target == f"draft:{path.stem}"
    assert started.detail == {"from": "ticket", "questions": 1, "machine": ["uk", "en"],
                              "empty": []}  # fmt: skip
    assert QUESTION_UK not in str(started.detail)
    assert [entry.detail for entry in await audited(db, "insights_viewed")] == [
        {"page": "drafts", "drafts": 1}
    ]


async def test_a_draft_is_never_an_entry(tmp_path: Path) -> None:
    (tmp_path / "housing").mkdir()
    (tmp_path / "drafts").mkdir()
    (tmp_path / "housing" / "housing_x.yml").write_text("id: housing_x\n", encoding="utf-8")
    (tmp_path / "drafts" / "housing_draft.yml").write_text("draft: true\n", encoding="utf-8")
    assert [path.name for path in entry_paths(tmp_path)] == ["housing_x.yml"]


async def test_without_an_engine_the_other_languages_stay_empty(
    db: Sessions, tmp_path: Path
) -> None:
    app = staff_app(db, staff_settings(tmp_path))
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        code = await answered_ticket(db)
        csrf = await editor(client, db)
        made = await client.post(
            "/staff/insights/drafts", data={"csrf_token": csrf, "ticket": code}
        )
        assert made.status_code == 303
    [draft] = load_drafts(folder(tmp_path))
    raw = yaml.safe_load(draft.path.read_text(encoding="utf-8"))
    assert raw["answer"] == {"uk": "", "en": "", "nl": ANSWER_NL}
    assert raw["to_check"] == []
    assert any(item.startswith("answer.uk") for item in draft.missing)


async def test_what_cannot_become_a_draft_is_refused_in_words(
    client: httpx.AsyncClient, db: Sessions, tmp_path: Path
) -> None:
    waiting = await new_ticket(db, conversation_id="we-2")
    by_entry = await answered_ticket(db, entry_id="registration_brp")
    csrf = await editor(client, db)
    cases = {
        waiting.code: "Deze vraag is nog niet beantwoord.",
        by_entry: "Dat antwoord bestaat al.",
        "ZZZZZZ": "Er is geen vraag met deze code.",
    }
    for code, said in cases.items():
        refused = await client.post(
            "/staff/insights/drafts", data={"csrf_token": csrf, "ticket": code}
        )
        assert refused.status_code == 422
        assert said in refused.text
    assert not folder(tmp_path).exists() or not list(folder(tmp_path).glob("*.yml"))
    assert await audited(db, "draft_started") == []


async def test_agents_strangers_and_forged_forms_make_no_draft(
    client: httpx.AsyncClient, db: Sessions, tmp_path: Path
) -> None:
    code = await answered_ticket(db)
    signed_out = await client.post("/staff/insights/drafts", data={"ticket": code})
    assert signed_out.status_code in (401, 403)
    assert (await client.get("/staff/insights/drafts")).status_code == 303
    csrf = await editor(client, db, roles=[Role.agent, Role.admin])
    refused = await client.post("/staff/insights/drafts", data={"csrf_token": csrf, "ticket": code})
    assert refused.status_code == 403
    assert (await client.get("/staff/insights/drafts")).status_code == 403
    await make_staff(db, roles=[Role.editor], email="ed@almere.example", name="Ed")
    client.cookies.clear()
    assert (await sign_in(client, email="ed@almere.example")).status_code == 303
    forged = await client.post("/staff/insights/drafts", data={"csrf_token": "x", "ticket": code})
    assert forged.status_code == 403
    assert not folder(tmp_path).exists() or not list(folder(tmp_path).glob("*.yml"))


async def test_missed_questions_in_three_languages_become_one_draft(
    client: httpx.AsyncClient, db: Sessions, tmp_path: Path
) -> None:
    code = await answered_ticket(db)
    now = utcnow()
    asked = [("uk", "як отримати шкільний автобус для дитини"),
             ("en", "is there a school bus for my son"),
             ("nl", "schoolvervoer voor mijn dochter")]  # fmt: skip
    async with db.begin() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.code == code))
        assert ticket is not None
        made = []
        for number, (language, text) in enumerate(asked):
            event = TurnEvent(
                at=now - dt.timedelta(minutes=number), week=week_of(now, ZONE),
                conversation=turn_pseudonym(f"we-missed-{number}"), language=language,
                outcome="escalated" if number == 0 else "asked",
                offered="education_school_children,education_childcare",
                text=text, ticket_id=ticket.id if number == 0 else None,
            )  # fmt: skip
            session.add(event)
            made.append(event)
        forgotten = TurnEvent(at=now, week=week_of(now, ZONE), conversation="", language="uk",
                              outcome="fallback", text=None)  # fmt: skip
        session.add(forgotten)
    csrf = await editor(client, db)
    ids = ",".join(str(event.id) for event in [*made, forgotten])
    done = await client.post("/staff/insights/drafts", data={"csrf_token": csrf, "events": ids})
    assert done.status_code == 303
    [draft] = load_drafts(folder(tmp_path))
    raw = yaml.safe_load(draft.path.read_text(encoding="utf-8"))
    assert raw["topic"] == "education"  # what the bot offered for them
    assert raw["questions"] == {language: [text] for language, text in asked}
    assert raw["answer"]["nl"] == ANSWER_NL  # what staff answered one of them
    assert raw["answer"]["en"] == f"<en> {ANSWER_NL}"
    assert [quote["text"] for quote in raw["quotes"]] == [text for _, text in asked][::-1]
    assert raw["made_from"] == "missed:3 questions"
