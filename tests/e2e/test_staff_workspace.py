"""The staff workspace on the whole stack: the real Rasa, action server and gateway, the fake
Bot API standing in for Telegram and the fake LibreTranslate for the translation engine.

- A Telegram newcomer's Ukrainian question is answered from the browser in Dutch: the answer
  arrives through the Bot API in Ukrainian, marked as translated by a computer.
- Two employees in real Chromium: a Ukrainian web newcomer's ticket appears live in both
  queues; Anna reads it in Dutch and claims it, Bram sees the claim; Anna answers in Dutch
  and the newcomer's web conversation shows it in Ukrainian, marked as translated; the audit
  log holds every step.
- One answer goes to three newcomers (uk, en, nl) at once, each in their own language, also
  when the gateway is killed while the first delivery is on its way: each arrives once.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.config import sync_url
from bot.db.models import Ticket
from bot.db.session import make_engine, make_sessionmaker
from bot.db.staff_models import AuditEntry, StaffUser
from bot.escalation.tickets import display_code, normalize_code
from tests.e2e.test_escalation_telegram import (
    LEASE_SECONDS,
    STAFF_CHAT,
    EscalationStack,
    new_newcomer,
)
from tests.e2e.test_escalation_web import CASES, ask_a_person, poll
from tests.fake_libretranslate import FakeLibreTranslate, running_fake
from tests.fake_telegram import FakeTelegram
from tests.staff.conftest import browser, new_page
from tests.staff.support import PASSWORD, browser_sign_in, csrf_of, form_token_of, make_staff
from tests.staff.test_browser import accessible
from tests.support import WebChat

__all__ = ["browser"]  # the staff tests' Chromium

pytestmark = pytest.mark.stack

PREVIEWED = re.compile(r'name="previewed" value="([^"]*)"')
ANSWER_NL = "Bel of Kom naar het Juridisch Loket: https://www.juridischloket.nl"
MACHINE_NOTICE = {
    "uk": "Цю відповідь переклав комп’ютер",
    "en": "A computer translated this answer",
}


@pytest.fixture(scope="module")
def workspace(
    trained_model: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[EscalationStack, FakeLibreTranslate]]:
    fake = FakeTelegram()
    fake.start()
    fake.group(STAFF_CHAT, title="Wegwijs staff")
    with running_fake() as engine:
        running = EscalationStack(
            fake,
            tmp_path_factory,
            environment={"TRANSLATION_URL": engine.url, "STAFF_COOKIE_SECURE": "false"},
        )
        try:
            running.use("sqlite", "")
            yield running, engine
        finally:
            running.close()
            fake.stop()


def add_staff(stack: EscalationStack, **account: Any) -> StaffUser:
    """An account on the stack's database, made as an admin and the employee would."""
    assert stack.stack is not None
    url = stack.stack.settings.effective_database_url

    async def go() -> StaffUser:
        engine = make_engine(url)
        try:
            return await make_staff(make_sessionmaker(engine), **account)
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, go()).result()


def delivered(stack: EscalationStack, code: str, timeout: float = 10.0) -> Ticket:
    """The ticket once its delivery is recorded (just after the last message was sent)."""
    deadline = time.monotonic() + timeout
    while (ticket := stack.ticket(code)[0]).delivery_state != "delivered":
        assert time.monotonic() < deadline, f"{code}: {ticket.delivery_state}"
        time.sleep(0.2)
    return ticket


class Employee:
    """A signed-in employee using the workspace through its forms (as a browser would)."""

    def __init__(self, base_url: str, email: str) -> None:
        self.client = httpx.Client(base_url=base_url, headers={"accept": "text/html"}, timeout=30)
        page = self.client.get("/staff/sign-in")
        signed = self.client.post(
            "/staff/sign-in",
            data={"email": email, "password": PASSWORD, "csrf_token": form_token_of(page.text)},
        )
        assert signed.status_code == 303, signed.text
        self.csrf = csrf_of(self.client.get("/staff/").text)

    def answer(self, code: str, text: str, *, also: tuple[str, ...] = ()) -> httpx.Response:
        stored = normalize_code(code)
        others = [normalize_code(other) for other in also]
        preview = self.client.post(
            f"/staff/tickets/{stored}/preview",
            data={"csrf_token": self.csrf, "text": text, "also": others},
        )
        assert preview.status_code == 200, preview.text
        found = PREVIEWED.search(preview.text)
        assert found is not None
        return self.client.post(
            f"/staff/tickets/{stored}/answer",
            data={"csrf_token": self.csrf, "text": text, "previewed": found[1], "also": others},
        )

    def close(self) -> None:
        self.client.close()


def test_a_telegram_newcomer_is_answered_from_the_browser_in_ukrainian(
    workspace: tuple[EscalationStack, FakeLibreTranslate],
) -> None:
    stack, _engine = workspace
    assert stack.stack is not None
    newcomer = new_newcomer()
    code = stack.escalate(newcomer, "uk")
    add_staff(stack, email="anna@almere.example", name="Anna de Vries")
    anna = Employee(stack.stack.url, "anna@almere.example")
    try:
        page = anna.client.get(f"/staff/tickets/{normalize_code(code)}")
        assert page.status_code == 200
        assert "Vertaald door een computer uit het Oekraïens" in page.text
        before = len(stack.fake.sent_to(newcomer))
        sent = anna.answer(code, ANSWER_NL)
        assert sent.status_code == 303, sent.text
    finally:
        anna.close()
    followup = stack.texts.gateway_text("staff_answer_followup", "uk")
    arrived = stack.fake.wait_for_text(newcomer, followup, after=before, timeout=30)
    answer = next(m["text"] for m in arrived if MACHINE_NOTICE["uk"] in m["text"])
    assert code in answer
    assert "<uk> Зателефонуйте або Приходьте" in answer
    assert "https://www.juridischloket.nl" in answer  # a link survives the translation
    assert ANSWER_NL in answer  # and the employee's own words are under it
    ticket = delivered(stack, code)
    assert ticket.answered_by is not None
    assert ticket.answered_by.startswith("Anna de Vries #web")


def test_one_answer_reaches_three_newcomers_once_each_through_a_killed_gateway(
    workspace: tuple[EscalationStack, FakeLibreTranslate],
) -> None:
    stack, _engine = workspace
    assert stack.stack is not None
    fake = stack.fake
    newcomers = {language: new_newcomer() for language in ("uk", "en", "nl")}
    codes = {language: stack.escalate(user, language) for language, user in newcomers.items()}
    add_staff(stack, email="bram@almere.example", name="Bram Bakker")
    bram = Employee(stack.stack.url, "bram@almere.example")
    before = {language: len(fake.sent_to(user)) for language, user in newcomers.items()}
    held = fake.hold("sendMessage", chat_id=newcomers["uk"])
    try:
        sent = bram.answer(codes["uk"], ANSWER_NL, also=(codes["en"], codes["nl"]))
        assert sent.status_code == 303, sent.text
        assert "count=3" in sent.headers["location"]
    finally:
        bram.close()
    fake.wait_until(lambda: held.arrived >= 1, 30, what="the first answer to be on its way")
    stack.kill_gateway()
    fake.release(held)  # it never reached Telegram
    stack.start_gateway()
    followup = stack.texts.gateway_text
    for language, user in newcomers.items():
        fake.wait_for_text(
            user, followup("staff_answer_followup", language), after=before[language],
            timeout=LEASE_SECONDS + 60,
        )  # fmt: skip
    time.sleep(LEASE_SECONDS + 2)  # time enough for a second delivery, if there were one
    for language, user in newcomers.items():
        texts = [m["text"] for m in fake.sent_to(user)[before[language] :]]
        answers = [text for text in texts if codes[language] in text and ANSWER_NL in text]
        assert len(answers) == 1, (language, texts)
        if language in MACHINE_NOTICE:
            assert MACHINE_NOTICE[language] in answers[0]
            assert f"<{language}> " in answers[0]
        else:
            assert MACHINE_NOTICE["uk"] not in answers[0]  # written in Dutch, sent as written
        assert texts.count(followup("staff_answer_followup", language)) == 1
        delivered(stack, codes[language])
        _ticket, jobs, _posts = stack.ticket(codes[language])
        assert [job.kind for job in jobs].count("deliver_answer") == 1


def audit_of(stack: EscalationStack) -> list[tuple[str, str | None]]:
    assert stack.stack is not None
    engine = create_engine(sync_url(stack.stack.settings.effective_database_url, driver="psycopg"))
    try:
        with Session(engine) as session:
            rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            return [(row.action, row.target) for row in rows]
    finally:
        engine.dispose()


def test_two_employees_work_a_ukrainian_web_question_live_in_dutch(
    workspace: tuple[EscalationStack, FakeLibreTranslate], browser: Browser
) -> None:
    stack, _engine = workspace
    assert stack.stack is not None
    url = stack.stack.url
    add_staff(stack, email="anna.live@almere.example", name="Anna Live")
    add_staff(stack, email="bram.live@almere.example", name="Bram Live")
    anna, anna_errors = new_page(browser)
    bram, bram_errors = new_page(browser)
    chat = WebChat(url)
    try:
        for page, email in ((anna, "anna.live@almere.example"), (bram, "bram.live@almere.example")):
            browser_sign_in(page, url, email=email)
            page.goto(f"{url}/staff/queue")
            expect(page.locator("#queue-live")).to_have_attribute("data-state", "live")

        chat.start()
        code = ask_a_person(chat, CASES["uk"])
        stored = normalize_code(code)
        for page in (anna, bram):  # without a reload
            expect(page.get_by_role("link", name=f"Ticket {code} openen")).to_be_visible(
                timeout=15_000
            )

        anna.get_by_role("link", name=f"Ticket {code} openen").press("Enter")
        expect(anna.get_by_role("heading", level=1)).to_contain_text(display_code(stored))
        expect(
            anna.get_by_text("Vertaald door een computer uit het Oekraïens").first
        ).to_be_visible()
        expect(anna.locator("blockquote .translated").first).to_contain_text("<nl>")
        accessible(anna)
        anna.get_by_role("button", name="Ik pak deze vraag op").press("Enter")
        expect(anna.get_by_text("U hebt de vraag opgepakt.")).to_be_visible()

        row = bram.get_by_role("row", name=re.compile(code))
        expect(row).to_contain_text("Anna Live", timeout=15_000)
        expect(row).to_contain_text("Opgepakt")

        anna.get_by_label("Uw antwoord").fill(ANSWER_NL)
        anna.get_by_role("button", name="Bekijk de vertaling").press("Enter")
        expect(anna.locator("#preview")).to_contain_text("<uk> Зателефонуйте або Приходьте")
        anna.get_by_role("button", name="Verstuur dit antwoord").press("Enter")
        expect(anna.get_by_text("Het antwoord is verstuurd.")).to_be_visible()

        data = poll(chat, wait=20)
        staff_message = next(m for m in data["messages"] if m["sender"] == "staff")
        assert staff_message["language"] == "uk"
        assert "<uk> Зателефонуйте або Приходьте" in staff_message["text"]
        assert MACHINE_NOTICE["uk"] in staff_message["text"]
        assert ANSWER_NL in staff_message["text"]  # the original, one look away
    finally:
        chat.close()
        anna.context.close()
        bram.context.close()
    assert anna_errors == []
    assert bram_errors == []
    steps = audit_of(stack)
    target = f"ticket:{stored}"
    for step in (("ticket_opened", target), ("ticket_claimed", target),
                 ("answer_previewed", target), ("ticket_answered", target)):  # fmt: skip
        assert step in steps, step
    assert sum(1 for action, _ in steps if action == "sign_in") >= 2
    assert sum(1 for action, _ in steps if action == "queue_viewed") >= 2


def test_a_foreign_page_cannot_post_to_the_workspace_but_its_own_pages_can(
    workspace: tuple[EscalationStack, FakeLibreTranslate],
) -> None:
    stack, _engine = workspace
    assert stack.stack is not None
    url = stack.stack.url
    with httpx.Client(base_url=url, headers={"accept": "text/html"}) as client:
        page = client.get("/staff/sign-in")
        form = {
            "email": "x@almere.example",
            "password": "wrong",
            "csrf_token": form_token_of(page.text),
        }
        foreign = client.post(
            "/staff/sign-in", data=form, headers={"origin": "https://evil.example"}
        )
        assert foreign.status_code == 403
        assert foreign.json()["error"]["code"] == "origin_not_allowed"
        hidden = client.post("/staff/sign-in", data=form, headers={"origin": "null"})
        assert hidden.status_code == 403
        own = client.post("/staff/sign-in", data=form, headers={"origin": url})
        assert own.status_code != 403  # it reached the sign-in (and the password was wrong)
        assert "origin_not_allowed" not in own.text
