"""The trends page in a real headless Chromium: the charts are drawn, their numbers open as
tables by keyboard, the filters work without a mouse, and the page is axe clean — in Dutch
and in English."""

from __future__ import annotations

from playwright.sync_api import expect

from bot.db.models import utcnow
from bot.staff.roles import Role
from tests.staff.conftest import SignedInPage
from tests.staff.support import StaffSite
from tests.staff.test_browser import accessible, tab_reaches_every_control
from tests.staff.test_trends_http import events, ticket


def test_an_editor_reads_the_trends_by_keyboard(
    site: StaffSite, signed_in_page: SignedInPage
) -> None:
    today = utcnow().date()
    site.run(lambda db: events(db, [
        (today, "uk", "answered", "money_leefgeld", ""),
        (today, "uk", "asked", None, "housing_private_rental"),
        (today, "nl", "answered", "health_huisarts", ""),
    ]))  # fmt: skip
    site.run(lambda db: ticket(db, day=today, answered_after=1, promised_after=24))
    page = signed_in_page(email="eva@almere.example", name="Eva", roles=[Role.editor])
    page.goto(f"{site.url}/staff/insights/trends")
    expect(page.get_by_role("heading", level=1)).to_have_text("Trends in vragen")
    expect(
        page.get_by_role("img", name="Staafdiagram van de vragen per week, per taal")
    ).to_be_visible()
    expect(page.get_by_text("Aantal vragen in 13 weken: 3.", exact=False)).to_be_visible()
    accessible(page)
    tab_reaches_every_control(page)

    numbers = page.get_by_text("Toon de getallen als tabel").first
    numbers.focus()
    page.keyboard.press("Enter")
    table = page.get_by_role("table", name="Vragen per week")
    expect(table).to_be_visible()
    expect(table.get_by_role("row").last).to_contain_text("2")  # this week: uk 2, nl 1, total 3
    expect(table.get_by_role("row").last.get_by_role("cell").last).to_have_text("3")
    accessible(page)

    page.get_by_label("Taal van de nieuwkomer").select_option("nl")
    page.get_by_label("Periode", exact=True).select_option("28")
    page.get_by_role("button", name="Toon").press("Enter")
    expect(page.get_by_text("Aantal vragen in 4 weken: 1.", exact=False)).to_be_visible()
    assert "language=nl" in page.url
    assert "days=28" in page.url
    accessible(page)


def test_the_trends_in_english(site: StaffSite, signed_in_page: SignedInPage) -> None:
    page = signed_in_page(
        email="sam@almere.example", name="Sam", roles=[Role.editor], language="en"
    )
    page.goto(f"{site.url}/staff/insights/trends")
    expect(page.get_by_role("heading", level=1)).to_have_text("Trends in questions")
    expect(page.get_by_text("No questions in this period.")).to_be_visible()
    accessible(page)
