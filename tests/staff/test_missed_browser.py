"""The editors' page of missed questions in a real headless Chromium: an editor reaches the
groups and the CSV export by keyboard, the page is axe clean, and an agent is refused."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from playwright.sync_api import expect

from bot.faq.search import EntrySearch
from bot.staff.roles import Role
from tests.kbsearch_support import entry_search
from tests.staff.conftest import SignedInPage
from tests.staff.missed_support import BANK, SCHOOL, STAFF_ANSWER, redacted, seed_missed
from tests.staff.support import StaffSite
from tests.staff.test_browser import accessible, tab_reaches_every_control

__all__ = ["entry_search"]


def focused_text(page: object) -> str:
    return str(page.evaluate("() => document.activeElement.textContent.trim()"))  # type: ignore[attr-defined]


def test_an_editor_reaches_the_groups_and_the_export_by_keyboard(
    site: StaffSite, signed_in_page: SignedInPage, entry_search: EntrySearch
) -> None:
    assert site.app is not None
    site.app.state.entry_search = entry_search
    site.run(seed_missed)
    page = signed_in_page(email="eva@almere.example", name="Eva", roles=[Role.editor])
    page.goto(f"{site.url}/staff/insights/missed")
    expect(
        page.get_by_role("heading", level=1, name="Wat nieuwkomers vroegen en de bot miste")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Groep 1: 6 vragen")).to_be_visible()
    expect(page.get_by_role("link", name="Groep 2: 6 vragen")).to_be_visible()
    # Both have 6 (the bank card's with the newest message, first)
    expect(page.get_by_role("region", name="Groep 1")).to_contain_text(redacted(BANK[2][1]))
    group = page.get_by_role("region", name="Groep 2")
    expect(group).to_contain_text(SCHOOL[0][1])
    week_table = group.get_by_role("table", name="Per week")
    # The six may straddle a week's start (weeks begin Monday 00:00 UTC): they add up to 6.
    counts = week_table.get_by_role("row", name=re.compile("Aantal")).get_by_role("cell")
    expect(counts.first).to_be_visible()
    assert sum(int(cell) for cell in counts.all_inner_texts()) == 6
    accessible(page)
    tab_reaches_every_control(page)

    # By keyboard: the period filter, then to the second group and into it
    page.locator("body").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if focused_text(page) == "Groep 2: 6 vragen":
            break
    else:
        raise AssertionError("the keyboard never reached the second group")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#group-2$"))
    expect(group).to_be_focused()

    page.locator("body").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if focused_text(page) == "Download de groepen als CSV":
            break
    else:
        raise AssertionError("the keyboard never reached the export")
    with page.expect_download() as made:
        page.keyboard.press("Enter")
    download = made.value
    assert download.suggested_filename == "wegwijs-missed-30d.csv"
    content = Path(download.path()).read_text(encoding="utf-8-sig")
    assert redacted(BANK[0][1]) in content

    # The filter form, by keyboard too
    page.get_by_label("Taal").select_option("nl")
    page.get_by_role("button", name="Toon").press("Enter")
    expect(page).to_have_url(re.compile(r"language=nl"))
    expect(
        page.get_by_text(re.compile(r"^\d+ gemiste vragen in de laatste 30 dagen: \d+ nl$"))
    ).to_be_visible()
    accessible(page)


def test_an_agent_is_refused_the_page(
    site: StaffSite, signed_in_page: SignedInPage, entry_search: EntrySearch
) -> None:
    assert site.app is not None
    site.app.state.entry_search = entry_search
    site.run(seed_missed)
    page = signed_in_page(email="anna@almere.example", name="Anna", roles=[Role.agent])
    answer = page.goto(f"{site.url}/staff/insights/missed")
    assert answer is not None
    assert answer.status == 403
    expect(page.get_by_role("heading", name="Geen toegang")).to_be_visible()
    assert SCHOOL[0][1] not in page.content()
    accessible(page)


def test_an_editor_starts_a_draft_from_a_group(
    site: StaffSite, signed_in_page: SignedInPage, entry_search: EntrySearch
) -> None:
    assert site.app is not None
    site.app.state.entry_search = entry_search
    site.run(seed_missed)
    page = signed_in_page(email="eva@almere.example", name="Eva", roles=[Role.editor])
    page.goto(f"{site.url}/staff/insights/missed")
    button = page.get_by_role("button", name="Maak een concept voor de kennisbank van groep 1")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Concepten voor de kennisbank")
    notice = page.get_by_role("status").filter(has_text="is gemaakt")
    expect(notice).to_be_visible()
    accessible(page)
    tab_reaches_every_control(page)
    [path] = sorted(site.settings.effective_drafts_dir.glob("*.yml"))
    expect(page.get_by_text(path.stem, exact=False).first).to_be_visible()
    draft = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert draft["topic"] == "money"  # the bank card group: the bot offered money_bank_account
    assert draft["questions"]["uk"] == [redacted(BANK[1][1]), redacted(BANK[0][1])]
    assert redacted(BANK[2][1]) in draft["questions"]["nl"]
    assert "NL91ABNA0417164300" not in path.read_text(encoding="utf-8")
    assert draft["answer"]["nl"] == redacted(STAFF_ANSWER)  # what staff answered, redacted
    assert "0201234567" not in path.read_text(encoding="utf-8")
