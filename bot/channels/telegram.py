"""The Telegram channel: python-telegram-bot in front of the same ConversationService as the web.

Two modes (TELEGRAM_MODE): `polling` needs no public HTTPS (a pilot); `webhook` is a route on
the gateway that checks Telegram's secret token, processes every update once and answers at
once. Rasa, the logs and the database know a user only by a keyed hash of their Telegram id;
the chat id is kept only to deliver staff answers, encrypted (TelegramAddresses). Replies are
plain text (no parse mode), so nothing a user or staff member writes can be read as markup.

Staff use the same bot in their own group(s): bot/channels/telegram_staff.py posts tickets
there and takes their answers; this module routes the group's updates to it and never treats
them as a newcomer's (the newcomer handlers take private chats only).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import json
import logging
import re
import warnings
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Request, Response
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    JobQueue,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBDeprecationWarning

from bot.channels.telegram_staff import (
    CALLBACK_PATTERN,
    AddressSealer,
    AnswerDelivery,
    StaffDesk,
    TelegramAddresses,
    load_staff_texts,
)
from bot.config import Settings
from bot.conversation import BadInput, ConversationService, ReplyButton, Turn
from bot.db import repository
from bot.db.models import Ticket
from bot.escalation.outbox import Context, Finish, RetryLater
from bot.language import SUPPORTED, Language
from bot.pseudonym import Pseudonymizer, load_or_create_key
from bot.rasa_client import RasaUnavailable
from bot.translation import Translator, translator_from_settings

log = logging.getLogger("wegwijs.telegram")

CHANNEL = "telegram"
# The command menu, in order. /start is the greeting; the others are payloads for Rasa.
MENU = ("start", "help", "language", "human", "status", "privacy", "mydata", "forget")
COMMAND_PAYLOADS = {
    "help": "/help",
    "language": "/change_language",
    "human": "/ask_human",
    "status": "/ticket_status",
    "privacy": "/privacy",
    # Answered by the gateway itself (bot/privacy/requests.py), never by Rasa.
    "mydata": "@mydata",
    "forget": "@forget",
}
# Telegram app languages that get a menu of their own. Russian-language apps get the Ukrainian
# one: Russian speakers are answered in Ukrainian (bot/language.py). Others get the default.
MENU_LANGUAGES: dict[str, Language] = {"uk": "uk", "en": "en", "nl": "nl", "ru": "uk"}
ALLOWED_UPDATES = ("message", "callback_query")

MESSAGE_LIMIT = 4096  # Telegram's limit, counted in UTF-16 code units
PART_LIMIT = MESSAGE_LIMIT - 1
SEND_ATTEMPTS = 3
MAX_RETRY_WAIT = 30.0  # seconds: a longer flood wait drops the reply rather than block the chat
MAX_CONCURRENT_UPDATES = 64

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
PURGE_INTERVAL = 3600.0  # seconds between purges of old accepted update ids
START_BACKOFF_MAX = 60.0

TelegramApp = Application[
    ExtBot[None],
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]
Ask = Callable[[str, str | None], Awaitable[Turn]]


# --- texts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TelegramTexts:
    """texts/telegram.yml: the command menu and what the channel itself says."""

    commands: dict[str, dict[str, str]]
    messages: dict[str, dict[str, str]]

    def menu(self, language: Language) -> list[BotCommand]:
        return [BotCommand(name, self.commands[name][language]) for name in MENU]

    def message(self, key: str, language: Language) -> str:
        return self.messages[key][language]


def load_telegram_texts(root: Path) -> TelegramTexts:
    data = yaml.safe_load((root / "texts" / "telegram.yml").read_text(encoding="utf-8"))
    return TelegramTexts(commands=data["commands"], messages=data["messages"])


def missing_telegram_texts(texts: TelegramTexts) -> list[str]:
    """Every command and message in uk, en and nl, within Telegram's length limits."""
    problems: list[str] = []
    tables = [(f"commands.{name}", texts.commands.get(name)) for name in MENU]
    tables += [(f"messages.{key}", table) for key, table in texts.messages.items()]
    for where, table in tables:
        for language in SUPPORTED:
            value = table.get(language) if isinstance(table, dict) else None
            if not isinstance(value, str) or not value.strip():
                problems.append(f"texts/telegram.yml: {where}: no '{language}' text")
            elif where.startswith("commands.") and len(value) > 256:
                problems.append(f"texts/telegram.yml: {where}.{language}: over 256 characters")
    return problems


# --- sending ------------------------------------------------------------------------------

# From the widest boundary to the narrowest; each keeps its separator (captured) for rejoining.
_BOUNDARIES = (
    re.compile(r"(\n[ \t]*\n\s*)"),  # paragraphs
    re.compile(r"(\n)"),  # lines
    re.compile(r"(?<=[.!?…])([ \t]+)"),  # sentences
    re.compile(r"([ \t]+)"),  # words
)


def utf16_length(text: str) -> int:
    """Telegram measures text in UTF-16 code units: an emoji can count as two."""
    return len(text.encode("utf-16-le")) // 2


def split_message(text: str, *, limit: int = PART_LIMIT) -> list[str]:
    """Parts that each fit one Telegram message, cut at paragraphs, else lines, sentences,
    words, and only as a last resort inside a word."""
    return [part.strip() for part in _split(text.strip(), limit, 0) if part.strip()]


def _split(text: str, limit: int, level: int) -> list[str]:
    if utf16_length(text) <= limit:
        return [text]
    if level == len(_BOUNDARIES):
        return _hard_cut(text, limit)
    tokens = _BOUNDARIES[level].split(text)
    pieces, separators = tokens[0::2], ["", *tokens[1::2]]
    parts: list[str] = []
    current = ""
    for separator, piece in zip(separators, pieces, strict=True):
        joined = f"{current}{separator}{piece}" if current else piece
        if utf16_length(joined) <= limit:
            current = joined
            continue
        if current:
            parts.append(current)
        if utf16_length(piece) <= limit:
            current = piece
        else:
            parts.extend(_split(piece, limit, level + 1))
            current = ""
    if current:
        parts.append(current)
    return parts


def _hard_cut(text: str, limit: int) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    units = 0
    for char in text:
        size = utf16_length(char)
        if units + size > limit:
            parts.append("".join(current))
            current, units = [], 0
        current.append(char)
        units += size
    parts.append("".join(current))
    return parts


def inline_keyboard(buttons: Sequence[ReplyButton]) -> InlineKeyboardMarkup | None:
    """One button per row (titles in three languages can be long); the data is the short
    token the gateway issued, never a payload."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(button.title, callback_data=button.id)] for button in buttons]
    )


def retry_seconds(error: RetryAfter) -> float:
    """RetryAfter.retry_after is an int or a timedelta, depending on PTB_TIMEDELTA."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class Sender:
    """Delivers replies: split to fit, buttons on the last part, Telegram's flood control
    honoured a few times before a reply is given up."""

    def __init__(self, texts: TelegramTexts) -> None:
        self._texts = texts

    async def send_turn(self, bot: Bot, chat_id: int, turn: Turn) -> None:
        for reply in turn.replies:
            text = reply.text.strip()
            if not text and reply.buttons:
                text = self._texts.message("buttons_only", reply.language)
            if not await self.send_text(bot, chat_id, text, buttons=reply.buttons):
                return

    async def send_text(
        self, bot: Bot, chat_id: int, text: str, *, buttons: Sequence[ReplyButton] = ()
    ) -> bool:
        """False when delivery was given up (the rest of a turn is then not sent either)."""
        parts = split_message(text)
        markup = inline_keyboard(buttons)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if not await self._send_part(bot, chat_id, part, markup if last else None):
                return False
        return True

    async def _send_part(
        self, bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None
    ) -> bool:
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                await bot.send_message(
                    chat_id=chat_id,
                    text=text,
                    reply_markup=markup,
                    # Answers list several sources; a preview card of the first one is noise.
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
            except RetryAfter as error:
                wait = retry_seconds(error)
                if attempt == SEND_ATTEMPTS or wait > MAX_RETRY_WAIT:
                    log.warning(
                        "Telegram flood control: a reply was dropped after %d attempt(s) "
                        "(asked to wait %.0f s)",
                        attempt,
                        wait,
                    )
                    return False
                await asyncio.sleep(wait)
            except Forbidden:
                log.info("Telegram: the user blocked the bot; the reply was dropped")
                return False
            else:
                return True
        return False


# --- handlers -----------------------------------------------------------------------------


class TelegramHandlers:
    """What the bot does with each kind of update: the same service turns as the web channel."""

    def __init__(
        self,
        *,
        service: ConversationService,
        pseudonyms: Pseudonymizer,
        texts: TelegramTexts,
        addresses: TelegramAddresses | None = None,
    ) -> None:
        self._service = service
        self._pseudonyms = pseudonyms
        self._texts = texts
        self._sender = Sender(texts)
        self._addresses = addresses

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start (also what Telegram sends when someone opens the bot): the greeting."""

        async def ask(conversation_id: str, hint: str | None) -> Turn:
            return await self._service.start(
                conversation_id=conversation_id, channel=CHANNEL, hint=hint
            )

        await self._turn(update, context, ask)

    def command(
        self, payload: str
    ) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
        """A handler that sends a fixed payload (the user cannot type one: text is cleaned)."""

        async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            async def ask(conversation_id: str, hint: str | None) -> Turn:
                return await self._service.handle_payload(
                    conversation_id=conversation_id, channel=CHANNEL, payload=payload, hint=hint
                )

            await self._turn(update, context, ask)

        return handle

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.text is None:
            return
        text = message.text

        async def ask(conversation_id: str, hint: str | None) -> Turn:
            return await self._service.handle_text(
                conversation_id=conversation_id, channel=CHANNEL, text=text, hint=hint
            )

        await self._turn(update, context, ask)

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An inline button: answered at once (the spinner stops), then handled like the web
        widget's buttons, so an old or unknown one gets the service's polite reply."""
        query = update.callback_query
        if query is None:
            return
        with contextlib.suppress(TelegramError):  # too old to answer: still handle it
            await query.answer()
        chat = update.effective_chat
        if query.data is None or (chat is not None and chat.type != chat.PRIVATE):
            return
        token = query.data

        async def ask(conversation_id: str, hint: str | None) -> Turn:
            return await self._service.handle_button(
                conversation_id=conversation_id, channel=CHANNEL, token=token, hint=hint
            )

        await self._turn(update, context, ask)

    async def unsupported(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo, voice message, sticker, ...: say that only text is read."""
        user = update.effective_user
        if user is None or user.is_bot:
            return
        conversation_id = self._pseudonyms.conversation_id(CHANNEL, str(user.id))
        language = await self._service.language_of(conversation_id, hint=user.language_code)
        await self._sender.send_text(
            context.bot,
            _chat_id(update, user.id),
            self._texts.message("unsupported_message", language),
        )

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Logs the failure without the update: it holds the user's id, name and text."""
        log.error(
            "Telegram update failed: %s", type(context.error).__name__, exc_info=context.error
        )

    async def _turn(self, update: Update, context: ContextTypes.DEFAULT_TYPE, ask: Ask) -> None:
        user = update.effective_user
        if user is None or user.is_bot:
            return
        chat_id = _chat_id(update, user.id)
        conversation_id = self._pseudonyms.conversation_id(CHANNEL, str(user.id))
        hint = user.language_code
        if self._addresses is not None:  # where a staff answer to this newcomer will go
            await self._addresses.remember(conversation_id, chat_id)
        try:
            turn = await ask(conversation_id, hint)
        except BadInput as error:
            await self._sender.send_text(context.bot, chat_id, error.message)
            return
        except RasaUnavailable:
            language = await self._service.language_of(conversation_id, hint=hint)
            unavailable = self._service.texts.gateway_text("assistant_unavailable", language)
            await self._sender.send_text(context.bot, chat_id, unavailable)
            return
        await self._sender.send_turn(context.bot, chat_id, turn)


def _chat_id(update: Update, user_id: int) -> int:
    """Where to reply: the chat (private chats only), whose id is the user's own."""
    chat = update.effective_chat
    return chat.id if chat is not None else user_id


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of different chats at once (a slow answer for one newcomer never holds up
    another), one chat's updates in order (replies never overtake each other)."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._pending: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._pending[chat.id] = self._pending.get(chat.id, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._pending[chat.id] -= 1
            if not self._pending[chat.id]:
                del self._pending[chat.id], self._locks[chat.id]

    async def initialize(self) -> None:
        """Nothing to set up: locks are made per chat as updates arrive."""

    async def shutdown(self) -> None:
        """Nothing to free."""


def build_application(
    *, settings: Settings, handlers: TelegramHandlers, staff: StaffDesk | None = None
) -> TelegramApp:
    """The python-telegram-bot Application, wired. Webhook mode has no Updater: the
    gateway's route feeds the update queue. Newcomers are served in private chats only; staff
    handlers see groups (and refuse staff buttons pressed anywhere else)."""
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .concurrent_updates(PerChatUpdateProcessor(MAX_CONCURRENT_UPDATES))
    )
    if settings.telegram_mode == "webhook":
        builder = builder.updater(None)
    application = builder.build()
    if staff is not None:  # first: a forged "staff:" button in a private chat is refused here
        groups = filters.ChatType.GROUPS
        application.add_handler(CallbackQueryHandler(staff.on_button, pattern=CALLBACK_PATTERN))
        application.add_handler(CommandHandler("chatid", staff.on_chat_id, filters=groups))
        application.add_handler(
            MessageHandler(groups & filters.REPLY & filters.UpdateType.MESSAGE, staff.on_reply)
        )
    private = filters.ChatType.PRIVATE  # in a group, answers would be public
    application.add_handler(CommandHandler("start", handlers.start, filters=private))
    for command, payload in COMMAND_PAYLOADS.items():
        application.add_handler(CommandHandler(command, handlers.command(payload), filters=private))
    new_messages = private & filters.UpdateType.MESSAGE
    application.add_handler(MessageHandler(new_messages & filters.TEXT, handlers.text))
    application.add_handler(MessageHandler(new_messages & ~filters.TEXT, handlers.unsupported))
    application.add_handler(CallbackQueryHandler(handlers.button))
    application.add_error_handler(handlers.error)
    return application


async def register_commands(bot: Bot, texts: TelegramTexts, *, default: Language) -> None:
    """The command menu in the user's app language, and a default for every other one."""
    for code, language in MENU_LANGUAGES.items():
        await bot.set_my_commands(texts.menu(language), language_code=code)
    await bot.set_my_commands(texts.menu(default))


# --- running with the gateway -------------------------------------------------------------


class TelegramRuntime:
    """Runs the bot while the gateway runs. It starts in the background, retrying while
    Telegram is unreachable, so the web channel never waits for Telegram."""

    def __init__(
        self,
        *,
        settings: Settings,
        service: ConversationService,
        pseudonyms: Pseudonymizer,
        sessions: async_sessionmaker[AsyncSession],
        translator: Translator | None = None,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._texts = load_telegram_texts(settings.project_root)
        self._sealer: AddressSealer | None = None
        self._addresses = TelegramAddresses(sessions=sessions, sealer=self._address_sealer)
        self._handlers = TelegramHandlers(
            service=service, pseudonyms=pseudonyms, texts=self._texts, addresses=self._addresses
        )
        self._staff = StaffDesk(
            sessions=sessions,
            texts=service.texts,
            staff_texts=load_staff_texts(settings.project_root, settings.staff_language),
            staff_chat_ids=settings.staff_chat_ids,
            timezone=settings.timezone,
            bot=self._bot,
            translator=translator or translator_from_settings(settings),
        )
        self._delivery = AnswerDelivery(
            sessions=sessions,
            texts=service.texts,
            addresses=self._addresses,
            bot=self._bot,
            split=split_message,
        )
        secret = settings.telegram_webhook_secret
        self._secret = secret.get_secret_value() if secret else ""
        self._application: TelegramApp | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def mode(self) -> str:
        return self._settings.telegram_mode

    @property
    def webhook_url(self) -> str:
        return self._settings.effective_public_url + WEBHOOK_PATH

    @property
    def ready(self) -> bool:
        return self._application is not None and self._application.running

    def start(self) -> None:
        """Checks the configuration (a mistake stops the gateway), then starts in the background."""
        if self.mode == "webhook" and not SECRET_PATTERN.match(self._secret):
            raise ValueError(
                "TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET: 1 to 256 characters "
                "of A-Z, a-z, 0-9, _ and -"
            )
        if self.mode == "webhook" and not self._settings.public_url:
            raise ValueError(
                "TELEGRAM_MODE=webhook needs PUBLIC_URL: the HTTPS address Telegram posts to"
            )
        # Request URLs hold the bot token: never let httpx log them, whatever the log level.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        self._tasks.append(asyncio.create_task(self._start_with_retries()))
        if self.mode == "webhook":
            self._tasks.append(asyncio.create_task(self._purge_forever()))

    async def stop(self) -> None:
        """Stops polling or processing. A webhook stays set, so Telegram keeps what arrives
        during a restart and delivers it afterwards."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._application is not None:
            await _close(self._application)
            self._application = None

    @property
    def addresses(self) -> TelegramAddresses:
        return self._addresses

    # --- the outbox's handlers (staff notifications, answer deliveries) -----------------------

    async def notify_staff(self, context: Context, ticket: Ticket) -> Finish | None:
        """A new or reopened ticket, posted in every staff chat (TELEGRAM_STAFF_CHAT_IDS)."""
        return await self._staff.notify(context, ticket)

    async def deliver_answer(self, context: Context, ticket: Ticket) -> Finish | None:
        """A staff answer to a newcomer who asked on Telegram."""
        return await self._delivery(context, ticket)

    @property
    def wake_outbox(self) -> Callable[[], None]:
        return self._staff.wake_outbox

    @wake_outbox.setter
    def wake_outbox(self, wake: Callable[[], None]) -> None:
        """E.g. the dispatcher's wake(): a staff answer is delivered at once, not at the poll."""
        self._staff.wake_outbox = wake

    def _bot(self) -> Bot:
        application = self._application
        if application is None or not application.running:
            raise RetryLater("Telegram is not running (yet) in this gateway")
        return application.bot

    def _address_sealer(self) -> AddressSealer:
        """Made on first use, from the same key as the pseudonyms (PSEUDONYM_KEY or var/)."""
        if self._sealer is None:
            secret = self._settings.pseudonym_key
            key = load_or_create_key(
                secret.get_secret_value() if secret else None, self._settings.var_dir
            )
            self._sealer = AddressSealer(key)
        return self._sealer

    def secret_matches(self, given: str | None) -> bool:
        if not self._secret or given is None:
            return False
        return hmac.compare_digest(given.encode(), self._secret.encode())

    async def accept(self, data: object) -> int:
        """A webhook delivery (secret already checked): recorded once, queued, answered at
        once. Returns the HTTP status for Telegram; 503 makes it deliver again later."""
        application = self._application
        if application is None or not application.running:
            return 503
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            log.warning("Telegram webhook: the body is not an update")
            return 400
        try:
            update = Update.de_json(data, application.bot)
        except (KeyError, TypeError, ValueError):
            log.warning("Telegram webhook: an update could not be read; ignored")
            return 200
        if not await repository.accept_telegram_update(self._sessions, update_id=update.update_id):
            log.info("Telegram webhook: an update was delivered again; ignored")
            return 200
        await application.update_queue.put(update)
        return 200

    async def _start_with_retries(self) -> None:
        delay = 1.0
        while True:
            try:
                self._application = await self._start_once()
            except (InvalidToken, BadRequest, Forbidden) as error:
                log.error("Telegram not started (%s): %s", type(error).__name__, error)
                return
            except (TelegramError, OSError) as error:
                log.warning(
                    "Telegram not reachable (%s); trying again in %.0f s",
                    type(error).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, START_BACKOFF_MAX)
            except Exception:
                log.exception("Telegram not started")
                return
            else:
                log.warning("Telegram channel running (%s).", self.mode)
                return

    async def _start_once(self) -> TelegramApp:
        application = build_application(
            settings=self._settings, handlers=self._handlers, staff=self._staff
        )
        try:
            await application.initialize()
            await register_commands(
                application.bot, self._texts, default=self._settings.default_language
            )
            if self.mode == "webhook":
                await application.bot.set_webhook(
                    url=self.webhook_url,
                    secret_token=self._secret,
                    allowed_updates=ALLOWED_UPDATES,
                )
            await application.start()
            if application.updater is not None:
                # Deletes any webhook first (Telegram refuses getUpdates while one is set);
                # pending updates are kept, so messages sent while we were down get answers.
                await application.updater.start_polling(
                    allowed_updates=ALLOWED_UPDATES, error_callback=_polling_error
                )
        except BaseException:
            await _close(application)
            raise
        return application

    async def _purge_forever(self) -> None:
        while True:
            try:
                async with self._sessions.begin() as session:
                    await repository.purge_telegram_updates(session)
            except (SQLAlchemyError, OSError) as error:
                log.warning("Telegram: old update ids not purged (%s)", type(error).__name__)
            await asyncio.sleep(PURGE_INTERVAL)


def _polling_error(error: TelegramError) -> None:
    """getUpdates failed (network, or another instance polling with the same token)."""
    log.warning("Telegram polling: %s: %s", type(error).__name__, error)


async def _close(application: TelegramApp) -> None:
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()


def build_webhook_router() -> APIRouter:
    router = APIRouter(tags=["telegram"])

    @router.post(WEBHOOK_PATH, include_in_schema=False)
    async def telegram_webhook(request: Request) -> Response:
        """Telegram's deliveries in webhook mode (404 otherwise)."""
        runtime: TelegramRuntime | None = getattr(request.app.state, "telegram", None)
        if runtime is None or runtime.mode != "webhook":
            return Response(status_code=404)
        if not runtime.secret_matches(request.headers.get(SECRET_HEADER)):
            log.warning("Telegram webhook: a call without the right secret token was refused")
            return Response(status_code=403)
        try:
            data = json.loads(await request.body())
        except ValueError:
            return Response(status_code=400)
        return Response(status_code=await runtime.accept(data))

    return router
