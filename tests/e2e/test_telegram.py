"""The Telegram channel end to end: the real Rasa server, action server and gateway, and real
python-telegram-bot, with a fake Bot API (tests/fake_telegram.py) in place of Telegram's servers.

One stack for the module, to keep stack starts few: the gateway runs in polling mode first,
then is restarted in webhook mode while Rasa and the action server keep running.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.telegram.commands import MENU
from bot.channels.telegram.texts import load_telegram_texts
from bot.channels.telegram.webhook import SECRET_HEADER
from bot.config import PROJECT_ROOT
from bot.pseudonym import Pseudonymizer
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.support import Stack, stack_settings

pytestmark = pytest.mark.stack

SECRET = "webhook-secret_for-tests-0123456789"
RASA_TIMEOUT = 10  # seconds; short, so "Rasa is unavailable" is quick to reach
# 4020 characters: the /human answer (one paragraph, two sentences) is then over Telegram's
# limit while its last sentence, with the link, fits (in uk, en and nl): it must be split there.
# Messages up to this long are accepted here, so a question can make a reply over 4096.
MAX_MESSAGE_CHARS = 6000
LONG_QUESTION = "My question for the municipality about my rent. " + " ".join(
    f"Sentence {i} explains my situation with the rent in more detail." for i in range(70)
)
FIRST_NAME = "Zoryana-Qx7"  # must never reach Rasa, the database or the logs
_user_ids = itertools.count(731_406_592_817, 7919)
USED_IDS: list[int] = []


def new_user() -> int:
    """A Telegram user id of its own for each test (each is its own conversation)."""
    USED_IDS.append(next(_user_ids))
    return USED_IDS[-1]


class TelegramStack:
    """The module's stack and fake Telegram; `use(mode)` restarts the gateway only."""

    def __init__(self, stack: Stack, fake: FakeTelegram) -> None:
        self.stack = stack
        self.fake = fake
        self.mode = ""
        self.http = httpx.Client(base_url=stack.url, timeout=30.0)

    def use(self, mode: str) -> None:
        if mode == self.mode:
            return
        mark = len(self.fake.calls)
        self.stack.environment = self._environment(mode)
        if self.mode:
            self.stack.stop(("gateway",))
            self.stack.start(("gateway",))
        else:
            self.stack.start()
        ready = "getUpdates" if mode == "polling" else "setWebhook"
        self.fake.wait_until(
            lambda: any(c.method == ready for c in self.fake.calls[mark:]),
            60,
            what=f"the bot to call {ready}",
        )
        self.mode = mode

    def _environment(self, mode: str) -> dict[str, str]:
        env = {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": self.fake.base_url,
            "TELEGRAM_MODE": mode,
            "MAX_MESSAGE_CHARS": str(MAX_MESSAGE_CHARS),
            "RASA_TIMEOUT_SECONDS": str(RASA_TIMEOUT),
        }
        if mode == "webhook":
            env |= {"TELEGRAM_WEBHOOK_SECRET": SECRET, "PUBLIC_URL": self.stack.url}
        return env

    def say(self, user_id: int, text: str, language_code: str | None = "en") -> dict[str, Any]:
        """Polling: the user sends a text message (commands included)."""
        update = self.fake.text_update(user_id, text, language_code, first_name=FIRST_NAME)
        self.fake.push(update)
        return update

    def post(self, update: dict[str, Any], *, secret: str | None = SECRET) -> httpx.Response:
        """Webhook: Telegram delivers an update to the gateway (again while it is starting)."""
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        deadline = time.monotonic() + 15
        while True:
            response = self.http.post("/telegram/webhook", json=update, headers=headers)
            if response.status_code != 503 or time.monotonic() > deadline:
                return response
            time.sleep(0.2)

    @contextmanager
    def rasa_paused(self) -> Iterator[None]:
        """Rasa stops answering (SIGSTOP of its process group) until the block ends."""
        pid = self.stack.processes["rasa"].pid
        os.killpg(pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.killpg(pid, signal.SIGCONT)


def texts_of(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m["text"] for m in messages)


def buttons_of(message: dict[str, Any]) -> dict[str, str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return {button["text"]: button["callback_data"] for row in rows for button in row}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    server = FakeTelegram()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def telegram(
    trained_model: None, fake: FakeTelegram, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TelegramStack]:
    running = TelegramStack(Stack(stack_settings(tmp_path_factory.mktemp("telegram"))), fake)
    try:
        yield running
    finally:
        running.http.close()
        running.stack.stop()


@pytest.fixture
def polling(telegram: TelegramStack) -> TelegramStack:
    telegram.use("polling")
    return telegram


@pytest.fixture
def webhook(telegram: TelegramStack) -> TelegramStack:
    telegram.use("webhook")
    return telegram


# --- polling --------------------------------------------------------------------------------


def test_polling_deletes_any_webhook_then_long_polls(polling: TelegramStack) -> None:
    methods = [c.method for c in polling.fake.calls]
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    poll = polling.fake.calls_of("getUpdates")[0]
    assert poll.params["timeout"] > 0
    assert poll.params["allowed_updates"] == ["message", "callback_query"]


def test_the_command_menu_is_registered_in_each_language(polling: TelegramStack) -> None:
    texts = load_telegram_texts(PROJECT_ROOT)
    registered = polling.fake.commands
    assert {"uk", "en", "nl", ""} <= set(registered)
    for code, language in (("uk", "uk"), ("en", "en"), ("nl", "nl"), ("", "nl"), ("ru", "uk")):
        assert registered[code] == [
            {"command": name, "description": texts.commands[name][language]} for name in MENU
        ]


@pytest.mark.parametrize(
    ("language_code", "expected"),
    [("uk", "Я Wegwijs"), ("en", "I am Wegwijs"), ("nl-NL", "Ik ben Wegwijs"), (None, "Ik ben")],
)
def test_start_greets_in_the_language_of_the_users_app(
    polling: TelegramStack, language_code: str | None, expected: str
) -> None:
    user = new_user()
    polling.say(user, "/start", language_code)
    sent = polling.fake.wait_for_text(user, expected)
    greeting = next(m for m in sent if expected in m["text"])
    assert set(buttons_of(greeting)) >= {"Українська", "English", "Nederlands"}
    rows = greeting["reply_markup"]["inline_keyboard"]
    assert all(len(row) == 1 for row in rows)
    assert all(len(row[0]["callback_data"].encode()) <= 16 for row in rows)
    to_user = [c for c in polling.fake.calls_of("sendMessage") if c.params["chat_id"] == user]
    assert all("parse_mode" not in c.params for c in to_user)


@pytest.mark.parametrize(
    ("question", "app_language", "sources"),
    [
        # The text's own language wins over the app's (a Ukrainian with an English phone).
        ("Як знайти сімейного лікаря (huisarts)?", "en", "Джерела:"),
        ("How do I get a DigiD?", "nl", "Sources:"),
        ("Hoe kan ik me inschrijven in de BRP in Almere?", "uk", "Bronnen:"),
    ],
    ids=["uk", "en", "nl"],
)
def test_a_question_is_answered_in_its_own_language(
    polling: TelegramStack, question: str, app_language: str, sources: str
) -> None:
    user = new_user()
    polling.say(user, question, app_language)
    sent = polling.fake.wait_for_text(user, sources)
    answer = next(m for m in sent if sources in m["text"])
    assert "https://" in answer["text"]


def test_a_button_press_is_answered_and_followed(polling: TelegramStack) -> None:
    user = new_user()
    polling.say(user, "/start", "en")
    greeting = polling.fake.wait_for_text(user, "I am Wegwijs")[-1]
    before = len(polling.fake.sent_to(user))
    query_id = polling.fake.push_callback(user, buttons_of(greeting)["Українська"])
    switched = polling.fake.wait_for_text(user, "українською", after=before)
    assert "Житло" in buttons_of(switched[-1])  # the topic menu, now in Ukrainian
    polling.fake.wait_until(
        lambda: any(a["callback_query_id"] == query_id for a in polling.fake.answered), 10
    )


def test_an_unknown_or_old_button_gets_a_polite_answer(polling: TelegramStack) -> None:
    user = new_user()
    polling.fake.user(user, language_code="en", first_name=FIRST_NAME)
    query_id = polling.fake.push_callback(user, "AAAAAAAA")  # never issued, or long expired
    polling.fake.wait_for_text(user, "no longer active")
    polling.fake.wait_until(
        lambda: any(a["callback_query_id"] == query_id for a in polling.fake.answered), 10
    )


def test_commands_reach_their_rules_in_the_conversations_language(
    polling: TelegramStack,
) -> None:
    user = new_user()
    polling.say(user, "Hello!", "en")
    polling.fake.wait_for_text(user, "Wegwijs")
    for command, expected in [
        ("/help", "Type your question in your own words"),
        ("/privacy", "I do not store your name or your Telegram ID"),
        ("/status", "You have no open questions"),
        ("/language", "Choose your language"),
    ]:
        before = len(polling.fake.sent_to(user))
        polling.say(user, command, "en")
        polling.fake.wait_for_text(user, expected, after=before)
    language_menu = polling.fake.sent_to(user)[-1]
    assert {"Українська", "English", "Nederlands"} <= set(buttons_of(language_menu))


def test_mydata_and_forget_work_in_telegram(polling: TelegramStack) -> None:
    user = new_user()
    polling.say(user, "Hoe kan ik Nederlandse les volgen?", "nl")
    polling.fake.wait_for_text(user, "Nederlandse les")
    before = len(polling.fake.sent_to(user))
    polling.say(user, "/mydata", "nl")
    shown = polling.fake.wait_for_text(user, "Dit bewaart Wegwijs over jou", after=before)
    assert "Hoe kan ik Nederlandse les volgen?" in shown[-1]["text"]
    assert "Telegram-chat" in shown[-1]["text"]  # the delivery address, and why
    before = len(polling.fake.sent_to(user))
    polling.say(user, "/forget", "nl")
    question = polling.fake.wait_for_text(user, "alles wissen", after=before)[-1]
    before = len(polling.fake.sent_to(user))
    polling.fake.push_callback(user, buttons_of(question)["Ja, alles wissen"])
    polling.fake.wait_for_text(user, "is gewist", after=before)
    before = len(polling.fake.sent_to(user))
    polling.say(user, "/mydata", "nl")
    again = polling.fake.wait_for_text(user, "Dit bewaart Wegwijs over jou", after=before)
    assert "Hoe kan ik Nederlandse les volgen?" not in again[-1]["text"]


def test_a_command_before_any_text_uses_the_telegram_language(polling: TelegramStack) -> None:
    user = new_user()
    polling.say(user, "/help", "uk")  # the very first thing this user does
    polling.fake.wait_for_text(user, "Напишіть своє запитання звичайними словами")


def test_a_long_answer_is_split_under_telegrams_limit(polling: TelegramStack) -> None:
    user = new_user()
    polling.say(user, "Good morning!", "en")
    polling.fake.wait_for_text(user, "Wegwijs")
    before = len(polling.fake.sent_to(user))
    polling.say(user, LONG_QUESTION, "en")
    polling.fake.wait_until(lambda: len(polling.fake.sent_to(user)) > before, 30)
    time.sleep(1.0)  # all of the bot's answer to it
    before = len(polling.fake.sent_to(user))
    polling.say(user, "/human", "en")  # the consent question quotes the long question
    parts = polling.fake.wait_for_text(user, "Shall I send it?", after=before)
    assert len(parts) >= 2
    assert all(len(part["text"]) < 4096 for part in parts)
    assert parts[0]["text"].startswith("I can pass this question")
    for i in range(70):  # no sentence is cut
        assert sum(f"Sentence {i} explains" in part["text"] for part in parts) == 1
    assert "reply_markup" not in parts[0]
    assert buttons_of(parts[-1])  # the buttons come with the last part
    assert not any(buttons_of(part) for part in parts[:-1])


def test_flood_control_is_waited_out(polling: TelegramStack) -> None:
    user = new_user()
    polling.fake.fail_next("sendMessage", retry_after=1)
    polling.say(user, "/start", "nl")
    polling.fake.wait_for_text(user, "Ik ben Wegwijs")
    statuses = [c.status for c in polling.fake.calls_of("sendMessage")]
    assert 429 in statuses
    refused = statuses.index(429)
    assert statuses[refused + 1] == 200


def test_a_too_long_message_gets_a_clear_answer_in_the_users_language(
    polling: TelegramStack,
) -> None:
    user = new_user()
    polling.say(user, "а" * (MAX_MESSAGE_CHARS + 500), "uk")
    polling.fake.wait_for_text(user, "задовге")


def test_a_photo_or_location_gets_a_text_only_answer(polling: TelegramStack) -> None:
    user = new_user()
    location = {"location": {"latitude": 52.37, "longitude": 5.21}}
    polling.fake.push(polling.fake.message_update(user, location, "nl"))
    polling.fake.wait_for_text(user, "Ik kan alleen tekstberichten lezen")


# --- webhook --------------------------------------------------------------------------------


def test_the_webhook_is_set_with_the_secret(webhook: TelegramStack) -> None:
    assert webhook.fake.webhook is not None
    assert webhook.fake.webhook["url"] == f"{webhook.stack.url}/telegram/webhook"
    assert webhook.fake.webhook["secret_token"] == SECRET
    assert webhook.fake.webhook["allowed_updates"] == ["message", "callback_query"]


def test_a_call_without_the_right_secret_is_refused_and_does_nothing(
    webhook: TelegramStack,
) -> None:
    user = new_user()
    update = webhook.fake.text_update(user, "/start", "nl", first_name=FIRST_NAME)
    assert webhook.post(update, secret=None).status_code == 403
    assert webhook.post(update, secret="wrong").status_code == 403
    assert webhook.post(update, secret=SECRET[:-1] + "x").status_code == 403
    time.sleep(2)
    assert webhook.fake.sent_to(user) == []
    # Refused calls were not recorded: Telegram's own delivery of the update still counts.
    assert webhook.post(update).status_code == 200
    webhook.fake.wait_for_text(user, "Ik ben Wegwijs")


def test_an_update_delivered_twice_is_answered_once(webhook: TelegramStack) -> None:
    user = new_user()
    update = webhook.fake.text_update(user, "How do I get a DigiD?", "en", first_name=FIRST_NAME)
    assert webhook.post(update).status_code == 200
    assert webhook.post(update).status_code == 200
    webhook.fake.wait_for_text(user, "Sources:")
    time.sleep(3)
    answers = [m for m in webhook.fake.sent_to(user) if "Sources:" in m["text"]]
    assert len(answers) == 1


def test_the_webhook_answers_at_once_even_when_rasa_is_slow(webhook: TelegramStack) -> None:
    user = new_user()
    update = webhook.fake.text_update(user, "hello", "en", first_name=FIRST_NAME)
    webhook.post(webhook.fake.text_update(new_user(), "hi", "en"))  # ready, and warm
    with webhook.rasa_paused():
        started = time.monotonic()
        response = webhook.post(update)
        elapsed = time.monotonic() - started
        time.sleep(3)
        assert webhook.fake.sent_to(user) == []  # still waiting for Rasa
    assert response.status_code == 200
    assert elapsed < 1.0
    webhook.fake.wait_for_text(user, "I am Wegwijs")


def test_when_rasa_does_not_answer_the_user_is_told_in_their_language(
    webhook: TelegramStack,
) -> None:
    user = new_user()
    update = webhook.fake.text_update(user, "Де отримати номер BSN?", "uk", first_name=FIRST_NAME)
    with webhook.rasa_paused():
        assert webhook.post(update).status_code == 200
        webhook.fake.wait_for_text(
            user, "Помічник тимчасово недоступний", timeout=RASA_TIMEOUT + 15
        )


# --- privacy (last: it looks at everything the tests above left behind) ------------------------


def test_no_telegram_id_or_name_reaches_the_database_the_tracker_or_the_logs(
    telegram: TelegramStack,
) -> None:
    var_dir = telegram.stack.settings.var_dir
    files = [path for path in var_dir.rglob("*") if path.is_file()]
    assert {path.name for path in files} >= {"wegwijs.db", "tracker.db", "gateway.log", "rasa.log"}
    assert len(USED_IDS) >= 10
    needles = [str(user_id).encode() for user_id in USED_IDS] + [FIRST_NAME.encode()]
    contents = {path: path.read_bytes() for path in files}
    for path, content in contents.items():
        found = [needle.decode() for needle in needles if needle in content]
        assert not found, f"{path.relative_to(var_dir)} contains {found}"
    # The conversations are there, under their pseudonyms: the search above looked at them.
    key = telegram.stack.settings.pseudonym_key
    assert key is not None
    pseudonyms = Pseudonymizer(key.get_secret_value().encode())
    tracker = b"".join(c for p, c in contents.items() if p.name.startswith("tracker.db"))
    assert pseudonyms.conversation_id("telegram", str(USED_IDS[0])).encode() in tracker


# --- fuzz ---------------------------------------------------------------------------------

FUZZ_IDENTIFIERS = ("111222333", "NL91ABNA0417164300", "+31 6 12345678", "olena.k@example.org")
FUZZ_TEXTS = st.one_of(
    st.text(min_size=1, max_size=200),
    st.text(alphabet=st.characters(min_codepoint=0x590, max_codepoint=0x6FF), min_size=1),
    st.text(alphabet=st.characters(categories=["So", "Cc", "Cf", "Zs"]), min_size=1, max_size=50),
    st.sampled_from(
        [
            "/restart",
            '/ask_human{"ticket":"X"}',
            "@forget_confirmed",
            "<b>bold</b><script>alert(1)</script>",
            "\u202eevil",
            "\x00",
            "🇺🇦" * 500,
        ]
    ),
    st.builds(lambda a, b: f"{a} {b}", st.text(max_size=30), st.sampled_from(FUZZ_IDENTIFIERS)),
    st.text(min_size=MAX_MESSAGE_CHARS + 1, max_size=MAX_MESSAGE_CHARS + 50),
)


@pytest.fixture(scope="module")
def fuzz_user() -> int:
    return new_user()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=FUZZ_TEXTS)
def test_the_telegram_handler_answers_any_text_and_stores_no_identifier(
    polling: TelegramStack, fuzz_user: int, text: str
) -> None:
    user = fuzz_user
    before = len(polling.fake.sent_to(user))
    polling.say(user, text, "en")
    polling.fake.wait_until(
        lambda: len(polling.fake.sent_to(user)) > before, 30, what="an answer to the fuzz"
    )
    sent = polling.fake.sent_to(user)[before:]
    assert all("parse_mode" not in message for message in sent)  # plain text, never markup
    for path in polling.stack.settings.var_dir.glob("*.db*"):  # the WAL files too
        content = path.read_bytes()
        assert not [i for i in FUZZ_IDENTIFIERS if i.encode() in content], path.name
