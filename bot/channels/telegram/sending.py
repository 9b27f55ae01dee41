"""Sending to Telegram: the newcomer's replies (with retries on flood control) and the staff
group's plain posts; what a Telegram error means for the outbox."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import warnings
from collections.abc import Callable, Sequence

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.channels.telegram.split import split_message
from bot.channels.telegram.texts import TelegramTexts
from bot.escalation.outbox import RetryLater
from bot.turns import ReplyButton, Turn

log = logging.getLogger("wegwijs.telegram")

SEND_ATTEMPTS = 3
MAX_RETRY_WAIT = 30.0  # seconds: a longer flood wait drops the reply rather than block the chat


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


# --- sending --------------------------------------------------------------------------------


BotProvider = Callable[[], Bot]  # raises RetryLater while Telegram is not running


def retry_for(error: TelegramError, what: str) -> RetryLater:
    """The outbox's answer to a Telegram error that may pass: flood control says how long."""
    if isinstance(error, RetryAfter):
        with warnings.catch_warnings():  # PTB warns that the int form is going away
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            wait = error.retry_after
        seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
        return RetryLater(f"{what}: Telegram flood control", seconds=seconds)
    return RetryLater(f"{what}: {type(error).__name__}")


async def send_plain(
    bot: Bot,
    chat_id: int,
    text: str,
    *,
    markup: InlineKeyboardMarkup | None = None,
    reply_to: int | None = None,
) -> Message:
    return await bot.send_message(
        chat_id=chat_id,
        text=text,
        reply_markup=markup,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        reply_parameters=(
            ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
            if reply_to is not None
            else None
        ),
    )


def cut(text: str, limit: int) -> str:
    flat = text.strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
