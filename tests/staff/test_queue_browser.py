"""The queue in a real headless Chromium: a new ticket and a colleague's claim show up
without reloading and are announced in the live region; the page is axe clean and every
control is reached by keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Ticket
from bot.escalation import desk, tickets
from bot.escalation.tickets import ExcerptLine
from bot.staff.roles import Role
from bot.staff.routes import queue
from tests.staff.conftest import SignedInPage
from tests.staff.support import StaffSite
from tests.staff.test_browser import accessible, tab_reaches_every_control

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture(autouse=True)
def fast_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queue, "POLL_SECONDS", 0.2)


async def new_ticket(sessions: Sessions) -> Ticket:
    async with sessions.begin() as session:
        return await tickets.create_ticket(
            session, conversation_id="we-1", channel="telegram", language="uk",
            question="Де я можу жити?", excerpt=[ExcerptLine("newcomer", "Де я можу жити?")],
            topic="housing", urgent=True,
        )  # fmt: skip


def test_the_queue_updates_live(site: StaffSite, signed_in_page: SignedInPage) -> None:
    page = signed_in_page(email="anna@almere.example", name="Anna", roles=[Role.agent])
    page.get_by_role("link", name="Wachtrij").press("Enter")
    expect(page.get_by_role("heading", name="Wachtrij")).to_be_visible()
    expect(page.get_by_text("Er zijn geen tickets met deze filters.")).to_be_visible()
    expect(page.locator("#queue-live")).to_have_attribute("data-state", "live")
    expect(page.get_by_text("Live: de lijst wordt vanzelf bijgewerkt.")).to_be_visible()
    accessible(page)
    tab_reaches_every_control(page)

    made: Ticket = site.run(new_ticket)
    shown = tickets.display_code(made.code)
    link = page.get_by_role("link", name=f"Ticket {shown} openen")
    expect(link).to_be_visible(timeout=10_000)
    assert link.get_attribute("href") == f"/staff/tickets/{made.code}"
    expect(page.get_by_role("status")).to_have_text(f"Nieuw ticket {shown}")
    expect(page.locator("#queue-count")).to_have_text("1 ticket")
    expect(page.get_by_text("Dringend", exact=True)).to_be_visible()

    async def bas_claims(sessions: Sessions) -> None:
        async with sessions.begin() as session:
            await desk.claim(session, ticket_id=made.id, staff="Bas Jansen #web99")

    site.run(bas_claims)
    expect(page.get_by_role("status")).to_have_text(f"{shown} opgepakt door Bas Jansen")
    row = page.get_by_role("row", name=re.compile(shown))
    expect(row.get_by_role("cell", name="Bas Jansen")).to_be_visible()
    expect(row).to_contain_text("Opgepakt")
    accessible(page)
    tab_reaches_every_control(page)


def test_filters_work_without_script_and_the_editor_has_no_link(
    site: StaffSite, signed_in_page: SignedInPage
) -> None:
    site.run(new_ticket)
    editor = signed_in_page(email="ed@almere.example", name="Ed", roles=[Role.editor])
    expect(editor.get_by_role("link", name="Wachtrij")).to_have_count(0)
    page = signed_in_page(email="eva@almere.example", name="Eva", roles=[Role.admin])
    page.goto(f"{site.url}/staff/queue")
    page.get_by_label("Taal").select_option("en")
    page.get_by_role("button", name="Filter toepassen").press("Enter")
    page.wait_for_url(re.compile(r"language=en"))
    expect(page.get_by_text("Er zijn geen tickets met deze filters.")).to_be_visible()
    expect(page.get_by_label("Taal")).to_have_value("en")
    accessible(page)
