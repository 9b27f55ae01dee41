"""Staff in Telegram and answers to newcomers on Telegram, without Rasa: the real
python-telegram-bot (polling the fake Bot API in tests/fake_telegram.py), the real outbox and a
real database (SQLite, and PostgreSQL where reachable)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.telegram.addresses import AddressSealer
from bot.channels.telegram.runtime import TelegramRuntime
from bot.channels.telegram.staff_replies import StaffDesk, staff_identity
from bot.channels.telegram.texts import load_staff_texts, missing_staff_texts
from bot.config import PROJECT_ROOT, Settings
from bot.conversation import ConversationService
from bot.db import repository
from bot.db.models import ChannelAddress, OutboxJob, StaffPost, Ticket
from bot.escalation import tickets
from bot.escalation.delivery import AnswerRouter
from bot.escalation.desk import same_staff, staff_name
from bot.escalation.outbox import OutboxDispatcher
from bot.escalation.tickets import ExcerptLine, display_code
from bot.language import LanguageDecider
from bot.pseudonym import Pseudonymizer
from bot.rasa_client import RasaClient
from bot.texts import load_texts
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.support import app_database_url, empty_app_database

STAFF_A, STAFF_B = -1001000000001, -1001000000002
OTHER_GROUP = -1001000000099
ANNA, PIET = 4_100_001, 4_100_002  # staff members
NEWCOMER = 5_200_001
PSEUDONYM_KEY = "unit-test-pseudonym-key-0123456789abcdef"
QUESTION = "Мій орендодавець каже, що я маю виїхати наступного тижня. Що мені робити?"


# --- without Telegram or a database ---------------------------------------------------------


def test_staff_texts_exist_in_dutch_and_english() -> None:
    assert missing_staff_texts(PROJECT_ROOT) == []
    for language in ("nl", "en"):
        texts = load_staff_texts(PROJECT_ROOT, language)  # type: ignore[arg-type]
        assert texts.language_name("uk").startswith("🇺🇦 ")
        assert "{" not in texts.text("button_claim")


def test_a_chat_id_is_stored_sealed_and_only_opens_for_its_own_conversation() -> None:
    sealer = AddressSealer(b"k" * 32)
    sealed = sealer.seal("te-abc", 731406592817)
    assert "731406592817" not in sealed
    assert len(sealed) <= 64  # channel_addresses.address
    assert sealer.open("te-abc", sealed) == 731406592817
    assert sealer.seal("te-abc", 731406592817) != sealed  # a fresh nonce every time
    assert sealer.open("te-other", sealed) is None  # moved to another row: refused
    assert AddressSealer(b"x" * 32).open("te-abc", sealed) is None  # another key
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    assert sealer.open("te-abc", tampered) is None
    assert sealer.open("te-abc", "731406592817") is None
    assert sealer.open("te-abc", sealer.seal("te-abc", -1001234567890)) == -1001234567890


def test_staff_identity_keeps_the_id_and_fits_the_column() -> None:
    from telegram import User

    anna = User(ANNA, "Anna", False, last_name="de Vries", username="anna_almere")
    identity = staff_identity(anna)
    assert identity == f"Anna de Vries @anna_almere [telegram:{ANNA}]"
    assert staff_name(identity) == "Anna de Vries @anna_almere"
    long = User(ANNA, "A" * 200, False)
    assert len(staff_identity(long)) == 80
    assert staff_identity(long).endswith(f"[telegram:{ANNA}]")
    renamed = User(ANNA, "Anna", False, last_name="Jansen")
    assert same_staff(identity, staff_identity(renamed))  # the same person, a new name
    assert not same_staff(identity, staff_identity(User(PIET, "Anna", False)))
    assert staff_name("anna (cli)") == "anna (cli)"  # the staff CLI's plain names


def _desk(language: str = "nl") -> StaffDesk:
    return StaffDesk(
        sessions=None,  # type: ignore[arg-type]
        texts=load_texts(PROJECT_ROOT),
        staff_texts=load_staff_texts(PROJECT_ROOT, language),  # type: ignore[arg-type]
        staff_chat_ids=frozenset({STAFF_A}),
        timezone="Europe/Amsterdam",
        bot=lambda: None,  # type: ignore[arg-type,return-value]
    )


def _ticket(**values: Any) -> Ticket:
    now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
    fields: dict[str, Any] = {
        "id": 17,
        "code": "K7PQ4X",
        "conversation_id": "te-x",
        "channel": "telegram",
        "language": "uk",
        "topic": "housing",
        "question": QUESTION,
        "excerpt": tickets.excerpt_to_json(
            [
                ExcerptLine("newcomer", QUESTION),
                ExcerptLine("bot", "Вибачте, я не зрозумів."),
            ]
        ),
        "urgent": False,
        "state": "open",
        "created_at": now,
        "consent_at": now,
        "expected_by": now + dt.timedelta(hours=8),
        "answer_count": 0,
    }
    return Ticket(**(fields | values))


def test_a_post_says_everything_staff_need_in_their_language() -> None:
    ticket = _ticket(urgent=True)
    now = ticket.created_at + dt.timedelta(minutes=12)
    dutch = _desk("nl").ticket_text(ticket, now=now)
    assert dutch.startswith("🆕 Nieuwe vraag K7P-Q4X ⚠️ DRINGEND")
    for fragment in (
        "Taal: 🇺🇦 Oekraïens / Ukrainian",
        "Onderwerp: Wonen",
        "Kanaal: Telegram",
        "Gesteld: ma 23 nov, 10:00 (12 minuten geleden)",
        "Verwacht antwoord: uiterlijk ma 23 nov, 18:00",
        f"Vraag:\n{QUESTION}",
        f"👤 Nieuwkomer: {QUESTION}\n🤖 Bot: Вибачте, я не зрозумів.",
        "reageer op dit bericht",
    ):
        assert fragment in dutch
    english = _desk("en").ticket_text(_ticket(topic=None, expected_by=None), now=now)
    for fragment in ("Language: 🇺🇦 Ukrainian", "Topic: unknown", "by not known", "reply to"):
        assert fragment in english


def test_a_long_conversation_gives_way_so_the_post_fits_one_message() -> None:
    lines = [ExcerptLine("newcomer", f"{n} " + "слово " * 150) for n in range(8)]
    ticket = _ticket(excerpt=tickets.excerpt_to_json(lines), question="Питання " * 120)
    text = _desk().ticket_text(ticket, now=ticket.created_at)
    assert len(text.encode("utf-16-le")) // 2 <= 4095
    assert "👤 Nieuwkomer: 7 " in text  # the newest lines stay
    assert "👤 Nieuwkomer: 0 " not in text


def test_the_buttons_follow_the_tickets_state() -> None:
    desk = _desk("en")

    def rows(**values: Any) -> list[tuple[str, str]]:
        markup = desk.keyboard(_ticket(**values))
        return [(b.text, str(b.callback_data)) for row in markup.inline_keyboard for b in row]

    assert rows() == [("🙋 Claim", "staff:claim:17")]
    claimed = rows(state="claimed", claimed_by=f"Anna de Vries [telegram:{ANNA}]")
    assert claimed == [
        ("✋ Claimed by Anna de Vries", "staff:claim:17"),
        ("↩️ Release", "staff:release:17"),
    ]
    assert rows(state="answered", answered_by="Piet") == [("✅ Answered by Piet", "staff:info:17")]
    assert rows(state="closed") == [("🔒 Closed", "staff:info:17")]
    longest = rows(id=2**62)[0][1]
    assert len(longest.encode()) <= 64


# --- with Telegram (the fake) and a database ------------------------------------------------


# Function-scoped, in the test's own event loop: the bot runs on it.
@pytest_asyncio.fixture(params=["sqlite", "postgresql"], loop_scope="function")
async def sessions(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with empty_app_database(app_database_url(request, tmp_path)) as made:
        yield made


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    server = FakeTelegram()
    server.start()
    server.group(STAFF_A, title="Wegwijs staff A")
    server.group(STAFF_B, title="Wegwijs staff B")
    server.group(OTHER_GROUP, title="Somebody's group")
    server.user(NEWCOMER, language_code="uk")
    yield server
    server.stop()


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]], timeout: float = 15.0, what: str = "it"
) -> None:
    """Waits without blocking the event loop (the bot runs on it)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class Harness:
    """A started TelegramRuntime (staff chats A and B), its outbox, and the database."""

    def __init__(
        self,
        fake: FakeTelegram,
        sessions: async_sessionmaker[AsyncSession],
        runtime: TelegramRuntime,
    ) -> None:
        self.fake = fake
        self.sessions = sessions
        self.runtime = runtime
        self.outbox = OutboxDispatcher(
            sessions=sessions,
            handlers={
                "notify_staff": runtime.notify_staff,
                "notify_reopened": runtime.notify_staff,
                "notify_undelivered": runtime.notify_staff,
                "deliver_answer": AnswerRouter({"telegram": runtime.deliver_answer}),
            },
            worker="unit-test",
        )

    async def ticket(self, **values: Any) -> Ticket:
        async with self.sessions.begin() as session:
            return await tickets.create_ticket(
                session,
                **{
                    "conversation_id": "te-newcomer",
                    "channel": "telegram",
                    "language": "uk",
                    "question": QUESTION,
                    "excerpt": [ExcerptLine("newcomer", QUESTION)],
                    "topic": "housing",
                }
                | values,
            )

    async def run_outbox(self) -> int:
        """Runs the jobs that are due, once; returns how many there were."""
        return await self.outbox.run_once()

    async def make_due(self) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                update(OutboxJob)
                .where(OutboxJob.done_at.is_(None))
                .values(next_attempt_at=dt.datetime.now(dt.timezone.utc))
            )

    async def jobs(self) -> list[OutboxJob]:
        async with self.sessions() as session:
            return list(await session.scalars(select(OutboxJob).order_by(OutboxJob.id)))

    async def job_of_kind(self, kind: str) -> OutboxJob:
        return [job for job in await self.jobs() if job.kind == kind][-1]

    async def get(self, ticket_id: int) -> Ticket:
        async with self.sessions() as session:
            ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket

    async def posts(self, ticket_id: int) -> list[StaffPost]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(StaffPost).where(StaffPost.ticket_id == ticket_id).order_by(StaffPost.id)
            )
            return list(rows)

    def posts_of(self, chat_id: int, code: str) -> list[dict[str, Any]]:
        return [m for m in self.fake.sent_to(chat_id) if display_code(code) in m["text"]]

    async def reply(self, chat_id: int, post: dict[str, Any], text: str, user: int = ANNA) -> None:
        """A staff member replies to a post; waits for the bot's reply in the group."""
        before = len(self.fake.sent_to(chat_id))
        self.fake.push(self.fake.group_message_update(chat_id, user, text, reply_to=post))
        await eventually(lambda: len(self.fake.sent_to(chat_id)) > before, what="a reply")

    async def press(self, post: dict[str, Any], data: str, user: int = ANNA) -> dict[str, Any]:
        """A press on a button; returns Telegram's record of the answer to it."""
        names = {"first_name": "Piet", "last_name": None} if user == PIET else {}
        query_id = self.fake.press(post, data, user_id=user, **names)  # type: ignore[arg-type]

        def answered() -> dict[str, Any] | None:
            return next((a for a in self.fake.answered if a["callback_query_id"] == query_id), None)

        await eventually(lambda: answered() is not None, what="the button's answer")
        answer = answered()
        assert answer is not None
        return answer


@pytest_asyncio.fixture(loop_scope="function")
async def harness(
    fake: FakeTelegram,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Harness]:
    # PTB warns about its own RetryAfter unless the coming timedelta form is chosen.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    settings = Settings(  # type: ignore[call-arg]
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=fake.base_url,
        TELEGRAM_STAFF_CHAT_IDS=f"{STAFF_A},{STAFF_B}",
        STAFF_LANGUAGE="nl",
        PSEUDONYM_KEY=PSEUDONYM_KEY,
        WEGWIJS_VAR_DIR=str(tmp_path),
        DATABASE_URL="",
    )
    rasa = RasaClient(base_url="http://127.0.0.1:9", timeout=1.0)  # no Rasa: staff need none
    service = ConversationService(
        sessions=sessions,
        rasa=rasa,
        decider=LanguageDecider(),
        texts=load_texts(PROJECT_ROOT),
        links={},
        max_message_chars=1000,
    )
    runtime = TelegramRuntime(
        settings=settings,
        service=service,
        pseudonyms=Pseudonymizer(PSEUDONYM_KEY.encode()),
        sessions=sessions,
    )
    runtime.start()
    await eventually(lambda: runtime.ready, what="the bot to start")
    try:
        yield Harness(fake, sessions, runtime)
    finally:
        await runtime.stop()
        await rasa.close()


async def test_a_new_ticket_is_posted_once_in_every_staff_chat(harness: Harness) -> None:
    ticket = await harness.ticket()
    assert await harness.run_outbox() == 1
    assert await harness.run_outbox() == 0
    for chat_id in (STAFF_A, STAFF_B):
        posts = harness.posts_of(chat_id, ticket.code)
        assert len(posts) == 1
        text = posts[0]["text"]
        assert text.startswith(f"🆕 Nieuwe vraag {display_code(ticket.code)}\n")
        assert "Taal: 🇺🇦 Oekraïens / Ukrainian" in text
        assert "Onderwerp: Wonen" in text
        assert f"👤 Nieuwkomer: {QUESTION}" in text
        assert posts[0]["reply_markup"] == {
            "inline_keyboard": [
                [{"text": "🙋 Ik pak deze op", "callback_data": f"staff:claim:{ticket.id}"}]
            ]
        }
    calls = [c for c in harness.fake.calls_of("sendMessage") if c.params["chat_id"] < 0]
    assert len(calls) == 2
    assert all("parse_mode" not in call.params for call in calls)
    posts = await harness.posts(ticket.id)
    assert sorted(post.chat_id for post in posts) == [STAFF_B, STAFF_A]
    (job,) = await harness.jobs()
    assert job.done_at is not None
    assert harness.fake.sent_to(OTHER_GROUP) == []


async def test_a_staff_chat_that_fails_is_retried_without_posting_twice_in_the_other(
    harness: Harness,
) -> None:
    harness.fake.fail("sendMessage", chat_id=STAFF_B, status=500)
    ticket = await harness.ticket()
    await harness.run_outbox()
    assert len(harness.posts_of(STAFF_A, ticket.code)) == 1
    assert harness.posts_of(STAFF_B, ticket.code) == []
    (job,) = await harness.jobs()
    assert job.done_at is None
    assert job.last_error is not None
    assert "NetworkError" in job.last_error
    await harness.make_due()
    await harness.run_outbox()
    assert len(harness.posts_of(STAFF_A, ticket.code)) == 1
    assert len(harness.posts_of(STAFF_B, ticket.code)) == 1
    (job,) = await harness.jobs()
    assert job.done_at is not None


async def test_flood_control_in_a_staff_chat_is_waited_out(harness: Harness) -> None:
    harness.fake.fail("sendMessage", chat_id=STAFF_A, retry_after=9)
    ticket = await harness.ticket()
    started = dt.datetime.now(dt.timezone.utc)
    await harness.run_outbox()
    (job,) = await harness.jobs()
    wait = (_utc(job.next_attempt_at) - started).total_seconds()
    assert 8.5 <= wait <= 11
    assert harness.posts_of(STAFF_A, ticket.code) == []
    await harness.make_due()
    await harness.run_outbox()
    assert len(harness.posts_of(STAFF_A, ticket.code)) == 1
    assert len(harness.posts_of(STAFF_B, ticket.code)) == 1


async def test_telegram_not_running_leaves_the_job_for_later(
    sessions: async_sessionmaker[AsyncSession], fake: FakeTelegram, tmp_path: Path
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=fake.base_url,
        TELEGRAM_STAFF_CHAT_IDS=str(STAFF_A),
        PSEUDONYM_KEY=PSEUDONYM_KEY,
        WEGWIJS_VAR_DIR=str(tmp_path),
    )
    service = ConversationService(
        sessions=sessions,
        rasa=RasaClient(base_url="http://127.0.0.1:9", timeout=1.0),
        decider=LanguageDecider(),
        texts=load_texts(PROJECT_ROOT),
        links={},
        max_message_chars=1000,
    )
    runtime = TelegramRuntime(
        settings=settings,
        service=service,
        pseudonyms=Pseudonymizer(PSEUDONYM_KEY.encode()),
        sessions=sessions,
    )  # not started
    harness = Harness(fake, sessions, runtime)
    await harness.ticket()
    await harness.run_outbox()
    (job,) = await harness.jobs()
    assert job.done_at is None
    assert job.failed_at is None
    assert job.last_error == "Telegram is not running (yet) in this gateway"


async def _posted(harness: Harness, **values: Any) -> tuple[Ticket, dict[str, Any]]:
    ticket = await harness.ticket(**values)
    await harness.run_outbox()
    (post,) = harness.posts_of(STAFF_A, ticket.code)
    return ticket, post


async def test_claiming_from_the_staff_group(harness: Harness) -> None:
    ticket, post = await _posted(harness)
    answer = await harness.press(post, f"staff:claim:{ticket.id}")
    assert answer["text"].startswith(f"Je hebt vraag {display_code(ticket.code)} opgepakt")
    claimed = await harness.get(ticket.id)
    assert claimed.state == "claimed"
    assert claimed.claimed_by == f"Anna de Vries [telegram:{ANNA}]"
    # Both groups' posts show who has it.
    for chat_id in (STAFF_A, STAFF_B):
        await eventually(
            lambda c=chat_id: bool(harness.posts_of(c, ticket.code)[0].get("edit_date"))
        )
        (shown,) = harness.posts_of(chat_id, ticket.code)
        rows = shown["reply_markup"]["inline_keyboard"]
        assert [row[0]["text"] for row in rows] == ["✋ Opgepakt door Anna de Vries", "↩️ Vrijgeven"]
    # A colleague cannot take it over, nor release it.
    refused = await harness.press(post, f"staff:claim:{ticket.id}", user=PIET)
    assert refused["show_alert"] is True
    assert "al opgepakt door Anna de Vries" in refused["text"]
    refused = await harness.press(post, f"staff:release:{ticket.id}", user=PIET)
    assert "Alleen Anna de Vries" in refused["text"]
    assert (await harness.get(ticket.id)).claimed_by == claimed.claimed_by
    # Anna releases it; Piet claims it.
    released = await harness.press(post, f"staff:release:{ticket.id}")
    assert "vrijgegeven" in released["text"]
    assert (await harness.get(ticket.id)).state == "open"
    await harness.press(post, f"staff:claim:{ticket.id}", user=PIET)
    assert (await harness.get(ticket.id)).claimed_by == f"Piet [telegram:{PIET}]"


async def test_a_reply_to_the_post_answers_the_ticket_and_queues_its_delivery(
    harness: Harness,
) -> None:
    ticket, post = await _posted(harness)
    woken: list[bool] = []
    harness.runtime.wake_outbox = lambda: woken.append(True)
    answer_text = "Neem contact op met het Juridisch Loket: https://www.juridischloket.nl"
    await harness.reply(STAFF_A, post, answer_text)
    confirmation = harness.fake.sent_to(STAFF_A)[-1]
    assert confirmation["text"].startswith(
        f"✅ Antwoord op {display_code(ticket.code)} opgeslagen (Anna de Vries)."
    )
    assert "🇺🇦 Oekraïens / Ukrainian" in confirmation["text"]
    assert confirmation["reply_to_message"]["text"] == answer_text  # it answers the reply
    answered = await harness.get(ticket.id)
    assert answered.state == "answered"
    assert answered.answer == answer_text
    assert answered.answered_by == f"Anna de Vries [telegram:{ANNA}]"
    assert answered.delivery_state == "pending"
    assert [job.kind for job in await harness.jobs()] == ["notify_staff", "deliver_answer"]
    assert woken == [True]
    await eventually(
        lambda: "Beantwoord door" in str(harness.posts_of(STAFF_B, ticket.code)[0]["reply_markup"]),
        what="the other group's post to show the answer",
    )
    # A second answer, to either group's post, is refused: the first one stands.
    (post_b,) = harness.posts_of(STAFF_B, ticket.code)
    await harness.reply(STAFF_B, post_b, "Something else entirely", user=PIET)
    refusal = harness.fake.sent_to(STAFF_B)[-1]["text"]
    assert refusal == (
        f"Vraag {display_code(ticket.code)} is al beantwoord door Anna de Vries. "
        "Je antwoord is niet verstuurd."
    )
    again = await harness.get(ticket.id)
    assert (again.answer, again.answer_count) == (answer_text, 1)
    assert len(await harness.jobs()) == 2


async def test_replies_that_are_not_answers_get_a_clear_word_and_change_nothing(
    harness: Harness,
) -> None:
    ticket, post = await _posted(harness)
    photo = {"photo": [{"file_id": "x", "file_unique_id": "y", "width": 1, "height": 1}]}
    before = len(harness.fake.sent_to(STAFF_A))
    harness.fake.push(
        harness.fake.group_message_update(STAFF_A, ANNA, None, reply_to=post, content=photo)
    )
    await eventually(lambda: len(harness.fake.sent_to(STAFF_A)) > before)
    assert harness.fake.sent_to(STAFF_A)[-1]["text"].startswith("Alleen tekst")
    # A reply to the bot's own confirmation, not to the ticket's post.
    confirmation = harness.fake.sent_to(STAFF_A)[-1]
    await harness.reply(STAFF_A, confirmation, "Bedankt")
    assert harness.fake.sent_to(STAFF_A)[-1]["text"].startswith("Dit bericht hoort niet bij")
    # Colleagues replying to each other: the bot stays out of it.
    colleague = harness.fake.group_message_update(STAFF_A, PIET, "Wie pakt deze op?")
    before = len(harness.fake.sent_to(STAFF_A))
    harness.fake.push(
        harness.fake.group_message_update(STAFF_A, ANNA, "Ik!", reply_to=colleague["message"])
    )
    await asyncio.sleep(1.0)
    assert len(harness.fake.sent_to(STAFF_A)) == before
    assert (await harness.get(ticket.id)).state == "open"


async def test_a_closed_ticket_is_not_answered(harness: Harness) -> None:
    ticket, post = await _posted(harness)
    async with harness.sessions.begin() as session:
        await tickets.close(session, code=ticket.code)
    await harness.reply(STAFF_A, post, "Te laat")
    assert harness.fake.sent_to(STAFF_A)[-1]["text"] == (
        f"Vraag {display_code(ticket.code)} is gesloten. Je antwoord is niet verstuurd."
    )
    assert (await harness.get(ticket.id)).answer is None


async def test_buttons_and_replies_from_outside_the_staff_chats_are_refused(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    ticket, _ = await _posted(harness)
    # A newcomer forges a staff button in their private chat.
    own = {"message_id": 1, "chat": {"id": NEWCOMER, "type": "private"}, "date": 0, "text": "x"}
    refused = await harness.press(own, f"staff:claim:{ticket.id}", user=NEWCOMER)
    assert refused["show_alert"] is True
    assert refused["text"] == "Dit kan alleen in de personeelsgroep van de gemeente."
    # Somebody's group: a forged button, and a reply to a message of the bot there.
    harness.fake.push(harness.fake.group_message_update(OTHER_GROUP, PIET, "/chatid"))
    await eventually(lambda: len(harness.fake.sent_to(OTHER_GROUP)) == 1)
    chat_id_note = harness.fake.sent_to(OTHER_GROUP)[0]
    assert str(OTHER_GROUP) in chat_id_note["text"]
    assert "TELEGRAM_STAFF_CHAT_IDS" in chat_id_note["text"]
    refused = await harness.press(chat_id_note, f"staff:claim:{ticket.id}", user=PIET)
    assert refused["show_alert"] is True
    await harness.reply(OTHER_GROUP, chat_id_note, "Answer: move out", user=PIET)
    assert harness.fake.sent_to(OTHER_GROUP)[-1]["text"].startswith("Dit is geen personeelsgroep")
    unchanged = await harness.get(ticket.id)
    assert (unchanged.state, unchanged.answer, unchanged.claimed_by) == ("open", None, None)
    assert harness.fake.sent_to(NEWCOMER) == []  # not taken for a newcomer's button either
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert any("private chat" in message for message in refusals)
    assert any("supergroup chat" in message for message in refusals)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (str(NEWCOMER), str(PIET), "move out"):
        assert secret not in logged


async def test_a_newcomers_chat_is_remembered_sealed(harness: Harness) -> None:
    """Any message from a newcomer records where answers go (Rasa is down here: it still is)."""
    harness.fake.push(harness.fake.text_update(NEWCOMER, "Привіт", "uk"))
    await eventually(lambda: len(harness.fake.sent_to(NEWCOMER)) == 1)
    async with harness.sessions() as session:
        (row,) = list(await session.scalars(select(ChannelAddress)))
    assert row.channel == "telegram"
    assert str(NEWCOMER) not in row.address
    assert await harness.runtime.addresses.chat_of(row.conversation_id) == NEWCOMER


async def _answered(harness: Harness, answer: str) -> Ticket:
    conversation = "te-newcomer"
    await harness.runtime.addresses.remember(conversation, NEWCOMER)
    ticket = await harness.ticket(conversation_id=conversation)
    await harness.run_outbox()  # the staff posts
    async with harness.sessions.begin() as session:
        await tickets.answer(session, code=ticket.code, staff="Anna [telegram:1]", text=answer)
    return ticket


async def test_the_answer_reaches_the_newcomer_with_the_did_it_solve_question(
    harness: Harness,
) -> None:
    ticket = await _answered(harness, "Зверніться до Juridisch Loket.")
    assert await harness.run_outbox() == 1
    sent = harness.fake.sent_to(NEWCOMER)
    assert [m["text"] for m in sent] == [
        f"Відповідь працівника гемеенте Алмере на ваше запитання {display_code(ticket.code)}:"
        "\n\nЗверніться до Juridisch Loket.",
        "Чи вирішила ця відповідь ваше питання?",
    ]
    assert "reply_markup" not in sent[0]
    buttons = [row[0] for row in sent[1]["reply_markup"]["inline_keyboard"]]
    assert [b["text"] for b in buttons] == ["Так, вирішила", "Ні, ще ні"]
    async with harness.sessions() as session:
        payloads = [
            await repository.redeem_button(
                session, conversation_id="te-newcomer", token=b["callback_data"]
            )
            for b in buttons
        ]
    code = json.dumps({"ticket": ticket.code}, separators=(",", ":"))
    assert payloads == [f"/affirm{code}", f"/deny{code}"]
    delivered = await harness.get(ticket.id)
    assert delivered.delivery_state == "delivered"
    assert delivered.delivered_at is not None
    assert await harness.run_outbox() == 0


async def test_a_long_answer_resumes_after_the_parts_already_sent(harness: Harness) -> None:
    paragraphs = [f"Абзац {n}. " + "Дуже довге пояснення. " * 150 for n in range(3)]
    ticket = await _answered(harness, "\n\n".join(paragraphs))
    # Two parts go through, then Telegram asks for a pause of 7 seconds.
    harness.fake.fail("sendMessage", chat_id=NEWCOMER, after=2, retry_after=7)
    started = dt.datetime.now(dt.timezone.utc)
    await harness.run_outbox()
    job = (await harness.jobs())[-1]
    assert (job.kind, job.progress, job.done_at) == ("deliver_answer", 2, None)
    assert 6.5 <= (_utc(job.next_attempt_at) - started).total_seconds() <= 9
    assert len(harness.fake.sent_to(NEWCOMER)) == 2
    await harness.make_due()
    await harness.run_outbox()
    texts = [m["text"] for m in harness.fake.sent_to(NEWCOMER)]
    assert len(texts) == 4  # three parts of the answer and the question, each once
    assert len(set(texts)) == 4
    assert texts[0].startswith("Відповідь працівника")
    assert all(paragraph.strip() in "\n\n".join(texts[:3]) for paragraph in paragraphs)
    assert texts[3] == "Чи вирішила ця відповідь ваше питання?"
    assert all(len(text) < 4096 for text in texts)
    assert (await harness.get(ticket.id)).delivery_state == "delivered"


async def test_a_newcomer_who_blocked_the_bot_is_not_tried_again(harness: Harness) -> None:
    ticket = await _answered(harness, "Відповідь")
    harness.fake.block(NEWCOMER)
    await harness.run_outbox()
    job = await harness.job_of_kind("deliver_answer")
    assert job.failed_at is not None
    assert job.last_error is not None
    assert "blocked" in job.last_error
    assert (await harness.get(ticket.id)).delivery_state == "failed"
    assert await harness.run_outbox() == 1  # staff are told, in each staff chat
    for chat_id in (STAFF_A, STAFF_B):
        notice = harness.posts_of(chat_id, ticket.code)[-1]["text"]
        assert notice.startswith(f"❌ Antwoord op vraag {display_code(ticket.code)} kwam niet aan")
        assert "geblokkeerd" in notice
        assert "Відповідь" in notice  # the answer that did not arrive
    await harness.make_due()
    assert await harness.run_outbox() == 0
    assert len(harness.fake.sent_to(NEWCOMER)) == 0


async def test_after_a_failed_delivery_staff_can_send_the_answer_again(harness: Harness) -> None:
    ticket = await _answered(harness, "Перша відповідь")
    harness.fake.block(NEWCOMER)
    await harness.run_outbox()  # refused for good
    await harness.run_outbox()  # staff told
    notice = harness.posts_of(STAFF_A, ticket.code)[-1]
    harness.fake.unblock(NEWCOMER)  # the newcomer wrote to the bot again
    await harness.reply(STAFF_A, notice, "Друга спроба")
    assert "Друга спроба" not in harness.fake.sent_to(STAFF_A)[-1]["text"]  # a confirmation
    await harness.run_outbox()
    texts = [m["text"] for m in harness.fake.sent_to(NEWCOMER)]
    assert any("Друга спроба" in text for text in texts)
    again = await harness.get(ticket.id)
    assert (again.state, again.delivery_state, again.answer_count) == ("answered", "delivered", 2)


async def test_a_delivered_answer_cannot_be_answered_again(harness: Harness) -> None:
    ticket = await _answered(harness, "Відповідь")
    await harness.run_outbox()
    async with harness.sessions.begin() as session:
        with pytest.raises(tickets.TicketStateError):
            await tickets.answer(session, code=ticket.code, staff="Piet", text="Nog een")


async def test_without_a_known_chat_the_delivery_fails_for_good(harness: Harness) -> None:
    ticket = await harness.ticket(conversation_id="te-never-seen")
    async with harness.sessions.begin() as session:
        await tickets.answer(session, code=ticket.code, staff="Anna", text="Відповідь")
    await harness.run_outbox()
    await harness.run_outbox()
    job = await harness.job_of_kind("deliver_answer")
    assert job.failed_at is not None
    assert (await harness.get(ticket.id)).delivery_state == "failed"


async def test_a_reopened_ticket_is_posted_again_and_the_new_post_takes_an_answer(
    harness: Harness,
) -> None:
    ticket = await _answered(harness, "Перше")
    await harness.run_outbox()  # delivered
    async with harness.sessions.begin() as session:
        await tickets.record_solved(
            session, conversation_id="te-newcomer", code=ticket.code, solved=False
        )
    await harness.run_outbox()
    for chat_id in (STAFF_A, STAFF_B):
        posts = harness.posts_of(chat_id, ticket.code)
        assert len(posts) == 2
        assert posts[1]["text"].startswith(f"🔁 Vraag {display_code(ticket.code)} is weer open")
        assert "Vorig antwoord (Anna):\nПерше" in posts[1]["text"]
    assert len(await harness.posts(ticket.id)) == 4
    reopened = harness.posts_of(STAFF_A, ticket.code)[1]
    await harness.reply(STAFF_A, reopened, "Tweede antwoord")
    again = await harness.get(ticket.id)
    assert (again.state, again.answer, again.answer_count) == ("answered", "Tweede antwoord", 2)
    await harness.run_outbox()
    assert "Tweede antwoord" in harness.fake.sent_to(NEWCOMER)[-2]["text"]


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
