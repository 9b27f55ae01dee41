"""The review page's source links (GET /staff/insights/review + .csv): what the last saved
`wegwijs check-links` found, per entry, with the summary line; an entry with a dead source is
due whatever its date, and listed first; the page says how to run a check when none has.
Only editors see it (tests/staff/test_insights_http.py has the page's other parts)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import PROJECT_ROOT
from bot.faq.link_store import LinkCheckRun, save_link_check
from bot.faq.links import TIMED_OUT, LinkResult, links_by_entry
from bot.insights.knowledge import current_knowledge_base
from bot.insights.review_due import add_months, review_report
from bot.staff.roles import Role
from tests.staff.insights_support import BANK, DOCTOR, NEIGHBOURS
from tests.staff.support import make_staff, sign_in, staff_settings
from tests.staff.test_insights_http import audit

Sessions = async_sessionmaker[AsyncSession]
CHECKED_AT = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.timezone.utc)  # 1 December in Almere


def cited_by() -> dict[str, list[str]]:
    return links_by_entry(current_knowledge_base(PROJECT_ROOT))


def source_of(entry_id: str) -> str:
    """A link only this entry cites where there is one, else its first."""
    cited = [url for url, ids in cited_by().items() if entry_id in ids]
    return next((url for url in cited if cited_by()[url] == [entry_id]), cited[0])


def dead_results() -> dict[str, LinkResult]:
    """BANK's own source gone (404), DOCTOR's (cited by several entries) timed out,
    NEIGHBOURS's refused."""
    bank, doctor, neighbours = source_of(BANK), source_of(DOCTOR), source_of(NEIGHBOURS)
    return {
        bank: LinkResult(bank, 404),
        doctor: LinkResult(doctor, None, TIMED_OUT),
        neighbours: LinkResult(neighbours, None, "ConnectError"),
    }


def added_since() -> str:
    return next(url for url in cited_by() if url not in dead_results())


def a_check(*, leave_out: str | None = None) -> list[LinkResult]:
    """Every cited link answers but the dead ones; `leave_out` was added after the check;
    a link no entry cites any more did not answer."""
    dead = dead_results()
    answered = [dead.get(url, LinkResult(url, 200)) for url in cited_by() if url != leave_out]
    return [*answered, LinkResult("https://www.example.org/no-longer-cited", 404)]


async def seed(db: Sessions, results: list[LinkResult]) -> None:
    async with db.begin() as session:
        await save_link_check(session, results, checked_at=CHECKED_AT)


def dead_entries() -> set[str]:
    return {entry for url in dead_results() for entry in cited_by()[url]}


def test_an_entry_with_a_dead_source_is_due_whatever_its_date() -> None:
    kb = current_knowledge_base(PROJECT_ROOT)
    newest = max(entry.reviewed for entry in kb.entries)
    today = newest + dt.timedelta(days=1)  # nothing is due by its date
    run = LinkCheckRun(CHECKED_AT, {r.url: r for r in a_check(leave_out=added_since())})
    by_date = review_report(kb, today=today, reader="nl")
    assert (by_date.entries, by_date.dead_links, by_date.link_check) == ([], [], None)
    report = review_report(kb, today=today, reader="nl", links=run)
    assert {due.entry_id for due in report.entries} == dead_entries() > {BANK, DOCTOR, NEIGHBOURS}
    assert report.with_dead_links == len(report.entries)
    assert report.overdue == 0
    assert [(link.entry_id, link.url) for link in report.dead_links] == sorted(
        (entry, url) for url in dead_results() for entry in cited_by()[url]
    )
    assert report.link_check is not None
    assert report.link_check.checked_at == CHECKED_AT
    assert report.link_check.checked == len(cited_by()) - 1  # the uncited link not counted
    assert report.link_check.unchecked == 1
    assert report.link_check.dead == 3
    # once every date is due too, the dead sources' entries still come first
    later = review_report(kb, today=add_months(newest, 6) + dt.timedelta(days=1), reader="nl",
                          links=run)  # fmt: skip
    count = len(dead_entries())
    assert {due.entry_id for due in later.entries[:count]} == dead_entries()
    assert not any(due.dead_links for due in later.entries[count:])
    assert len(later.entries) == len(kb.entries)


async def editor(db: Sessions, client: httpx.AsyncClient, *, language: str) -> None:
    email = f"eva-{language}@almere.example"
    await make_staff(db, roles=[Role.editor], email=email, name="Eva", language=language)
    assert (await sign_in(client, email=email)).status_code == 303


def when(tmp_path: Path) -> str:
    zone = ZoneInfo(staff_settings(tmp_path).timezone)
    shown = CHECKED_AT.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
    assert shown == "2026-12-01 00:30 CET"  # the time in the municipality, and which zone
    return shown


async def test_an_editor_sees_the_sources_that_did_not_answer(
    client: httpx.AsyncClient, db: Sessions, tmp_path: Path
) -> None:
    await seed(db, a_check())
    await editor(db, client, language="nl")
    page = await client.get("/staff/insights/review")
    assert page.status_code == 200
    cited = cited_by()
    assert f"Laatste controle, op {when(tmp_path)}: 3 van de {len(cited)} bronlinks zonder" in (
        page.text
    )
    assert "Nog niet gecontroleerd" not in page.text
    assert 'id="links-never"' not in page.text
    assert "<code>make check-links</code>" in page.text  # how to check again
    section = page.text.split('<section aria-labelledby="links-heading">')[1].split("</section>")[0]
    assert '<h2 id="links-heading">Bronlinks die niet werken</h2>' in section
    links = section.split('<table class="review-links">')[1].split("</table>")[0]
    caption = "Bronlinks die niet werkten bij de laatste controle, per antwoord"
    assert f"<caption>{caption}</caption>" in links
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", links, re.S)
    dead = {source_of(BANK): "foutcode 404", source_of(DOCTOR): "geen antwoord op tijd",
            source_of(NEIGHBOURS): "geen antwoord (ConnectError)"}  # fmt: skip
    assert len(rows) == sum(len(cited[url]) for url in dead)  # one per entry citing it
    for url, answer in dead.items():
        shown = [row for row in rows if f"<code>{url}</code>" in row]
        assert len(shown) == len(cited[url])
        assert all(f"<td>{answer}</td>" in row for row in shown)
    assert '<code class="path">faq/money/money_bank_account.yml</code>' in links
    assert "no-longer-cited" not in page.text  # not cited any more: not shown
    due = page.text.split('<table class="review-due">')[1].split("</table>")[0]
    assert '<th scope="col">Bronlinks die niet werkten</th>' in due
    titles = re.findall(r'<th scope="row">(.*?)<br>', due)
    ids = {entry.title.nl: entry.id for entry in current_knowledge_base(PROJECT_ROOT).entries}
    first = [ids[title] for title in titles[: len(dead_entries())]]
    assert set(first) == dead_entries()  # due, whatever their dates, and listed first
    assert '<span class="badge badge-failed">1</span>' in due

    export = await client.get("/staff/insights/review.csv")
    table = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert {"dead_links", "link_status", "link_error", "link_checked_at"} <= set(table[0])
    entries = {row["entry_id"]: row for row in table if row["kind"] == "entry"}
    assert entries[BANK]["dead_links"] == "1"
    assert all(entries[entry_id]["dead_links"] != "" for entry_id in entries)
    exported = [row for row in table if row["kind"] == "dead_link"]
    assert len(exported) == len(rows)
    bank = next(row for row in exported if row["entry_id"] == BANK)
    assert (bank["source_url"], bank["link_status"], bank["link_error"]) == (
        source_of(BANK), "404", "",
    )  # fmt: skip
    assert bank["link_checked_at"] == "2026-11-30T23:30:00+00:00"
    assert bank["file"] == "faq/money/money_bank_account.yml"
    refused = next(row for row in exported if row["source_url"] == source_of(NEIGHBOURS))
    assert (refused["link_status"], refused["link_error"]) == ("", "ConnectError")
    viewed, saved = await audit(db, "insights_viewed"), await audit(db, "insights_exported")
    assert [entry.detail["dead_links"] for entry in viewed + saved] == [len(rows)] * 2


async def test_in_english_with_a_link_added_since(
    client: httpx.AsyncClient, db: Sessions, tmp_path: Path
) -> None:
    await seed(db, a_check(leave_out=added_since()))
    await editor(db, client, language="en")
    page = await client.get("/staff/insights/review")
    checked = len(cited_by()) - 1
    assert (
        f"3 of {checked} source links did not answer at the last check, on {when(tmp_path)}."
        " Not checked yet (added since): 1." in page.text
    )
    assert "<td>error code 404</td>" in page.text
    assert "<td>no answer in time</td>" in page.text


async def test_without_a_check_the_page_says_how_to_run_one(
    client: httpx.AsyncClient, db: Sessions
) -> None:
    await editor(db, client, language="nl")
    page = await client.get("/staff/insights/review")
    assert '<p id="links-never">Er is nog nooit gecontroleerd of de bronlinks werken.</p>' in (
        page.text
    )
    assert "<code>make check-links</code>" in page.text
    assert 'class="review-links"' not in page.text
    assert "Bronlinks die niet werkten</th>" not in page.text  # no column of zeros
    export = await client.get("/staff/insights/review.csv")
    header = export.content.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[-4:] == ["dead_links", "link_status", "link_error", "link_checked_at"]
    assert "dead_link," not in export.text


async def test_an_agent_sees_no_dead_links(client: httpx.AsyncClient, db: Sessions) -> None:
    await seed(db, a_check())
    agent = await make_staff(db, roles=[Role.agent], email="ali@almere.example")
    assert (await sign_in(client, email=agent.email)).status_code == 303
    for path in ("/staff/insights/review", "/staff/insights/review.csv"):
        refused = await client.get(path)
        assert refused.status_code == 403
        assert source_of(BANK) not in refused.text
        assert "attachment" not in refused.headers.get("content-disposition", "")
    assert await audit(db, "insights_viewed") == []
