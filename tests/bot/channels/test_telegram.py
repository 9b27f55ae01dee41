"""The Telegram channel's parts that need no Rasa: splitting, keyboards, texts, delivery
(against the fake Bot API, with real python-telegram-bot) and the webhook's secret check."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from telegram import Bot, Update
from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning

from bot.channels.telegram.commands import MENU
from bot.channels.telegram.newcomer import PerChatUpdateProcessor
from bot.channels.telegram.runtime import TelegramRuntime
from bot.channels.telegram.sending import Sender, inline_keyboard, retry_seconds
from bot.channels.telegram.split import PART_LIMIT, split_message, utf16_length
from bot.channels.telegram.texts import load_telegram_texts, missing_telegram_texts
from bot.channels.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH, build_webhook_router
from bot.config import PROJECT_ROOT, Settings
from bot.conversation import ConversationService
from bot.db.session import make_engine, make_sessionmaker
from bot.language import LanguageDecider
from bot.pseudonym import Pseudonymizer
from bot.rasa_client import RasaClient
from bot.texts import load_texts
from bot.turns import Reply, ReplyButton, Turn
from tests.fake_telegram import TOKEN, FakeTelegram

USER = 5_550_001


def _paragraph(n: int, size: int) -> str:
    sentence = f"Sentence {n} of a long paragraph about housing in Almere. "
    return (sentence * (size // len(sentence) + 1))[:size].rsplit(" ", 1)[0] + "."


def test_a_short_text_is_one_part() -> None:
    assert split_message("  Hallo!  ") == ["Hallo!"]
    assert split_message("   ") == []


def test_a_long_text_is_split_at_paragraphs_first() -> None:
    paragraphs = [_paragraph(n, 1500) for n in range(5)]
    parts = split_message("\n\n".join(paragraphs))
    assert all(utf16_length(part) <= PART_LIMIT for part in parts)
    assert parts == ["\n\n".join(paragraphs[0:2]), "\n\n".join(paragraphs[2:4]), paragraphs[4]]


def test_a_paragraph_too_long_for_one_message_is_split_at_sentences() -> None:
    sentences = [f"Sentence number {n} says something useful." for n in range(400)]
    parts = split_message(" ".join(sentences))
    assert len(parts) > 1
    assert all(len(part) < 4096 for part in parts)
    assert all(part.endswith(".") for part in parts)
    assert " ".join(parts) == " ".join(sentences)


def test_text_without_any_boundary_is_cut_hard_and_emoji_count_double() -> None:
    assert [len(part) for part in split_message("x" * 9000)] == [PART_LIMIT, PART_LIMIT, 810]
    emoji = split_message("😀" * 3000)  # two UTF-16 code units each, as Telegram counts
    assert all(utf16_length(part) <= PART_LIMIT for part in emoji)
    assert "".join(emoji) == "😀" * 3000


@pytest.mark.parametrize("size", [4095, 4096, 4097, 8191, 12_000])
def test_every_part_fits_and_nothing_is_lost(size: int) -> None:
    text = ("Wonen. Werk!\nSchool? " * 1000)[:size]
    parts = split_message(text)
    assert all(0 < utf16_length(part) <= PART_LIMIT for part in parts)
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
        "\n", ""
    )


def test_buttons_become_one_row_each_with_the_token_as_callback_data() -> None:
    markup = inline_keyboard(
        [ReplyButton(id="AbC-_123", title="Українська"), ReplyButton("x", "Y")]
    )
    assert markup is not None
    assert [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard] == [
        [("Українська", "AbC-_123")],
        [("Y", "x")],
    ]
    assert inline_keyboard([]) is None


def test_telegram_texts_exist_in_three_languages() -> None:
    texts = load_telegram_texts(PROJECT_ROOT)
    assert missing_telegram_texts(texts) == []
    for language in ("uk", "en", "nl"):
        assert [c.command for c in texts.menu(language)] == list(MENU)
    ukrainian = [t["uk"] for t in (*texts.commands.values(), *texts.messages.values())]
    assert not set("ыэъёЫЭЪЁ") & set("".join(ukrainian))


def test_a_missing_translation_is_reported() -> None:
    texts = load_telegram_texts(PROJECT_ROOT)
    broken = type(texts)(commands={**texts.commands, "help": {"uk": "x"}}, messages={})
    assert missing_telegram_texts(broken) == [
        "texts/telegram.yml: commands.help: no 'en' text",
        "texts/telegram.yml: commands.help: no 'nl' text",
    ]


def test_retry_after_is_read_as_seconds_in_either_of_ptbs_forms(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # the coming form: a timedelta
    assert retry_seconds(RetryAfter(3)) == 3.0
    monkeypatch.delenv("PTB_TIMEDELTA")  # today's: an int, with a deprecation warning
    with pytest.warns(PTBDeprecationWarning):
        error = RetryAfter(2)  # PTB warns in its own __init__ already
    assert retry_seconds(error) == 2.0


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    server = FakeTelegram()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def bot(fake: FakeTelegram) -> Bot:
    fake.user(USER, language_code="nl")
    return Bot(TOKEN, base_url=fake.base_url)


async def test_a_long_reply_arrives_in_parts_with_the_buttons_on_the_last(
    fake: FakeTelegram, bot: Bot
) -> None:
    before = len(fake.sent_to(USER))
    text = "\n\n".join(_paragraph(n, 3000) for n in range(3))
    reply = Reply(text=text, language="nl", buttons=(ReplyButton(id="tok12345", title="Ja"),))
    async with bot:
        await Sender(load_telegram_texts(PROJECT_ROOT)).send_turn(
            bot, USER, Turn(language="nl", replies=[reply])
        )
    sent = fake.sent_to(USER)[before:]
    assert len(sent) == 3
    assert all("reply_markup" not in m for m in sent[:-1])
    assert sent[-1]["reply_markup"] == {
        "inline_keyboard": [[{"text": "Ja", "callback_data": "tok12345"}]]
    }
    calls = fake.calls_of("sendMessage")[-3:]
    assert all("parse_mode" not in call.params for call in calls)


async def test_flood_control_is_waited_out_and_then_given_up(
    fake: FakeTelegram, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PTB warns about its own RetryAfter unless the coming timedelta form is chosen.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    sender = Sender(load_telegram_texts(PROJECT_ROOT))
    async with bot:
        fake.fail_next("sendMessage", retry_after=1)
        started = time.monotonic()
        assert await sender.send_text(bot, USER, "after a wait")
        assert time.monotonic() - started >= 1.0
        assert fake.sent_to(USER)[-1]["text"] == "after a wait"
        for _ in range(3):
            fake.fail_next("sendMessage", retry_after=1)
        assert not await sender.send_text(bot, USER, "never")
    assert fake.sent_to(USER)[-1]["text"] == "after a wait"
    assert [c.status for c in fake.calls_of("sendMessage")[-3:]] == [429, 429, 429]


async def test_buttons_without_text_get_a_short_prompt(fake: FakeTelegram, bot: Bot) -> None:
    reply = Reply(text="", language="uk", buttons=(ReplyButton(id="t1", title="Так"),))
    async with bot:
        await Sender(load_telegram_texts(PROJECT_ROOT)).send_turn(
            bot, USER, Turn(language="uk", replies=[reply])
        )
    assert fake.sent_to(USER)[-1]["text"] == "Оберіть:"


@pytest.fixture
async def runtime_for(tmp_path: Path) -> AsyncIterator[Callable[..., TelegramRuntime]]:
    """Makes a TelegramRuntime that is configured but not started (no Telegram, no Rasa)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    rasa = RasaClient(base_url="http://127.0.0.1:9", timeout=1.0)
    service = ConversationService(
        sessions=make_sessionmaker(engine),
        rasa=rasa,
        decider=LanguageDecider(),
        texts=load_texts(PROJECT_ROOT),
        links={},
        max_message_chars=1000,
    )

    def make(**values: str) -> TelegramRuntime:
        settings = Settings(**{"TELEGRAM_BOT_TOKEN": TOKEN, **values})  # type: ignore[arg-type]
        return TelegramRuntime(
            settings=settings,
            service=service,
            pseudonyms=Pseudonymizer(b"k" * 32),
            sessions=make_sessionmaker(engine),
        )

    yield make
    await rasa.close()
    await engine.dispose()


def _webhook_client(runtime: TelegramRuntime) -> httpx.AsyncClient:
    app = FastAPI()
    app.include_router(build_webhook_router())
    app.state.telegram = runtime
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


async def test_the_webhook_checks_the_secret_before_anything_else(
    runtime_for: Callable[..., TelegramRuntime],
) -> None:
    runtime = runtime_for(TELEGRAM_MODE="webhook", TELEGRAM_WEBHOOK_SECRET="s3cret-token")
    update = {"update_id": 1, "message": {}}
    async with _webhook_client(runtime) as client:
        assert (await client.post(WEBHOOK_PATH, json=update)).status_code == 403
        wrong = {SECRET_HEADER: "s3cret-tokeN"}
        assert (await client.post(WEBHOOK_PATH, json=update, headers=wrong)).status_code == 403
        right = {SECRET_HEADER: "s3cret-token"}
        # Not started yet: Telegram is asked to deliver again later.
        assert (await client.post(WEBHOOK_PATH, json=update, headers=right)).status_code == 503
        assert (await client.post(WEBHOOK_PATH, content=b"{", headers=right)).status_code == 400


async def test_the_webhook_route_is_absent_in_polling_mode(
    runtime_for: Callable[..., TelegramRuntime],
) -> None:
    async with _webhook_client(runtime_for(TELEGRAM_MODE="polling")) as client:
        assert (await client.post(WEBHOOK_PATH, json={"update_id": 1})).status_code == 404


@pytest.mark.parametrize(
    "values",
    [
        {"TELEGRAM_MODE": "webhook", "PUBLIC_URL": "https://example.org"},
        {
            "TELEGRAM_MODE": "webhook",
            "PUBLIC_URL": "https://e.org",
            "TELEGRAM_WEBHOOK_SECRET": "a b",
        },
        {"TELEGRAM_MODE": "webhook", "TELEGRAM_WEBHOOK_SECRET": "fine-secret"},
    ],
)
async def test_webhook_mode_refuses_to_start_without_a_valid_secret_and_address(
    runtime_for: Callable[..., TelegramRuntime], values: dict[str, str]
) -> None:
    with pytest.raises(ValueError, match="TELEGRAM_"):
        runtime_for(**values).start()


async def test_one_chat_is_processed_in_order_while_other_chats_go_ahead() -> None:
    processor = PerChatUpdateProcessor(8)
    order: list[str] = []
    release = asyncio.Event()

    def update(chat_id: int) -> Update:
        return Update.de_json(
            {
                "update_id": chat_id,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": chat_id, "type": "private"},
                    "text": "x",
                },
            },
            None,
        )

    async def work(name: str, *, wait: bool = False) -> None:
        if wait:
            await release.wait()
        order.append(name)

    first = asyncio.create_task(processor.process_update(update(1), work("a1", wait=True)))
    second = asyncio.create_task(processor.process_update(update(1), work("a2")))
    other = asyncio.create_task(processor.process_update(update(2), work("b1")))
    await other
    assert order == ["b1"]  # chat 2 was not held up by chat 1's slow update
    release.set()
    await asyncio.gather(first, second)
    assert order == ["b1", "a1", "a2"]
