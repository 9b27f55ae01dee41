"""GET /staff/insights/missed and /staff/insights/missed.csv: editors see what newcomers asked
and the bot missed, grouped by meaning across languages with the bot's own model, on a real
database; a forgotten message never shows; anyone else is refused without a figure; every
view and export is audit-logged without a newcomer's words."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import utcnow
from bot.db.session import make_engine
from bot.db.staff_models import AuditEntry
from bot.db.turn_models import TurnEvent
from bot.faq.search import EntrySearch
from bot.insights import missed
from bot.insights.missed import MissedFilter, entry_titles, missed_report
from bot.insights.recording import record_turn
from bot.privacy.erasure import forget
from bot.semantics.embedder import shared_embedder
from bot.stack import PROJECT_ROOT
from bot.staff.roles import Role
from bot.turns import Turn
from tests.kbsearch_support import entry_search
from tests.staff.missed_support import (
    BANK,
    CRISIS,
    FORGOTTEN,
    NOT_MISSED,
    OLD,
    SCHOOL,
    STAFF_ANSWER,
    redacted,
    seed_missed,
)
from tests.staff.support import make_staff, sign_in, staff_app, staff_settings

ZONE = ZoneInfo("Europe/Amsterdam")  # the default TIMEZONE
__all__ = ["entry_search"]

Sessions = async_sessionmaker[AsyncSession]
PAGE = "/staff/insights/missed"
CSV = "/staff/insights/missed.csv"
TAGS = re.compile(r"<[^>]+>")


@pytest.fixture
def app(db: Sessions, tmp_path: Path, entry_search: EntrySearch) -> FastAPI:
    made = staff_app(db, staff_settings(tmp_path))
    made.state.entry_search = entry_search  # the real index, read from var/cache
    return made


def visible(page: str) -> str:
    spaced = " ".join(html.unescape(TAGS.sub(" ", page)).split())
    return re.sub(r" ([,)])", r"\1", spaced)


async def editor(client: httpx.AsyncClient, db: Sessions, **account: object) -> None:
    email = str(account.pop("email", "eva@almere.example"))
    await make_staff(db, name="Eva Redacteur", email=email, roles=(Role.editor,), **account)  # type: ignore[arg-type]
    assert (await sign_in(client, email=email)).status_code == 303


async def forget_one(db: Sessions, tmp_path: Path, conversation: str) -> None:
    tracker = make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")  # no events table: nothing
    try:
        await forget(db, tracker, conversation)
    finally:
        await tracker.dispose()


async def test_questions_are_grouped_by_meaning_across_languages(
    db: Sessions, tmp_path: Path, entry_search: EntrySearch
) -> None:
    await seed_missed(db)
    await forget_one(db, tmp_path, "we-forget")
    report = await missed_report(
        db, MissedFilter(), embedder=shared_embedder(), index=entry_search.index(),
        titles=entry_titles(PROJECT_ROOT), reader="nl", now=utcnow(), zone=ZONE,
    )  # fmt: skip
    assert report.by_index
    assert [group.size for group in report.groups] == [6, 5]
    school, bank = report.groups
    assert school.languages == [("uk", 3), ("nl", 2), ("en", 1)]
    assert bank.languages == [("uk", 2), ("en", 2), ("nl", 1)]
    assert {e.text for e in school.examples[:5]} <= {redacted(t) for _l, t, _h in SCHOOL}
    assert [e.text for e in bank.examples] == [redacted(t) for _l, t, _h in BANK]  # newest first
    assert "[IBAN]" in bank.examples[2].text
    assert "NL91ABNA" not in bank.examples[2].text
    assert sum(count for _week, count in school.weeks) == 6
    assert [entry.entry_id for entry in bank.entries] == ["money_bank_account"]
    assert bank.entries[0].title == "Een bankrekening openen"
    assert [a.text for a in bank.answers] == [redacted(STAFF_ANSWER)]
    assert "[PHONE]" in bank.answers[0].text
    assert school.answers == []  # its ticket was not answered
    # 11 missed + the forgotten one; the old one, the crisis and the turns that helped are out
    assert (report.total, report.forgotten, report.not_grouped) == (12, 1, 0)
    assert dict(report.by_language) == {"uk": 5, "nl": 4, "en": 3}


async def test_the_page_shows_the_groups_to_an_editor(
    client: httpx.AsyncClient, db: Sessions, tmp_path: Path
) -> None:
    await seed_missed(db)
    await forget_one(db, tmp_path, "we-forget")
    await editor(client, db)
    answer = await client.get(PAGE)
    assert answer.status_code == 200
    text = visible(answer.text)
    assert "12 gemiste vragen in de laatste 30 dagen: 5 uk, 4 nl, 3 en" in text
    assert "Van 1 daarvan is de tekst gewist" in text
    assert "Groep 1: 6 vragen" in text
    assert "Groep 2: 5 vragen" in text
    assert "6 vragen: 3 uk, 2 nl, 1 en" in text
    assert "5 vragen: 2 uk, 2 en, 1 nl" in text
    for _language, question, _how in SCHOOL[:5] + BANK:  # up to 5 examples, newest first
        assert redacted(question) in text
    assert SCHOOL[5][1] not in text
    assert "NL91ABNA0417164300" not in answer.text
    for _language, question, _how in NOT_MISSED:
        assert question not in text
    assert CRISIS[1] not in text
    assert OLD[1] not in text
    assert "Rabobank" not in answer.text
    assert "Almere Buiten" not in answer.text
    assert "Een bankrekening openen" in text  # the entry offered, in the editor's language
    assert redacted(STAFF_ANSWER) in text
    assert "0201234567" not in answer.text
    # Vectors were stored for the next load; never for the forgotten message
    async with db() as session:
        rows = list(await session.scalars(select(TurnEvent)))
    assert sum(1 for row in rows if row.vector is not None) == len(SCHOOL) + len(BANK)
    assert all(row.vector is None for row in rows if row.text is None)

    in_english = await client.get(PAGE, params={"days": "90", "language": "en"})
    text = visible(in_english.text)
    assert "4 gemiste vragen in de laatste 90 dagen: 4 en" in text
    assert OLD[1] in text
    assert redacted(SCHOOL[0][1]) not in text


async def test_a_topic_shows_the_questions_answered_or_offered_in_it(
    client: httpx.AsyncClient, db: Sessions
) -> None:
    await seed_missed(db)
    await editor(client, db)
    school = visible((await client.get(PAGE, params={"topic": "education"})).text)
    # the "did you mean" that offered the school entry, and the school answer that did not help
    assert "2 gemiste vragen in de laatste 30 dagen: 1 uk, 1 nl" in school
    assert redacted(SCHOOL[1][1]) in school
    assert redacted(SCHOOL[3][1]) in school
    assert redacted(BANK[0][1]) not in school
    assert redacted(SCHOOL[0][1]) not in school  # a fallback has no topic of its own
    money = await client.get(PAGE, params={"topic": "money"})
    assert '<option value="money" selected>' in money.text
    assert "1 gemiste vragen in de laatste 30 dagen: 1 nl" in visible(money.text)
    unknown = visible((await client.get(PAGE, params={"topic": "weather"})).text)
    assert "12 gemiste vragen in de laatste 30 dagen" in unknown  # every topic, never a 422
    export = await client.get(CSV, params={"topic": "education", "language": "nl"})
    assert export.status_code == 200
    assert "wegwijs-missed-30d-nl-education.csv" in export.headers["content-disposition"]


async def test_a_message_forgotten_after_it_was_grouped_disappears(
    client: httpx.AsyncClient, db: Sessions, tmp_path: Path
) -> None:
    await seed_missed(db)
    await editor(client, db)
    before = await client.get(PAGE)
    assert redacted(FORGOTTEN[1]) in visible(before.text)
    await forget_one(db, tmp_path, "we-forget")
    page, export = await client.get(PAGE), await client.get(CSV)
    for shown in (page.text, export.text):
        assert "Rabobank" not in shown
        assert "Almere Buiten" not in shown
    async with db() as session:
        cleared = await session.scalar(select(TurnEvent).where(TurnEvent.text.is_(None)))
    assert cleared is not None
    assert cleared.vector is None


async def test_the_export_is_one_row_per_group_and_spreadsheet_safe(
    client: httpx.AsyncClient, db: Sessions, tmp_path: Path
) -> None:
    await seed_missed(db)
    await forget_one(db, tmp_path, "we-forget")
    async with db.begin() as session:
        await record_turn(
            session, conversation_id="we-formula",
            turn=Turn(language="en", fallback=True),
            text='=HYPERLINK("http://evil.example","click")', at=utcnow(), zone=ZONE,
        )  # fmt: skip
    await editor(client, db)
    answer = await client.get(CSV, params={"days": "7"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == ('attachment; filename="wegwijs-missed-7d.csv"')
    assert answer.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == ["group", "size", "uk", "en", "nl", "examples", "entries_offered",
                       "staff_answers"]  # fmt: skip
    by_size = {row[1]: row for row in rows[1:]}
    assert by_size["6"][2:5] == ["3", "1", "2"]
    assert by_size["5"][2:5] == ["2", "2", "1"]
    assert redacted(BANK[0][1]) in by_size["5"][5]
    assert "money_bank_account" in by_size["5"][6]
    formula = next(row for row in rows[1:] if "HYPERLINK" in row[5])
    assert formula[5].startswith("'=HYPERLINK")
    assert len(rows) == 1 + 3


@pytest.mark.parametrize("roles", [(Role.agent,), (Role.admin,), (Role.agent, Role.admin)], ids=str)
async def test_anyone_but_an_editor_is_refused_without_data(
    client: httpx.AsyncClient, db: Sessions, roles: tuple[Role, ...]
) -> None:
    await seed_missed(db)
    await make_staff(db, email="anna@almere.example", roles=roles)
    assert (await sign_in(client, email="anna@almere.example")).status_code == 303
    for path in (PAGE, CSV):
        refused = await client.get(path)
        assert refused.status_code == 403
        assert "Groep" not in refused.text
        for _language, question, _how in SCHOOL + BANK:
            assert redacted(question) not in refused.text
    script = await client.get(PAGE, headers={"accept": "*/*", "x-requested-with": "fetch"})
    assert (script.status_code, script.json()) == (403, {"error": "forbidden", "reason": "role"})


async def test_signed_out_is_sent_to_sign_in(client: httpx.AsyncClient, db: Sessions) -> None:
    await seed_missed(db)
    page = await client.get(PAGE)
    assert page.status_code == 303
    assert "/staff/sign-in" in page.headers["location"]
    export = await client.get(CSV, headers={"accept": "text/csv"})
    assert (export.status_code, export.json()) == (401, {"error": "sign_in_required"})


async def test_every_view_and_export_is_audited_without_newcomer_text(
    client: httpx.AsyncClient, db: Sessions
) -> None:
    await seed_missed(db)
    await editor(client, db)
    await client.get(PAGE, params={"days": "7", "language": "uk"})
    await client.get(CSV)
    async with db() as session:
        logged = list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.in_(("insights_viewed", "insights_exported")))
                .order_by(AuditEntry.id)
            )
        )
    assert [(row.action, row.target) for row in logged] == [
        ("insights_viewed", "missed"), ("insights_exported", "missed"),
    ]  # fmt: skip
    assert logged[0].detail == {"days": 7, "language": "uk", "topic": "", "groups": 2, "missed": 5}
    assert logged[1].detail == {"days": 30, "language": "", "topic": "", "groups": 2, "missed": 12}
    assert logged[0].address == "203.0.113.0"
    for row in logged:
        for _language, question, _how in SCHOOL + BANK:
            assert question[:20] not in str(row.detail)


async def test_a_page_embeds_a_bounded_batch_and_the_rest_follows_in_the_background(
    db: Sessions, tmp_path: Path, entry_search: EntrySearch
) -> None:
    await seed_missed(db)
    await forget_one(db, tmp_path, "we-forget")
    asked = {
        "embedder": shared_embedder(), "index": entry_search.index(),
        "titles": entry_titles(PROJECT_ROOT), "reader": "nl", "zone": ZONE,
    }  # fmt: skip
    first = await missed_report(db, MissedFilter(), now=utcnow(), embed_limit=3, **asked)  # type: ignore[arg-type]
    assert (first.total, first.not_grouped) == (12, 8)
    assert sum(group.size for group in first.groups) == 3
    assert missed.embedding_in_background()  # the task the page started
    await missed.background_done()
    async with db() as session:
        rows = list(await session.scalars(select(TurnEvent)))
    embedded = len(SCHOOL) + len(BANK) + 1  # and the old one: every period's, newest first
    assert sum(1 for row in rows if row.vector is not None) == embedded
    assert all(row.vector is None for row in rows if row.text is None)
    again = await missed_report(db, MissedFilter(), now=utcnow(), embed_limit=0, **asked)  # type: ignore[arg-type]
    assert (again.not_grouped, [group.size for group in again.groups]) == (0, [6, 5])
