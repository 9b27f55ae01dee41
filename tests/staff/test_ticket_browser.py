"""The ticket page in a real headless Chromium, by keyboard, axe clean: an agent reads a
Ukrainian question in Dutch, claims it, checks the translation of the answer and sends it;
with the real entry search, one knowledge-base answer goes to three newcomers at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bot.faq.search import EntrySearch
from bot.staff.roles import Role
from tests.fake_libretranslate import FakeLibreTranslate, running_fake
from tests.kbsearch_support import entry_search
from tests.staff.conftest import SignedInPage
from tests.staff.support import StaffSite
from tests.staff.test_browser import accessible, tab_reaches_every_control
from tests.staff.ticket_support import new_ticket, ticket_now

__all__ = ["entry_search"]


@pytest.fixture
def engine() -> Iterator[FakeLibreTranslate]:
    with running_fake() as server:
        yield server


@pytest.fixture
def site(tmp_path: Path, engine: FakeLibreTranslate) -> Iterator[StaffSite]:
    with StaffSite(tmp_path, TRANSLATION_URL=engine.url) as running:
        assert running.app is not None
        running.app.state.entry_search = None
        yield running


def test_an_agent_reads_claims_previews_and_answers_by_keyboard(
    site: StaffSite, signed_in_page: SignedInPage
) -> None:
    ticket = site.run(lambda sessions: new_ticket(sessions, urgent=True))
    page: Page = signed_in_page(email="anna@almere.example", name="Anna", roles=[Role.agent])
    page.goto(f"{site.url}/staff/tickets/{ticket.code}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dringend")
    question = page.locator("blockquote .translated").first
    expect(question).to_have_text("<nl> Waar мені зареєструватися в Almere? Mijn code K7MQ4X.")
    original = page.locator("blockquote details").first
    original.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(original.locator(".original")).to_be_visible()
    accessible(page)
    tab_reaches_every_control(page)

    page.get_by_role("button", name="Ik pak deze vraag op").press("Enter")
    expect(page.get_by_text("U hebt de vraag opgepakt.")).to_be_visible()
    expect(page.get_by_text("U hebt deze vraag opgepakt. Collega's zien dat.")).to_be_visible()

    page.get_by_label("Uw antwoord").fill("Bel of Kom naar het stadhuis.")
    page.get_by_role("button", name="Bekijk de vertaling").press("Enter")
    preview = page.locator("#preview")
    expect(preview).to_contain_text("Dit leest de nieuwkomer (Oekraïens):")
    expect(preview).to_contain_text("<uk> Зателефонуйте або Приходьте")
    expect(preview).to_contain_text("Terugvertaald in uw taal")
    accessible(page)
    page.get_by_role("button", name="Verstuur dit antwoord").press("Enter")
    expect(page.get_by_text("Het antwoord is verstuurd.")).to_be_visible()
    expect(page.get_by_text("Beantwoord door")).to_be_visible()
    accessible(page)
    stored = site.run(lambda sessions: ticket_now(sessions, ticket.id))
    assert stored.state == "answered"
    assert stored.answer_machine_translated


def test_one_entry_answers_three_newcomers_in_their_languages(
    site: StaffSite, signed_in_page: SignedInPage, entry_search: EntrySearch
) -> None:
    assert site.app is not None
    site.app.state.entry_search = entry_search
    asked = {
        "uk": "Як отримати номер BSN?",
        "en": "How do I get a BSN number?",
        "nl": "Hoe krijg ik een BSN-nummer?",
    }
    made = {
        language: site.run(
            lambda sessions, q=question, lang=language: new_ticket(
                sessions, question=q, language=lang, conversation_id=f"we-{lang}"
            )
        )
        for language, question in asked.items()
    }
    page: Page = signed_in_page(email="anna@almere.example", name="Anna", roles=[Role.agent])
    page.goto(f"{site.url}/staff/tickets/{made['uk'].code}")
    legend = page.get_by_text("Stuur hetzelfde antwoord ook naar")
    expect(legend).to_be_visible()
    for language in ("en", "nl"):
        page.locator(f"#also-{made[language].code}").check()
    page.get_by_label("Uw antwoord").fill("Een concept dat blijft staan.")
    page.get_by_label("Zoek in de kennisbank").fill("BSN aanvragen")
    page.keyboard.press("Enter")
    # Only the results are replaced: the ticks and the draft stay, focus goes to the results.
    choice = page.locator("input[name=entry_id][value=registration_bsn]")
    expect(choice).to_have_count(1)
    expect(page.locator("#entry-results")).to_be_focused()
    assert page.url.endswith("?q=BSN+aanvragen")
    for language in ("en", "nl"):
        expect(page.locator(f"#also-{made[language].code}")).to_be_checked()
    expect(page.get_by_label("Uw antwoord")).to_have_value("Een concept dat blijft staan.")
    page.get_by_label("Zoek in de kennisbank").fill("")
    page.get_by_label("Zoek in de kennisbank").fill("BSN aanvragen")
    page.keyboard.press("Enter")
    expect(choice).to_have_count(1)
    choice.check()
    accessible(page)
    page.get_by_role("button", name="Verstuur het gekozen antwoord").press("Enter")
    expect(page.get_by_text("Het antwoord is naar 3 nieuwkomers verstuurd")).to_be_visible()
    for language, ticket in made.items():
        stored = site.run(lambda sessions, t=ticket: ticket_now(sessions, t.id))
        assert stored.state == "answered", language
        assert stored.answer_entry_id == "registration_bsn"
        assert not stored.answer_machine_translated
    uk = site.run(lambda sessions: ticket_now(sessions, made["uk"].id))
    assert "Джерела" in (uk.answer or "")
