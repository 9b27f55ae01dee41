"""Staff answers delivered to newcomers who asked on Telegram (an outbox handler)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.channels.telegram.addresses import TelegramAddresses
from bot.channels.telegram.sending import BotProvider, retry_for, send_plain
from bot.db import repository
from bot.db.models import Ticket
from bot.escalation.delivery import answer_messages, mark_delivered
from bot.escalation.outbox import Context, Finish, PermanentFailure
from bot.texts import Texts

# --- delivering a staff answer to a newcomer on Telegram ------------------------------------


class AnswerDelivery:
    """The outbox handler for answers to Telegram tickets: the answer, marked as coming from a
    municipal employee, then "did this solve your question?" with its two buttons."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        texts: Texts,
        addresses: TelegramAddresses,
        bot: BotProvider,
        split: Callable[[str], list[str]],
    ) -> None:
        self._sessions = sessions
        self._texts = texts
        self._addresses = addresses
        self._bot = bot
        self._split = split

    async def __call__(self, context: Context, ticket: Ticket) -> Finish:
        chat_id = await self._addresses.chat_of(ticket.conversation_id)
        if chat_id is None:
            raise PermanentFailure(
                "no Telegram chat is known for this conversation",
                finish=mark_delivered(ticket.id, state="failed"),
            )
        bot = self._bot()
        # Parts in a fixed order (the same on every attempt), buttons on a message's last part.
        parts: list[tuple[str, tuple[tuple[str, str], ...]]] = []
        for message in answer_messages(ticket, self._texts):
            pieces = self._split(message.text)
            buttons = tuple((button.title, button.payload) for button in message.buttons)
            for index, piece in enumerate(pieces):
                parts.append((piece, buttons if index == len(pieces) - 1 else ()))
        for index in range(context.job.progress, len(parts)):
            text, buttons = parts[index]
            markup = await self._keyboard(ticket.conversation_id, buttons) if buttons else None
            try:
                await send_plain(bot, chat_id, text, markup=markup)
            except Forbidden as error:  # the newcomer blocked the bot (or deleted the chat)
                raise PermanentFailure(
                    f"Telegram refused delivery: {error.message}"[:200],
                    finish=mark_delivered(ticket.id, state="failed"),
                ) from error
            except BadRequest as error:  # "chat not found" and the like: trying again won't help
                raise PermanentFailure(
                    f"Telegram refused the message: {error.message}"[:200],
                    finish=mark_delivered(ticket.id, state="failed"),
                ) from error
            except TelegramError as error:  # flood control, the network, Telegram itself
                raise retry_for(error, "answer delivery") from error
            await context.record_progress(index + 1)
        return mark_delivered(ticket.id)

    async def _keyboard(
        self, conversation_id: str, buttons: Sequence[tuple[str, str]]
    ) -> InlineKeyboardMarkup:
        """Tokens for the follow-up buttons, committed before the message that shows them."""
        async with self._sessions.begin() as session:
            tokens = [
                await repository.issue_button(
                    session, conversation_id=conversation_id, payload=payload
                )
                for _, payload in buttons
            ]
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(title, callback_data=token)]
                for (title, _), token in zip(buttons, tokens, strict=True)
            ]
        )
