"""GET /staff/insights/entries and /review (+ .csv): how each entry does, counted right from
real turn-event rows in SQLite, sorted as asked, exported as spreadsheet-safe CSV; the entries
due for review from faq/ with known dates. Only editors see them, every view and export is in
the audit log, and no newcomer's words are on any of them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import PROJECT_ROOT
from bot.db.models import utcnow
from bot.db.staff_models import AuditEntry
from bot.insights.charts import split_bars
from bot.insights.entry_stats import EntryReport, EntryStats, Sort, StatsFilter, entry_report
from bot.insights.export import csv_text, spreadsheet_cell
from bot.insights.knowledge import current_knowledge_base, entry_files
from bot.insights.review_due import add_months, review_report
from bot.staff.roles import Role
from tests.staff.insights_support import (
    BANK,
    DOCTOR,
    GONE,
    NEIGHBOURS,
    SECRET,
    Event,
    seed_events,
)
from tests.staff.support import make_staff, sign_in, staff_app, staff_settings

Sessions = async_sessionmaker[AsyncSession]
COUNTS = ("answered", "offered", "chosen", "helpful", "not_helpful", "escalated_after")


async def report_of(
    db: Sessions, *, days: int = 30, language: str | None = None, sort: Sort | None = None,
    reader: str = "nl",
) -> EntryReport:  # fmt: skip
    kb = current_knowledge_base(PROJECT_ROOT)
    async with db() as session:
        return await entry_report(
            session, StatsFilter.of(days, language), knowledge_base=kb, reader=reader,
            sort=sort or Sort(), now=utcnow(),
        )  # fmt: skip


def counts(report: EntryReport, entry_id: str) -> dict[str, int]:
    row = next(row for row in report.rows if row.entry_id == entry_id)
    return {name: getattr(row, name) for name in COUNTS}


async def test_each_entry_is_counted_from_its_events(db: Sessions) -> None:
    await seed_events(db)
    report = await report_of(db)
    assert counts(report, NEIGHBOURS) == {
        "answered": 4, "offered": 2, "chosen": 0, "helpful": 2, "not_helpful": 2,
        "escalated_after": 1,
    }  # fmt: skip
    assert counts(report, BANK) == {
        "answered": 1, "offered": 3, "chosen": 1, "helpful": 1, "not_helpful": 0,
        "escalated_after": 0,  # the escalation after an offer nobody chose is nobody's
    }  # fmt: skip
    assert counts(report, DOCTOR) == {
        "answered": 0, "offered": 1, "chosen": 1, "helpful": 0, "not_helpful": 1,
        "escalated_after": 1,
    }  # fmt: skip
    gone = next(row for row in report.rows if row.entry_id == GONE)
    assert (gone.answered, gone.in_knowledge_base, gone.title) == (1, False, GONE)
    # every entry of faq/ is listed, the unused ones with zeros
    kb = current_knowledge_base(PROJECT_ROOT)
    assert {row.entry_id for row in report.rows} == {entry.id for entry in kb.entries} | {GONE}
    assert report.unused == len(kb.entries) - 3
    assert report.totals == {
        "answered": 6, "offered": 6, "chosen": 2, "helpful": 3, "not_helpful": 3,
        "escalated_after": 2,
    }  # fmt: skip
    titles = {row.entry_id: row.title for row in report.rows}
    assert titles[BANK] == "Een bankrekening openen"
    english = await report_of(db, reader="en")
    assert {row.entry_id: row.title for row in english.rows}[BANK] == "Opening a Dutch bank account"


async def test_the_period_and_the_language_choose_the_events(db: Sessions) -> None:
    await seed_events(db)
    quarter = await report_of(db, days=90)
    assert counts(quarter, NEIGHBOURS)["answered"] == 5
    assert counts(quarter, NEIGHBOURS)["not_helpful"] == 3
    assert counts(quarter, DOCTOR)["helpful"] == 0
    year = await report_of(db, days=365)
    assert counts(year, DOCTOR) == {
        "answered": 1, "offered": 1, "chosen": 1, "helpful": 1, "not_helpful": 1,
        "escalated_after": 1,
    }  # fmt: skip
    week = await report_of(db, days=7)
    assert counts(week, NEIGHBOURS)["answered"] == 3  # the nl answer was 20 days ago
    ukrainian = await report_of(db, language="uk")
    assert counts(ukrainian, NEIGHBOURS) == {
        "answered": 3, "offered": 1, "chosen": 0, "helpful": 2, "not_helpful": 1,
        "escalated_after": 1,
    }  # fmt: skip
    assert counts(ukrainian, BANK) == {
        "answered": 0, "offered": 1, "chosen": 1, "helpful": 1, "not_helpful": 0,
        "escalated_after": 0,
    }  # fmt: skip
    assert counts(ukrainian, DOCTOR) == dict.fromkeys(COUNTS, 0)
    dutch = await report_of(db, language="nl")
    assert counts(dutch, DOCTOR)["not_helpful"] == 1
    assert counts(dutch, NEIGHBOURS)["answered"] == 1
    # unknown choices fall back to the defaults, never an error
    assert StatsFilter.of(12, "xx") == StatsFilter(30, None)


async def test_worst_first_and_every_column_sorts_both_ways(db: Sessions) -> None:
    await seed_events(db)
    report = await report_of(db)
    assert [row.entry_id for row in report.rows[:4]] == [DOCTOR, NEIGHBOURS, BANK, GONE]
    assert [row.not_helpful_share for row in report.rows[:3]] == [100.0, 50.0, 0.0]
    by_answered = await report_of(db, sort=Sort.of("answered", None))
    assert [row.entry_id for row in by_answered.rows[:3]] == [NEIGHBOURS, BANK, GONE]
    assert [row.answered for row in by_answered.rows] == sorted(
        (row.answered for row in by_answered.rows), reverse=True
    )
    fewest = await report_of(db, sort=Sort.of("answered", "asc"))
    assert fewest.rows[-1].entry_id == NEIGHBOURS
    by_title = await report_of(db, sort=Sort.of("title", None))
    titles = [row.title.casefold() for row in by_title.rows]
    assert titles == sorted(titles)
    share_up = await report_of(db, sort=Sort.of("not_helpful_share", "asc"))
    assert [row.entry_id for row in share_up.rows[:3]] == [BANK, NEIGHBOURS, DOCTOR]
    assert share_up.rows[3].not_helpful_share is None  # no feedback: last either way
    assert Sort.of("answered", None).toggled("answered") == Sort("answered", False)
    assert Sort.of("answered", None).toggled("title") == Sort("title", False)
    assert Sort.of("nonsense", "up") == Sort()


async def test_the_chart_shows_the_worst_fifteen_on_one_scale(db: Sessions) -> None:
    many = [Event(entry=NEIGHBOURS, helpful=number % 3 == 0) for number in range(9)]
    await seed_events(db, many)
    report = await report_of(db)
    assert [row.entry_id for row in report.worst()] == [NEIGHBOURS]
    chart = split_bars(
        [("a", {"helpful": 3, "not_helpful": 6}), ("b", {"helpful": 1, "not_helpful": 0})],
        ["helpful", "not_helpful"],
    )
    first, second = chart.rows
    assert chart.top == 10
    assert [part.series for part in first.segments] == ["helpful", "not_helpful"]
    assert first.segments[1].x == pytest.approx(first.segments[0].x + first.segments[0].width)
    assert first.segments[1].width == pytest.approx(2 * first.segments[0].width)
    assert second.values == {"helpful": 1, "not_helpful": 0}
    assert len(second.segments) == 1
    rows = [EntryStats(f"e{n}", "money", f"E{n}", helpful=1, not_helpful=n) for n in range(20)]
    worst = EntryReport(StatsFilter(), Sort(), rows).worst()
    assert [row.entry_id for row in worst] == [f"e{n}" for n in range(19, 4, -1)]


def test_spreadsheet_cells_never_start_a_formula() -> None:
    for dangerous in ("=1+2", "+31 6", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert spreadsheet_cell(dangerous) == "'" + dangerous
    assert spreadsheet_cell("Huisarts") == "Huisarts"
    assert spreadsheet_cell(-12) == -12  # a number stays a number
    assert spreadsheet_cell(None) == ""
    assert spreadsheet_cell(dt.date(2026, 5, 1)) == "2026-05-01"
    text = csv_text(["a", "b"], [('=HYPERLINK("x")', 3)])
    assert text.startswith("\ufeffa,b\r\n")
    assert list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))[1] == [
        '\'=HYPERLINK("x")',
        "3",
    ]


def test_review_dates_six_months_on() -> None:
    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 11, 22), 6) == dt.date(2027, 5, 22)
    assert add_months(dt.date(2027, 1, 15), 12) == dt.date(2028, 1, 15)


def test_entries_due_within_thirty_days_most_overdue_first() -> None:
    kb = current_knowledge_base(PROJECT_ROOT)
    reviewed = {entry.reviewed for entry in kb.entries}
    oldest, newest = min(reviewed), max(reviewed)
    # the day before the oldest check's warning starts: nothing is due
    quiet = review_report(kb, today=add_months(oldest, 6) - dt.timedelta(days=31), reader="nl")
    assert quiet.entries == []
    # the day after the newest check is due: every entry, the oldest checks most overdue
    late = review_report(kb, today=add_months(newest, 6) + dt.timedelta(days=1), reader="en")
    assert len(late.entries) == len(kb.entries)
    assert late.entries[-1].days_overdue == 1
    assert late.entries[0].reviewed == oldest
    assert [due.days_overdue for due in late.entries] == sorted(
        (due.days_overdue for due in late.entries), reverse=True
    )
    assert late.overdue == len(kb.entries)
    # within the 30 days before: listed, with the days still to go
    today = add_months(oldest, 6) - dt.timedelta(days=10)
    soon = review_report(kb, today=today, reader="nl")
    within = [e for e in kb.entries if add_months(e.reviewed, 6) <= today + dt.timedelta(days=30)]
    assert len(soon.entries) == len(within) > 0
    assert {due.days_overdue for due in soon.entries if due.reviewed == oldest} == {-10}
    assert all(-30 <= due.days_overdue <= -10 for due in soon.entries)
    assert soon.overdue == 0
    marked = [s for entry in kb.entries for s in entry.sources if s.review]
    assert len(late.sources) == len(marked) > 0
    files = entry_files(PROJECT_ROOT, "almere")
    assert files[BANK] == "faq/money/money_bank_account.yml"
    assert files["money_bijstand"] == "faq/local/almere/money/money_bijstand.yml"  # Almere's own
    located = review_report(kb, today=late.today, reader="nl", files=files)
    assert {due.file for due in located.entries} == set(files.values())
    assert {s.file for s in located.sources if s.entry_id == "money_bijstand"} == {
        "faq/local/almere/money/money_bijstand.yml"
    }
    assert {source.review for source in late.sources} <= {"homepage", "unconfirmed"}


# --- over HTTP ---------------------------------------------------------------------------


def old_faq(root: Path, *, today: dt.date) -> None:
    """A copy of the project's faq/ where the bank entry was checked 200 days ago, the
    doctor's 170 days ago (due in about 12 days), and the bank entry's Dutch title starts
    like a spreadsheet formula."""
    shutil.copytree(PROJECT_ROOT / "faq", root / "faq")
    (root / "texts").symlink_to(PROJECT_ROOT / "texts")
    for entry_id, days, title in (
        (BANK, 200, '=HYPERLINK("https://example.org")'),
        (DOCTOR, 170, None),
    ):
        path = next((root / "faq").glob(f"*/{entry_id}.yml"))
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["reviewed"] = today - dt.timedelta(days=days)
        if title:
            data["title"]["nl"] = title
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


@pytest.fixture
async def old_client(db: Sessions, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    root = tmp_path / "project"
    old_faq(root, today=utcnow().date())
    app = staff_app(db, staff_settings(tmp_path, WEGWIJS_ROOT=root))
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", headers={"accept": "text/html"}
    ) as made:
        yield made


async def editor(db: Sessions, client: httpx.AsyncClient, *, language: str = "nl") -> int:
    user = await make_staff(
        db, roles=[Role.editor], email="eva@almere.example", name="Eva", language=language
    )
    assert (await sign_in(client, email=user.email)).status_code == 303
    return user.id


async def audit(db: Sessions, action: str) -> list[AuditEntry]:
    async with db() as session:
        return list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def row_of(html: str, title: str) -> list[str]:
    found = re.search(rf"<th scope=\"row\">{re.escape(title)}.*?</tr>", html, re.S)
    assert found, title
    return re.findall(r"<td[^>]*>(.*?)</td>", found.group(0), re.S)


async def test_an_editor_sees_how_each_entry_does(client: httpx.AsyncClient, db: Sessions) -> None:
    await seed_events(db)
    user_id = await editor(db, client)
    page = await client.get("/staff/insights/entries")
    assert page.status_code == 200
    assert "<h1>Hoe elk antwoord het doet</h1>" in page.text
    assert row_of(page.text, "Huisarts")[1:] == ["0", "1", "1", "0", "1", "100.0%", "1"]
    assert row_of(page.text, "Problemen met je buren: wat kun je doen?")[1:] == [
        "4", "2", "0", "2", "2", "50.0%", "1",
    ]  # fmt: skip
    assert row_of(page.text, "Een bankrekening openen")[0] == "Geld"  # the topic by its name
    assert "niet meer in de kennisbank" in page.text  # the gone entry
    assert page.text.count('role="img"') == 1
    assert re.search(
        r'<rect class="series-not_helpful"[^>]*><title>Huisarts · Niet nuttig: 1</title>', page.text
    )
    assert 'aria-sort="descending"' in page.text
    assert page.text.count("aria-sort=") == 1
    assert (
        'href="/staff/insights/entries?days=30&amp;sort=not_helpful_share&amp;dir=asc"' in page.text
    )
    assert (
        'href="/staff/insights/entries.csv?days=30&amp;sort=not_helpful_share&amp;dir=desc"'
        in page.text
    )
    assert 'href="/staff/insights/entries" aria-current="page"' in page.text
    assert SECRET not in page.text
    assert "123456782" not in page.text

    sorted_page = await client.get(
        "/staff/insights/entries?days=90&language=uk&sort=answered&dir=asc"
    )
    assert sorted_page.status_code == 200
    sorted_header = r'<th scope="col" aria-sort="ascending"><a class="sort" href="[^"]*'
    assert re.search(sorted_header + r'sort=answered&amp;dir=desc"', sorted_page.text)
    assert row_of(sorted_page.text, "Problemen met je buren: wat kun je doen?")[1] == "4"
    odd = await client.get("/staff/insights/entries?days=abc&language=ru&sort=%3Cx%3E&dir=sideways")
    assert odd.status_code == 200

    logged = await audit(db, "insights_viewed")
    entries = len(current_knowledge_base(PROJECT_ROOT).entries)
    assert [entry.detail for entry in logged] == [
        {"page": "entries", "days": 30, "language": None, "sort": "not_helpful_share",
         "dir": "desc", "rows": entries + 1},
        {"page": "entries", "days": 90, "language": "uk", "sort": "answered", "dir": "asc",
         "rows": entries},  # the gone entry had no Ukrainian question
        {"page": "entries", "days": 30, "language": None, "sort": "not_helpful_share",
         "dir": "desc", "rows": entries + 1},
    ]  # fmt: skip
    assert {entry.actor_id for entry in logged} == {user_id}


async def test_titles_in_the_employees_language(client: httpx.AsyncClient, db: Sessions) -> None:
    await seed_events(db)
    await editor(db, client, language="en")
    page = await client.get("/staff/insights/entries")
    assert "<h1>How each entry does</h1>" in page.text
    assert row_of(page.text, "General practitioner (huisarts)")[0] == "Health"


async def test_the_entries_export_is_a_safe_csv_and_audited(
    old_client: httpx.AsyncClient, db: Sessions
) -> None:
    await seed_events(db)
    await editor(db, old_client)
    answer = await old_client.get("/staff/insights/entries.csv?days=7&language=uk&sort=title")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="wegwijs-entries-\d{4}-\d\d-\d\d-7d-uk\.csv"',
        answer.headers["content-disposition"],
    )
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    by_id = {row["entry_id"]: row for row in rows}
    assert by_id[NEIGHBOURS] | {"title": ""} == {
        "entry_id": NEIGHBOURS, "topic": "housing", "title": "", "answered": "3", "offered": "1",
        "chosen": "0", "helpful": "2", "not_helpful": "1", "not_helpful_percent": "33.3",
        "escalated_after": "1", "in_knowledge_base": "yes",
    }  # fmt: skip
    assert by_id[BANK]["title"] == '\'=HYPERLINK("https://example.org")'  # never a formula
    assert by_id[DOCTOR]["not_helpful_percent"] == ""
    titles = [row["title"].casefold() for row in rows]
    assert titles == sorted(titles)  # as the page sorts it
    assert SECRET not in answer.text
    exported = await audit(db, "insights_exported")
    entries = len(current_knowledge_base(PROJECT_ROOT).entries)
    assert [entry.detail for entry in exported] == [
        {"page": "entries", "days": 7, "language": "uk", "sort": "title", "dir": "asc",
         "rows": entries},
    ]  # fmt: skip


async def test_an_editor_sees_what_is_due_for_review(
    old_client: httpx.AsyncClient, db: Sessions
) -> None:
    await editor(db, old_client)
    page = await old_client.get("/staff/insights/review")
    assert page.status_code == 200
    assert "<h1>Antwoorden die gecontroleerd moeten worden</h1>" in page.text
    today = utcnow().date()
    bank_due = add_months(today - dt.timedelta(days=200), 6)
    doctor_due = add_months(today - dt.timedelta(days=170), 6)
    table = page.text.split('<table class="review-due">')[1].split("</table>")[0]
    assert table.index(BANK) < table.index(DOCTOR)  # the most overdue first
    assert table.count('<th scope="row">') == 2  # the real entries were checked this month
    assert f'<span class="badge badge-overdue">{(today - bank_due).days}</span>' in table
    assert f"over {(doctor_due - today).days} dagen" in table
    assert "=HYPERLINK" in table  # shown as text on the page (escaped by the template)
    assert '<code class="path">faq/money/money_bank_account.yml</code>' in table
    sources = page.text.split('<table class="review-sources">')[1]
    assert '<code class="path">faq/local/almere/money/money_bijstand.yml</code>' in sources
    assert "Startpagina" in sources
    assert "Niet bevestigd" in sources
    assert 'aria-current="page"' in page.text
    assert "Er is nog nooit gecontroleerd of de bronlinks werken." in page.text  # no link check
    assert "<code>make check-links</code>" in page.text  # and how to run one

    export = await old_client.get("/staff/insights/review.csv")
    assert export.headers["content-disposition"] == (
        f'attachment; filename="wegwijs-review-{today.isoformat()}.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    entries = [row for row in rows if row["kind"] == "entry"]
    assert [(row["entry_id"], row["days_overdue"]) for row in entries] == [
        (BANK, str((today - bank_due).days)), (DOCTOR, str((today - doctor_due).days)),
    ]  # fmt: skip
    assert entries[0]["title"].startswith("'=")
    assert entries[0]["file"] == "faq/money/money_bank_account.yml"
    assert entries[1]["days_overdue"].startswith("-")  # a number, not escaped
    assert {row["dead_links"] for row in entries} == {""}  # no link check: unknown, not 0
    marked = [row for row in rows if row["kind"] == "source"]
    assert marked
    assert all(row["source_url"].startswith("https://") for row in marked)
    assert {row["source_review"] for row in marked} == {"homepage", "unconfirmed"}
    viewed, exported = await audit(db, "insights_viewed"), await audit(db, "insights_exported")
    assert [entry.detail["page"] for entry in viewed + exported] == ["review", "review"]
    assert exported[0].detail["entries"] == 2
    assert exported[0].detail["dead_links"] == 0


PAGES = (
    "/staff/insights/entries",
    "/staff/insights/entries.csv",
    "/staff/insights/review",
    "/staff/insights/review.csv",
)


async def test_agents_admins_and_strangers_get_no_numbers(
    client: httpx.AsyncClient, db: Sessions
) -> None:
    await seed_events(db)
    for path in PAGES:
        signed_out = await client.get(path, headers={"accept": "text/html"})
        assert signed_out.status_code == 303
        assert signed_out.headers["location"].startswith("/staff/sign-in")
        assert (await client.get(path, headers={"accept": "*/*"})).status_code == 401
    for number, roles in enumerate(([Role.agent], [Role.admin], [Role.agent, Role.admin])):
        user = await make_staff(db, roles=roles, email=f"a{number}@almere.example")
        assert (await sign_in(client, email=user.email)).status_code == 303
        home = await client.get("/staff/")
        assert "/staff/insights/entries" not in home.text  # no editors' menu
        for path in PAGES:
            refused = await client.get(path)
            assert refused.status_code == 403, path
            assert "Huisarts" not in refused.text
            assert "text/csv" not in refused.headers["content-type"]
            assert "attachment" not in refused.headers.get("content-disposition", "")
            as_script = await client.get(path, headers={"accept": "application/json"})
            assert as_script.json() == {"error": "forbidden", "reason": "role"}
        await client.post("/staff/sign-out", data={})
        client.cookies.clear()
    assert await audit(db, "insights_viewed") == []
    assert await audit(db, "insights_exported") == []
