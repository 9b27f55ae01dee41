"""How each entry does and the entries due for review, in a real headless Chromium: an editor
sorts the table and downloads the CSV by keyboard alone, the chart is drawn with its name,
the review page shows the last link check's dead sources (or how to run one), both pages
are axe clean, and an agent is refused."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from bot.staff.roles import Role
from tests.staff.conftest import SignedInPage
from tests.staff.insights_support import seed_events
from tests.staff.support import StaffSite
from tests.staff.test_browser import accessible, tab_reaches_every_control
from tests.staff.test_review_links_http import a_check, seed

NEIGHBOURS_NL = "Problemen met je buren: wat kun je doen?"
MAX_TABS = 200


def tab_to(page: Page, target: Locator) -> int:
    """Presses Tab from the top of the page until `target` has the focus; the presses."""
    page.locator("body").focus()
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return presses
    raise AssertionError(f"Tab never reached {target}")


def test_an_editor_sorts_and_exports_by_keyboard(
    site: StaffSite, signed_in_page: SignedInPage
) -> None:
    site.run(seed_events)
    page = signed_in_page(email="eva@almere.example", name="Eva", roles=[Role.editor])
    page.goto(f"{site.url}/staff/insights/entries")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hoe elk antwoord het doet")
    chart = page.get_by_role(
        "img", name="Staafdiagram van nuttig en niet nuttig per antwoord, de slechtste eerst"
    )
    expect(chart).to_be_visible()
    table = page.get_by_role("table", name="Antwoorden, gesorteerd op Aandeel niet nuttig")
    expect(table.get_by_role("row").nth(1)).to_contain_text("Huisarts")  # the worst first
    expect(page.get_by_role("link", name="Antwoorden", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    accessible(page)
    tab_reaches_every_control(page)

    answered = table.get_by_role("link", name="Beantwoord", exact=True)
    tab_to(page, answered)
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/insights/entries?*sort=answered*")
    table = page.get_by_role("table", name="Antwoorden, gesorteerd op Beantwoord (aflopend)")
    expect(table.get_by_role("columnheader", name="Beantwoord")).to_have_attribute(
        "aria-sort", "descending"
    )
    expect(table.get_by_role("row").nth(1).get_by_role("rowheader")).to_have_text(NEIGHBOURS_NL)
    accessible(page)

    # the same header again: the other way round
    tab_to(page, table.get_by_role("link", name="Beantwoord", exact=True))
    page.keyboard.press("Enter")
    page.wait_for_url("**dir=asc*")
    table = page.get_by_role("table", name="Antwoorden, gesorteerd op Beantwoord (oplopend)")
    expect(table.get_by_role("row").last.get_by_role("rowheader")).to_have_text(NEIGHBOURS_NL)

    tab_to(page, page.get_by_role("link", name="Download als CSV (spreadsheet)"))
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    saved = download.value
    assert saved.suggested_filename.endswith("-30d.csv")
    content = Path(saved.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbfentry_id,topic,title,answered")
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[-1].startswith("housing_neighbours,housing,")  # sorted as the page was


def test_an_editor_reads_what_is_due_for_review(
    site: StaffSite, signed_in_page: SignedInPage
) -> None:
    page = signed_in_page(
        email="sam@almere.example", name="Sam", roles=[Role.editor], language="en"
    )
    page.goto(f"{site.url}/staff/insights/review")
    expect(page.get_by_role("heading", level=1)).to_have_text("Entries due for review")
    expect(page.get_by_role("table", name="Sources marked for review")).to_be_visible()
    expect(page.get_by_text("No link check has run yet.")).to_be_visible()
    expect(
        page.get_by_role("heading", level=2, name="Source links that do not answer")
    ).to_be_visible()
    accessible(page)
    tab_reaches_every_control(page)
    # after `wegwijs check-links` saved a run: the links that did not answer, per entry
    site.run(lambda sessions: seed(sessions, a_check()))
    page.reload()
    dead = page.get_by_role(
        "table", name="Source links that did not answer at the last check, by entry"
    )
    expect(
        dead.get_by_role("row", name=re.compile("Opening a Dutch bank account"))
    ).to_contain_text("error code 404")
    expect(page.get_by_text(re.compile(r"^3 of \d+ source links did not answer"))).to_be_visible()
    due = page.get_by_role("table", name=re.compile("^Entries due for review"))
    expect(due.get_by_role("columnheader", name="Source links not answering")).to_be_visible()
    accessible(page)
    tab_reaches_every_control(page)
    page.goto(f"{site.url}/staff/insights/entries")
    expect(page.get_by_role("heading", level=1)).to_have_text("How each entry does")
    expect(page.get_by_text("No entries with feedback in this period.")).to_be_visible()
    accessible(page)


def test_an_agent_is_refused(site: StaffSite, signed_in_page: SignedInPage) -> None:
    site.run(seed_events)
    page = signed_in_page(email="ali@almere.example", name="Ali", roles=[Role.agent])
    expect(page.get_by_role("link", name="Antwoorden", exact=True)).to_have_count(0)
    for path in ("/staff/insights/entries", "/staff/insights/review"):
        answer = page.goto(f"{site.url}{path}")
        assert answer is not None
        assert answer.status == 403
        expect(page.get_by_role("heading", level=1)).to_have_text("Geen toegang")
        expect(page.get_by_role("table")).to_have_count(0)
        accessible(page)
