"""The newcomer bot: handlers for private chats, one update at a time per chat, and the
Application wired with them (and with the staff group's handlers)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import (
    Update,
)
from telegram.error import TelegramError
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

from bot.channels.telegram.addresses import CHANNEL, TelegramAddresses
from bot.channels.telegram.commands import COMMAND_PAYLOADS
from bot.channels.telegram.sending import Sender
from bot.channels.telegram.staff_replies import CALLBACK_PATTERN, StaffDesk
from bot.channels.telegram.texts import TelegramTexts
from bot.config import Settings
from bot.conversation import BadInput, ConversationService
from bot.pseudonym import Pseudonymizer
from bot.rasa_client import RasaUnavailable
from bot.turns import Turn

log = logging.getLogger("wegwijs.telegram")

MAX_CONCURRENT_UPDATES = 64

TelegramApp = Application[
    ExtBot[None],
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]
Ask = Callable[[str, str | None], Awaitable[Turn]]


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
