"""The staff workspace on the whole stack: the real Rasa, action server and gateway, the fake
Bot API standing in for Telegram and the fake LibreTranslate for the translation engine.

- A Telegram newcomer's Ukrainian question is answered from the browser in Dutch: the answer
  arrives through the Bot API in Ukrainian, marked as translated by a computer.
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

from bot.db.models import Ticket
from bot.db.session import make_engine, make_sessionmaker
from bot.db.staff_models import StaffUser
from bot.escalation.tickets import normalize_code
from tests.e2e.test_escalation_telegram import (
    LEASE_SECONDS,
    STAFF_CHAT,
    EscalationStack,
    new_newcomer,
)
from tests.fake_libretranslate import FakeLibreTranslate, running_fake
from tests.fake_telegram import FakeTelegram
from tests.staff.support import PASSWORD, csrf_of, form_token_of, make_staff

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
