"""The workspace's pages in a real headless Chromium (as tests/e2e/test_widget.py runs it):
invitation, sign-in and admin pages by keyboard only, with visible focus, axe clean."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from bot.staff.roles import Role
from tests.e2e.test_widget import AXE, serious_violations
from tests.staff.conftest import SignedInPage
from tests.staff.support import PASSWORD, StaffSite, browser_sign_in

# Every control a keyboard user can reach (what Tab must visit).
CONTROLS = (
    "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select, textarea"
)
FOCUS_TRAIL = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  el.dataset.tabSeen = "1";
  // A date input's focus is on one of its parts, which Chromium highlights itself.
  if (el.type === "date") return {tag: el.id, outline: "native", width: "native"};
  const style = getComputedStyle(el);
  return {tag: el.outerHTML.slice(0, 80), outline: style.outlineStyle, width: style.outlineWidth};
}"""
MISSED = """(selector) => [...document.querySelectorAll(selector)]
  .filter((el) => !el.dataset.tabSeen).map((el) => el.outerHTML.slice(0, 80))"""


def tab_reaches_every_control(page: Page) -> None:
    """Tabs from the top of the page: every control is reached, each with a visible focus."""
    expected = page.locator(CONTROLS).count()
    page.locator("body").focus()
    invisible: list[str] = []
    for _ in range(expected * 3 + 5):  # a date input has a stop per part
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_TRAIL)
        if focused is not None and (focused["outline"] == "none" or focused["width"] == "0px"):
            invisible.append(focused["tag"])
    assert page.evaluate(MISSED, CONTROLS) == []
    assert invisible == []


def accessible(page: Page) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run scripts/setup (it runs `npm ci`)")
    assert serious_violations(page) == [], page.url


def test_invitation_sign_in_and_admin_pages_by_keyboard(site: StaffSite, page: Page) -> None:
    link = site.invite_link(email="eva@almere.example", name="Eva", roles=["admin", "agent"])
    page.goto(link)
    expect(page.get_by_role("heading", name="Kies uw wachtwoord")).to_be_visible()
    accessible(page)
    tab_reaches_every_control(page)
    page.get_by_label("Nieuw wachtwoord").fill(PASSWORD)
    page.get_by_label("Herhaal het wachtwoord").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Welkom, Eva.")).to_be_visible()
    accessible(page)
    tab_reaches_every_control(page)

    # Sign out and in again, by keyboard; the sign-in page passes axe too.
    page.get_by_role("button", name="Afmelden").press("Enter")
    expect(page.get_by_text("U bent afgemeld.")).to_be_visible()
    accessible(page)
    tab_reaches_every_control(page)
    browser_sign_in(page, site.url, email="eva@almere.example")

    page.get_by_role("link", name="Gebruikers").press("Enter")
    expect(page.get_by_role("heading", name="Gebruikers")).to_be_visible()
    accessible(page)
    tab_reaches_every_control(page)
    page.get_by_label("Naam", exact=True).fill("Anna de Vries")
    page.get_by_label("E-mailadres").fill("anna@almere.example")
    page.get_by_role("button", name="Account maken en uitnodigen").press("Enter")
    expect(page.get_by_text("Uitnodiging voor Anna de Vries.")).to_be_visible()
    assert "/staff/invite/" in page.locator(".notice code").inner_text()

    page.get_by_role("link", name="Auditlog").press("Enter")
    expect(page.get_by_role("heading", name="Auditlog")).to_be_visible()
    expect(page.get_by_role("cell", name="user_created")).to_be_visible()
    accessible(page)
    tab_reaches_every_control(page)

    page.get_by_role("link", name="Profiel").press("Enter")
    page.get_by_label("Engels").check()
    page.get_by_role("button", name="Opslaan").press("Enter")
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    accessible(page)


def test_an_agent_sees_no_admin_page(site: StaffSite, signed_in_page: SignedInPage) -> None:
    page = signed_in_page(email="anna@almere.example", name="Anna", roles=[Role.agent])
    expect(page.get_by_role("link", name="Gebruikers")).to_have_count(0)
    answer = page.goto(f"{site.url}/staff/admin/users")
    assert answer is not None
    assert answer.status == 403
    expect(page.get_by_role("heading", name="Geen toegang")).to_be_visible()
    accessible(page)


def test_the_focus_skip_link_leads_to_main(site: StaffSite, page: Page) -> None:
    page.goto(f"{site.url}/staff/sign-in")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Naar de inhoud")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
