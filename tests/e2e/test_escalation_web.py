"""Escalation through the web channel, with real processes: a newcomer asks through the web
API, asks for a person, consents and gets a code; staff answer with the command line
(`wegwijs staff answer`, a separate process on the same database); the gateway's outbox
delivers the answer, and the newcomer's long poll receives it, followed by "did this solve
your question?". In Ukrainian, English and Dutch, on SQLite and on PostgreSQL; and through a
gateway killed while the answer is written.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session

from bot.config import PROJECT_ROOT, sync_url
from bot.db.models import InboxMessage, OutboxJob, Ticket
from bot.escalation.tickets import normalize_code
from bot.texts import load_texts
from tests.support import Stack, WebChat, stack_settings, texts_of

pytestmark = pytest.mark.stack

WEGWIJS = PROJECT_ROOT / ".venvs" / "app" / "bin" / "wegwijs"
CODE = re.compile(r"\b([A-Z0-9]{3}-[A-Z0-9]{3})\b")
DELIVERY_SECONDS = 8.0  # the outbox looks every 0.5 s and a waiting poll every 0.4 s


@dataclass(frozen=True)
class Case:
    language: str
    question: str
    ask_for_person: str
    answer: str


# Questions the knowledge base does not cover (the bot may still try): what matters is that
# the newcomer's last real question is the one offered to staff.
CASES = {
    "uk": Case(
        "uk",
        "Сусід сверлить стіну щоночі після опівночі, чи може гемеенте щось із цим зробити?",
        "Я хочу поговорити з людиною",
        "Так, про шум уночі можна повідомити гемеенте: https://www.almere.nl/contact",
    ),
    "en": Case(
        "en",
        "My neighbour drills into the wall every night after midnight, "
        "can the municipality do something?",
        "I want to talk to a person",
        "Yes, you can report noise at night to the municipality: https://www.almere.nl/contact",
    ),
    "nl": Case(
        "nl",
        "Mijn buurman boort elke nacht na middernacht in de muur, "
        "kan de gemeente daar iets aan doen?",
        "Ik wil met een medewerker praten",
        "Ja, geluidsoverlast 's nachts kun je melden bij de gemeente: "
        "https://www.almere.nl/contact",
    ),
}


def button_title(name: str, language: str) -> str:
    return str(load_texts(PROJECT_ROOT).buttons[name]["title"][language])


@dataclass
class Site:
    """A running stack and a direct look at its database."""

    stack: Stack
    engine: Engine

    @property
    def url(self) -> str:
        return self.stack.url

    def staff(self, *argv: str, name: str = "Anna de Vries") -> subprocess.CompletedProcess[str]:
        """`wegwijs staff ...` as staff run it: its own process, on the stack's database."""
        env = {
            **os.environ,
            "DATABASE_URL": self.stack.settings.effective_database_url,
            "WEGWIJS_VAR_DIR": str(self.stack.settings.var_dir),
            "STAFF_LANGUAGE": "en",
            "WEGWIJS_STAFF_NAME": name,
        }
        return subprocess.run(
            [str(WEGWIJS), "staff", *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )

    def ticket(self, code: str) -> Ticket:
        with Session(self.engine) as session:
            return session.scalars(select(Ticket).where(Ticket.code == normalize_code(code))).one()

    def count(self, model: Any, *conditions: Any) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    select(func.count()).select_from(model).where(*conditions)
                ).scalar_one()
            )

    def wait_until_delivered(self, code: str) -> None:
        deadline = time.monotonic() + DELIVERY_SECONDS
        while self.ticket(code).delivery_state != "delivered":
            assert time.monotonic() < deadline, f"{code} was not delivered"
            time.sleep(0.2)


def site_for(stack: Stack) -> Site:
    url = sync_url(stack.settings.effective_database_url, driver="psycopg")
    return Site(stack=stack, engine=create_engine(url))


@pytest.fixture(scope="module")
def postgres_stack(
    trained_model: None, stack_postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    running = Stack(
        stack_settings(tmp_path_factory.mktemp("escalation-pg"), database_url=stack_postgres_url)
    )
    running.start()
    yield running
    running.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest) -> Iterator[Site]:
    """The session's stack on SQLite, or a stack of this module's on PostgreSQL."""
    name = "stack" if request.param == "sqlite" else "postgres_stack"
    made = site_for(request.getfixturevalue(name))
    yield made
    made.engine.dispose()


def poll(
    chat: WebChat, *, after: int = 0, wait: float = 0.0, timeout: float = 60.0
) -> dict[str, Any]:
    response = chat.client.get(
        f"/api/conversations/{chat.token}/updates",
        params={"after": after, "wait": wait},
        timeout=timeout,
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def ask_a_person(chat: WebChat, case: Case) -> str:
    """Question, "a person please", consent: returns the ticket's code."""
    chat.say(case.question)
    offer = chat.say(case.ask_for_person)
    assert offer["language"] == case.language
    assert case.question in texts_of(offer), texts_of(offer)  # what staff will see, shown first
    created = chat.press(button_title("send_to_staff", case.language))
    assert created["language"] == case.language
    found = CODE.search(texts_of(created))
    assert found, texts_of(created)
    assert created["open_tickets"] == 1
    return found[1]


@pytest.mark.parametrize("language", ["uk", "en", "nl"])
def test_a_question_reaches_staff_and_their_answer_comes_back(site: Site, language: str) -> None:
    case = CASES[language]
    chat = WebChat(site.url)
    try:
        chat.start()
        code = ask_a_person(chat, case)
        ticket = site.ticket(code)
        assert (ticket.state, ticket.channel, ticket.language) == ("open", "web", language)
        assert ticket.question == case.question

        # Asking the same again while it is open makes no second ticket.
        chat.say(case.question)
        again = chat.say(case.ask_for_person)
        assert code in texts_of(again)
        assert site.count(Ticket, Ticket.conversation_id == ticket.conversation_id) == 1

        # "My questions" lists it.
        status = chat.press(button_title("my_questions", language))
        assert code in texts_of(status)

        # Staff see it in the command line, and answer.
        listed = site.staff("list", "--language", language)
        assert listed.returncode == 0, listed.stderr
        assert code in listed.stdout
        shown = site.staff("show", code)
        assert case.question in shown.stdout
        answered = site.staff("answer", code, "--text", case.answer)
        assert answered.returncode == 0, answered.stderr
        started = time.monotonic()

        # The newcomer's page is open: its long poll gets the answer within seconds.
        data = poll(chat, wait=20)
        took = time.monotonic() - started
        assert took < DELIVERY_SECONDS
        staff_message, followup = data["messages"]
        assert staff_message["sender"] == "staff"
        assert staff_message["language"] == language
        assert case.answer in staff_message["text"]
        assert code in staff_message["text"]
        assert staff_message["buttons"] == []
        assert followup["sender"] == "system"
        assert followup["language"] == language
        titles = [button["title"] for button in followup["buttons"]]
        assert titles == [
            button_title("ticket_solved", language),
            button_title("ticket_not_solved", language),
        ]
        assert data["open_tickets"] == 1

        # The next poll confirms them: they are not sent again.
        confirmed = poll(chat, after=data["cursor"])
        assert confirmed["messages"] == []
        unseen = site.count(
            InboxMessage, InboxMessage.ticket_id == ticket.id, InboxMessage.seen_at.is_(None)
        )
        assert unseen == 0
        assert poll(chat)["messages"] == []

        # "Yes, solved" closes the ticket.
        chat.buttons = {button["title"]: button["id"] for button in followup["buttons"]}
        solved = chat.press(button_title("ticket_solved", language))
        assert code in texts_of(solved)
        assert solved["open_tickets"] == 0
        closed = site.ticket(code)
        assert (closed.state, closed.solved, closed.delivery_state) == ("closed", True, "delivered")
        assert closed.answered_by == "Anna de Vries"
    finally:
        chat.close()


def test_an_answer_waits_while_the_page_is_closed_and_is_shown_once(stack: Stack) -> None:
    site = site_for(stack)
    chat = WebChat(stack.url)
    try:
        chat.start()
        code = ask_a_person(chat, CASES["nl"])
        # The page is closed: nobody polls. Staff answer; the outbox delivers into the inbox.
        assert site.staff("answer", code, "--text", CASES["nl"].answer).returncode == 0
        site.wait_until_delivered(code)
        time.sleep(1.0)

        # The chat is opened again (same token, cursor lost or not yet confirmed).
        later = poll(chat)
        assert [m["sender"] for m in later["messages"]] == ["staff", "system"]
        assert poll(chat)["messages"] == later["messages"]  # not confirmed: offered again
        poll(chat, after=later["cursor"])  # confirmed
        assert poll(chat)["messages"] == []
        assert poll(chat, after=later["cursor"])["messages"] == []
        ticket_id = site.ticket(code).id
        assert site.count(InboxMessage, InboxMessage.ticket_id == ticket_id) == 2
    finally:
        chat.close()
        site.engine.dispose()


def test_a_bad_poll_is_a_clear_error_not_a_500(stack: Stack) -> None:
    chat = WebChat(stack.url, language="uk")
    try:
        chat.start()
        too_long = chat.client.get(
            f"/api/conversations/{chat.token}/updates",
            params={"wait": 600},
            headers={"Accept-Language": "uk"},
        )
        assert too_long.status_code == 422
        assert too_long.json()["error"]["language"] == "uk"
        unknown = chat.client.get(f"/api/conversations/{'Z' * 32}/updates")
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "conversation_unknown"
    finally:
        chat.close()


def test_an_answer_written_while_the_gateway_is_dead_arrives_once_after_restart(
    site: Site,
) -> None:
    """SIGKILL the gateway with a poll waiting; staff answer meanwhile; restart: the answer
    arrives, once (one delivery job done, two inbox messages, one delivery)."""
    stack = site.stack
    chat = WebChat(stack.url)
    try:
        chat.start()
        code = ask_a_person(chat, CASES["en"])
        waiting: dict[str, BaseException | None] = {"error": None}

        def long_poll() -> None:
            try:
                poll(chat, wait=20)
            except BaseException as error:  # the connection dies with the gateway
                waiting["error"] = error

        poller = threading.Thread(target=long_poll)
        poller.start()
        time.sleep(1.0)
        stack.stop(("gateway",), hard=True)
        poller.join(timeout=30)
        assert isinstance(waiting["error"], httpx.HTTPError)

        answered = site.staff("answer", code, "--text", CASES["en"].answer)
        assert answered.returncode == 0, answered.stderr
        assert site.ticket(code).delivery_state == "pending"  # nobody to deliver it yet
    finally:
        stack.start(("gateway",))  # the session's stack must live on, whatever happened
    try:
        data = poll(chat, wait=20)
        assert [m["sender"] for m in data["messages"]] == ["staff", "system"]
        assert CASES["en"].answer in data["messages"][0]["text"]
        assert poll(chat, after=data["cursor"], wait=2)["messages"] == []
        ticket = site.ticket(code)
        assert ticket.delivery_state == "delivered"
        assert site.count(InboxMessage, InboxMessage.ticket_id == ticket.id) == 2
        jobs = site.count(
            OutboxJob,
            OutboxJob.ticket_id == ticket.id,
            OutboxJob.kind == "deliver_answer",
            OutboxJob.done_at.is_not(None),
        )
        assert jobs == 1
    finally:
        chat.close()
