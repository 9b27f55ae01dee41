"""Escalation through Telegram end to end: the real Rasa server, action server and gateway, real
python-telegram-bot, and the fake Bot API (tests/fake_telegram.py) standing in for Telegram.

A newcomer in a private chat asks for a person, consents with the inline buttons and gets a
code; the ticket is posted once in the staff group; a staff member claims it with the button
and answers by replying to the post; the newcomer gets the answer, marked as coming from a
municipal employee, and "did this solve your question?"; "yes" closes the ticket. Then the
gateway is killed (SIGKILL) while the staff post, and later the answer, is on its way, and
restarted: each still arrives, exactly once. On SQLite, and on PostgreSQL where reachable.

One stack at a time for the module (Rasa starts are slow): SQLite first, then PostgreSQL.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.config import PROJECT_ROOT, sync_url
from bot.db.models import OutboxJob, StaffPost, Ticket
from bot.escalation.tickets import display_code, normalize_code
from bot.texts import Texts, load_texts
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.support import Stack, stack_settings

pytestmark = pytest.mark.stack

STAFF_CHAT = -1001777000001
ANNA = 6_100_001  # a staff member
LEASE_SECONDS = 3  # a killed gateway's job is taken over this soon after
CODE = re.compile(r"\b([A-Z0-9]{3}-[A-Z0-9]{3})\b")
QUESTIONS = {
    "uk": "орендодавець каже, що наступного тижня я маю виїхати з будинку, що робити",
    "en": "my landlord says I must leave the house next week, what can I do",
    "nl": "mijn verhuurder zegt dat ik volgende week uit het huis moet, wat kan ik doen",
}
ANSWERS = {
    "uk": "Go to the Juridisch Loket (free legal advice): https://www.juridischloket.nl",
    "en": "Please call the Juridisch Loket, 0800 8020, for free legal advice.",
    "nl": "Bel het Juridisch Loket (0800 8020) voor gratis juridisch advies.",
}
_user_ids = itertools.count(842_000_000_001, 7919)
NEWCOMERS: list[int] = []


def new_newcomer() -> int:
    NEWCOMERS.append(next(_user_ids))
    return NEWCOMERS[-1]


def buttons_of(message: dict[str, Any]) -> dict[str, str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return {button["text"]: button["callback_data"] for row in rows for button in row}


class EscalationStack:
    """The module's fake Telegram and its one running stack (switched by database)."""

    def __init__(
        self,
        fake: FakeTelegram,
        tmp: pytest.TempPathFactory,
        environment: dict[str, str] | None = None,
    ) -> None:
        self.fake = fake
        self.environment = environment or {}  # more variables (the staff workspace's tests)
        self.tmp = tmp
        self.database = ""
        self.stack: Stack | None = None
        self.texts: Texts = load_texts(PROJECT_ROOT)

    def use(self, database: str, url: str) -> EscalationStack:
        if database == self.database:
            return self
        self.close()
        self.stack = Stack(
            stack_settings(self.tmp.mktemp(f"escalation-{database}"), database_url=url)
        )
        self.stack.environment = {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": self.fake.base_url,
            "TELEGRAM_MODE": "polling",
            "TELEGRAM_STAFF_CHAT_IDS": str(STAFF_CHAT),
            "STAFF_LANGUAGE": "en",
            "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
            "OUTBOX_POLL_SECONDS": "0.2",
            **self.environment,
        }
        mark = len(self.fake.calls)
        self.stack.start()
        self._wait_polling(mark)
        self.database = database
        return self

    def close(self) -> None:
        if self.stack is not None:
            self.stack.stop()
        self.stack, self.database = None, ""

    def kill_gateway(self) -> None:
        assert self.stack is not None
        self.stack.stop(("gateway",), hard=True)

    def start_gateway(self) -> None:
        assert self.stack is not None
        mark = len(self.fake.calls)
        self.stack.start(("gateway",))
        self._wait_polling(mark)

    def _wait_polling(self, mark: int) -> None:
        self.fake.wait_until(
            lambda: any(c.method == "getUpdates" for c in self.fake.calls[mark:]),
            60,
            what="the bot to poll",
        )

    # --- the newcomer ---------------------------------------------------------------------

    def say(self, user: int, text: str, language: str) -> list[dict[str, Any]]:
        """Sends a message; returns what the bot sent back, once it has answered."""
        before = len(self.fake.sent_to(user))
        self.fake.push(self.fake.text_update(user, text, language, first_name="Olena"))
        self.fake.wait_until(lambda: len(self.fake.sent_to(user)) > before, 60, what="a reply")
        time.sleep(0.5)  # a turn can be several messages
        return self.fake.sent_to(user)[before:]

    def press(self, user: int, title: str, *, expect: str) -> list[dict[str, Any]]:
        """Presses the button `title` of the newest message that has it (as Telegram sends
        the press: a callback query); returns the bot's messages up to one with `expect`."""
        message = next(m for m in reversed(self.fake.sent_to(user)) if title in buttons_of(m))
        before = len(self.fake.sent_to(user))
        self.fake.press(
            message, buttons_of(message)[title], user_id=user, first_name="Olena", last_name=None
        )
        return self.fake.wait_for_text(user, expect, after=before, timeout=60)

    def escalate(self, user: int, language: str) -> str:
        """Asks a question, asks for a person, consents; returns the ticket's code."""
        texts = self.texts
        self.say(user, QUESTIONS[language], language)
        consent = self.say(user, "/human", language)
        assert any(QUESTIONS[language] in m["text"] for m in consent), consent
        created = texts.messages["ticket_created"]["text"][language].split("{code}")[0]
        sent = self.press(user, texts.button("send_to_staff", language).title, expect=created)
        found = CODE.search(next(m["text"] for m in sent if created in m["text"]))
        assert found is not None
        return found.group(1)

    # --- staff ------------------------------------------------------------------------------

    def staff_posts(self, code: str) -> list[dict[str, Any]]:
        return [
            m
            for m in self.fake.sent_to(STAFF_CHAT)
            if m["text"].startswith(("🆕", "🔁")) and code in m["text"]
        ]

    def wait_for_post(self, code: str, timeout: float = 60) -> dict[str, Any]:
        self.fake.wait_until(lambda: bool(self.staff_posts(code)), timeout, what="the staff post")
        return self.staff_posts(code)[0]

    def reply(self, post: dict[str, Any], text: str) -> dict[str, Any]:
        """Anna replies to the post; returns the bot's confirmation in the group."""
        update = self.fake.group_message_update(STAFF_CHAT, ANNA, text, reply_to=post)
        self.fake.push(update)
        mine = update["message"]["message_id"]
        self.fake.wait_until(
            lambda: any(
                m.get("reply_to_message", {}).get("message_id") == mine
                for m in self.fake.sent_to(STAFF_CHAT)
            ),
            30,
            what="the bot's confirmation",
        )
        return next(
            m
            for m in self.fake.sent_to(STAFF_CHAT)
            if m.get("reply_to_message", {}).get("message_id") == mine
        )

    # --- the database -----------------------------------------------------------------------

    def ticket(self, code: str) -> tuple[Ticket, list[OutboxJob], list[StaffPost]]:
        assert self.stack is not None
        url = sync_url(self.stack.settings.effective_database_url, driver="psycopg")
        engine = create_engine(url)
        try:
            with Session(engine) as session:
                ticket = session.scalars(
                    select(Ticket).where(Ticket.code == normalize_code(code))
                ).one()
                jobs = list(
                    session.scalars(
                        select(OutboxJob)
                        .where(OutboxJob.ticket_id == ticket.id)
                        .order_by(OutboxJob.id)
                    )
                )
                posts = list(
                    session.scalars(select(StaffPost).where(StaffPost.ticket_id == ticket.id))
                )
                session.expunge_all()
        finally:
            engine.dispose()
        return ticket, jobs, posts


@pytest.fixture(scope="module")
def escalation(
    trained_model: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EscalationStack]:
    fake = FakeTelegram()
    fake.start()
    fake.group(STAFF_CHAT, title="Wegwijs staff")
    running = EscalationStack(fake, tmp_path_factory)
    try:
        yield running
    finally:
        running.close()
        fake.stop()


@pytest.fixture
def on_sqlite(escalation: EscalationStack) -> EscalationStack:
    return escalation.use("sqlite", "")


# --- the full loop, in each language --------------------------------------------------------


@pytest.mark.parametrize("language", ["uk", "en", "nl"])
def test_a_question_goes_to_staff_and_their_answer_comes_back(
    on_sqlite: EscalationStack, language: str
) -> None:
    s, fake, texts = on_sqlite, on_sqlite.fake, on_sqlite.texts
    newcomer = new_newcomer()
    code = s.escalate(newcomer, language)

    # The staff group gets the ticket, with what staff need to answer it.
    post = s.wait_for_post(code)
    language_name = {"uk": "🇺🇦 Ukrainian", "en": "🇬🇧 English", "nl": "🇳🇱 Dutch"}[language]
    assert post["text"].startswith(f"🆕 New question {code}\n")
    assert f"Language: {language_name}" in post["text"]
    assert f"Question:\n{QUESTIONS[language]}" in post["text"]
    assert f"👤 Newcomer: {QUESTIONS[language]}" in post["text"]
    assert "Channel: Telegram" in post["text"]
    assert "reply to this message" in post["text"]

    # Anna claims it with the button, then answers by replying to the post.
    claim = buttons_of(post)["🙋 Claim"]
    query = fake.press(post, claim, user_id=ANNA, first_name="Anna", last_name="de Vries")
    fake.wait_until(lambda: any(a["callback_query_id"] == query for a in fake.answered), 30)
    answer = next(a for a in fake.answered if a["callback_query_id"] == query)
    assert answer["text"].startswith(f"You claimed question {code}")
    fake.wait_until(lambda: "✋ Claimed by Anna de Vries" in buttons_of(s.staff_posts(code)[0]), 30)
    confirmation = s.reply(post, ANSWERS[language])
    assert confirmation["text"].startswith(f"✅ Answer to {code} saved (Anna de Vries).")
    assert language_name in confirmation["text"]

    # The newcomer gets it in their chat, in their language, from a municipal employee.
    expected = texts.gateway_text("staff_answer", language, code=code, answer=ANSWERS[language])
    followup = texts.gateway_text("staff_answer_followup", language)
    sent = fake.wait_for_text(newcomer, followup, timeout=30)
    assert [m["text"] for m in sent[-2:]] == [expected, followup]
    solved = texts.button("ticket_solved", language).title
    assert list(buttons_of(sent[-1])) == [
        solved,
        texts.button("ticket_not_solved", language).title,
    ]

    # "Yes, it is solved" closes the ticket.
    thanks = texts.messages["ticket_solved_thanks"]["text"][language].format(code=code)
    s.press(newcomer, solved, expect=thanks)
    ticket, jobs, posts = s.ticket(code)
    assert (ticket.state, ticket.solved, ticket.delivery_state) == ("closed", True, "delivered")
    assert ticket.language == language
    assert ticket.channel == "telegram"
    assert ticket.claimed_by == ticket.answered_by == f"Anna de Vries [telegram:{ANNA}]"
    assert [(job.kind, job.done_at is not None) for job in jobs] == [
        ("notify_staff", True),
        ("deliver_answer", True),
    ]
    # Exactly once, everywhere: one post, one answer, one follow-up.
    assert len(s.staff_posts(code)) == 1
    assert len(posts) == 1
    to_newcomer = [m["text"] for m in fake.sent_to(newcomer)]
    assert to_newcomer.count(expected) == 1
    assert to_newcomer.count(followup) == 1


def test_the_newcomers_telegram_id_is_not_in_the_database_or_the_logs(
    on_sqlite: EscalationStack,
) -> None:
    """The chat id needed to deliver an answer is stored sealed (bot/channels/telegram/)."""
    assert on_sqlite.stack is not None
    assert NEWCOMERS, "runs after the loop tests"
    var_dir = on_sqlite.stack.settings.var_dir
    files = [path for path in var_dir.rglob("*") if path.is_file()]
    assert {path.name for path in files} >= {"wegwijs.db", "gateway.log"}
    for path in files:
        content = path.read_bytes()
        found = [str(user) for user in NEWCOMERS if str(user).encode() in content]
        assert not found, f"{path.relative_to(var_dir)} contains {found}"


# --- crashes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_killed_gateway_loses_nothing_and_sends_nothing_twice(
    escalation: EscalationStack, request: pytest.FixtureRequest, database: str
) -> None:
    url = request.getfixturevalue("stack_postgres_url") if database == "postgresql" else ""
    s = escalation.use(database, url)
    fake = s.fake
    newcomer = new_newcomer()

    # 1. The ticket is committed; the gateway dies while its staff post is on its way.
    held = fake.hold("sendMessage", chat_id=STAFF_CHAT)
    code = s.escalate(newcomer, "en")
    fake.wait_until(lambda: held.arrived >= 1, 30, what="the staff post to be on its way")
    s.kill_gateway()
    fake.release(held)  # it never reached Telegram
    assert s.staff_posts(code) == []
    s.start_gateway()
    post = s.wait_for_post(code, timeout=LEASE_SECONDS + 60)
    time.sleep(LEASE_SECONDS + 2)  # time enough for a second post, if there were one
    assert len(s.staff_posts(code)) == 1
    ticket, jobs, posts = s.ticket(code)
    assert len(posts) == 1
    assert jobs[0].kind == "notify_staff"
    assert jobs[0].done_at is not None
    assert jobs[0].attempts >= 2  # the killed gateway's attempt, and the one that posted

    # 2. Anna's answer is committed; the gateway dies while it is on its way to the newcomer.
    held = fake.hold("sendMessage", chat_id=newcomer)
    before = len(fake.sent_to(newcomer))
    confirmation = s.reply(post, "Call the Juridisch Loket: 0800 8020.")
    assert confirmation["text"].startswith(f"✅ Answer to {code} saved")
    fake.wait_until(lambda: held.arrived >= 1, 30, what="the answer to be on its way")
    s.kill_gateway()
    fake.release(held)
    assert len(fake.sent_to(newcomer)) == before
    s.start_gateway()
    expected = s.texts.gateway_text(
        "staff_answer", "en", code=code, answer="Call the Juridisch Loket: 0800 8020."
    )
    followup = s.texts.gateway_text("staff_answer_followup", "en")
    fake.wait_for_text(newcomer, followup, after=before, timeout=LEASE_SECONDS + 60)
    time.sleep(LEASE_SECONDS + 2)
    assert [m["text"] for m in fake.sent_to(newcomer)[before:]] == [expected, followup]
    ticket, jobs, _ = s.ticket(code)
    assert ticket.delivery_state == "delivered"
    assert display_code(ticket.code) == code
    assert [(job.kind, job.done_at is not None) for job in jobs] == [
        ("notify_staff", True),
        ("deliver_answer", True),
    ]
    assert jobs[1].attempts >= 2
    assert jobs[1].progress == 2  # the answer and the follow-up, each sent once
