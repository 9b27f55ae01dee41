"""Running the bot beside the gateway: polling or webhook mode, started in the background and
retried while Telegram is unreachable; the outbox handlers for staff posts and answers."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import (
    Bot,
    Update,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, TelegramError

from bot.channels.telegram.addresses import AddressSealer, TelegramAddresses
from bot.channels.telegram.commands import MENU_LANGUAGES
from bot.channels.telegram.delivery import AnswerDelivery
from bot.channels.telegram.newcomer import TelegramApp, TelegramHandlers, build_application
from bot.channels.telegram.split import split_message
from bot.channels.telegram.staff_replies import StaffDesk
from bot.channels.telegram.texts import TelegramTexts, load_staff_texts, load_telegram_texts
from bot.channels.telegram.webhook import SECRET_PATTERN, WEBHOOK_PATH
from bot.config import Settings
from bot.conversation import ConversationService
from bot.db import repository
from bot.db.models import Ticket
from bot.escalation.outbox import Context, Finish, RetryLater
from bot.language import Language
from bot.pseudonym import Pseudonymizer, load_or_create_key
from bot.translation import Translator, translator_from_settings

log = logging.getLogger("wegwijs.telegram")

ALLOWED_UPDATES = ("message", "callback_query")
PURGE_INTERVAL = 3600.0  # seconds between purges of old accepted update ids
START_BACKOFF_MAX = 60.0


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


async def register_commands(bot: Bot, texts: TelegramTexts, *, default: Language) -> None:
    """The command menu in the user's app language, and a default for every other one."""
    for code, language in MENU_LANGUAGES.items():
        await bot.set_my_commands(texts.menu(language), language_code=code)
    await bot.set_my_commands(texts.menu(default))
