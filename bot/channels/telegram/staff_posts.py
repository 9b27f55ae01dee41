"""New, reopened and undeliverable tickets posted in the staff group(s), with their buttons."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_timedelta
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    TelegramError,
)

from bot.channels.telegram.sending import BotProvider, cut, retry_for, send_plain
from bot.channels.telegram.split import utf16_length
from bot.channels.telegram.texts import StaffTexts
from bot.db.models import OutboxJob, StaffPost, Ticket, as_utc, utcnow
from bot.escalation.desk import staff_name
from bot.escalation.outbox import Context, Finish, RetryLater
from bot.escalation.tickets import display_code, excerpt_from_json
from bot.texts import Texts
from bot.translation import NoTranslator, Translation, Translator
from bot.translation.staff import question_for_staff

log = logging.getLogger("wegwijs.telegram.staff")

MESSAGE_LIMIT = 4095  # Telegram's 4,096 UTF-16 code units, with one to spare
EXCERPT_LINE_CHARS = 500
PREVIOUS_ANSWER_CHARS = 1000
BUTTON_NAME_CHARS = 40


# --- the staff group ------------------------------------------------------------------------


class StaffPosts:
    """Posts tickets in the staff chat(s) (outbox handler), with the buttons for their state."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        texts: Texts,
        staff_texts: StaffTexts,
        staff_chat_ids: frozenset[int],
        timezone: str,
        bot: BotProvider,
        translator: Translator | None = None,
    ) -> None:
        self._sessions = sessions
        self._texts = texts
        self._staff = staff_texts
        self._chats = staff_chat_ids
        self._tz = ZoneInfo(timezone)
        self._bot = bot
        self._translator: Translator = translator or NoTranslator()
        # Set by whoever runs the outbox in this process: look for the new job at once.
        self.wake_outbox: Callable[[], None] = lambda: None

    # --- posting (outbox) -------------------------------------------------------------------

    async def notify(self, context: Context, ticket: Ticket) -> Finish | None:
        """A new ticket (notify_staff) or a reopened one (notify_reopened), in every staff
        chat that has no post of it from this job yet. A chat that fails does not hold up the
        others; the job is retried for the ones left."""
        bot = self._bot()
        posted = await self._chats_posted(context.job.id, context.job.kind, ticket.id)
        if context.job.kind == "notify_reopened":
            text = self.reopened_text(ticket)
        elif context.job.kind == "notify_undelivered":
            text = self.undelivered_text(ticket)
        else:
            translation = await question_for_staff(
                self._translator,
                ticket.question,
                source=ticket.language,
                target=self._staff.language,
            )
            text = self.ticket_text(ticket, now=utcnow(), translation=translation)
        markup = self.keyboard(ticket)
        failures: list[RetryLater] = []
        for chat_id in sorted(self._chats - posted):
            try:
                message = await send_plain(bot, chat_id, text, markup=markup)
            except ChatMigrated as error:
                log.error(
                    "Telegram staff chat %d became a supergroup: put %d in "
                    "TELEGRAM_STAFF_CHAT_IDS instead",
                    chat_id,
                    error.new_chat_id,
                )
                failures.append(retry_for(error, "staff post"))
                continue
            except (Forbidden, BadRequest) as error:
                log.error(
                    "Telegram staff chat %d cannot be posted in (%s): is the bot a member?",
                    chat_id,
                    error.message,
                )
                failures.append(retry_for(error, "staff post"))
                continue
            except TelegramError as error:
                failures.append(retry_for(error, "staff post"))
                continue
            async with self._sessions.begin() as session:
                session.add(
                    StaffPost(ticket_id=ticket.id, chat_id=chat_id, message_id=message.message_id)
                )
        if failures:
            waits = [f.seconds for f in failures if f.seconds is not None]
            raise RetryLater(str(failures[0]), seconds=max(waits) if waits else None)
        return None

    async def _chats_posted(self, job_id: int, kind: str, ticket_id: int) -> set[int]:
        """Chats that already have this job's post (an attempt cut short, e.g. by a crash).
        A new ticket's job is its first: any post of the ticket counts. A reopened ticket's
        counts from when the job was written (the hosts' clocks agree, as NTP keeps them)."""
        query = select(StaffPost.chat_id).where(StaffPost.ticket_id == ticket_id)
        if kind != "notify_staff":
            written = select(OutboxJob.created_at).where(OutboxJob.id == job_id).scalar_subquery()
            query = query.where(StaffPost.created_at >= written)
        async with self._sessions() as session:
            return set(await session.scalars(query))

    def ticket_text(
        self, ticket: Ticket, *, now: dt.datetime, translation: Translation | None = None
    ) -> str:
        """The post of a new ticket, under Telegram's limit: the oldest lines of the excerpt
        give way first, then the question is cut."""
        created = as_utc(ticket.created_at)
        lines = [
            f"{self._staff.text(line.sender)}: {cut(line.text, EXCERPT_LINE_CHARS)}"
            for line in excerpt_from_json(ticket.excerpt)
        ]
        question = ticket.question.strip()
        if translation is not None:
            question = self._staff.text(
                "question_translated",
                translation=translation.text.strip(),
                language=self._staff.language_name(ticket.language),
                original=question,
            )
        while True:
            text = self._staff.text(
                "new_ticket",
                code=display_code(ticket.code),
                urgent=self._staff.text("urgent") if ticket.urgent else "",
                language=self._staff.language_name(ticket.language),
                topic=self._topic(ticket.topic),
                channel=self._staff.channel_name(ticket.channel),
                created=self._moment(created),
                age=format_timedelta(
                    max(now - created, dt.timedelta(minutes=1)),
                    granularity="minute",
                    threshold=1.5,
                    locale=self._staff.language,
                ),
                expected=(
                    self._moment(as_utc(ticket.expected_by))
                    if ticket.expected_by
                    else self._staff.text("expected_unknown")
                ),
                question=question,
                excerpt="\n".join(lines) or self._staff.text("excerpt_empty"),
                answer_note=self._staff.text(
                    "answer_machine_translated"
                    if self._translator.configured
                    else "answer_as_written"
                ),
            )
            if utf16_length(text) <= MESSAGE_LIMIT:
                return text
            if lines:
                lines.pop(0)
            elif len(question) <= 1:  # cannot happen with texts/staff.yml as it is
                return text[: MESSAGE_LIMIT // 2]
            else:
                over = utf16_length(text) - MESSAGE_LIMIT
                question = cut(question, max(1, len(question) - over - 1))

    def reopened_text(self, ticket: Ticket) -> str:
        return self._staff.text(
            "reopened",
            code=display_code(ticket.code),
            urgent=self._staff.text("urgent") if ticket.urgent else "",
            language=self._staff.language_name(ticket.language),
            channel=self._staff.channel_name(ticket.channel),
            question=cut(ticket.question, PREVIOUS_ANSWER_CHARS),
            name=staff_name(ticket.answered_by) or self._staff.text("nobody"),
            answer=cut(ticket.answer or "", PREVIOUS_ANSWER_CHARS),
        )

    def undelivered_text(self, ticket: Ticket) -> str:
        return self._staff.text(
            "undelivered",
            code=display_code(ticket.code),
            language=self._staff.language_name(ticket.language),
            channel=self._staff.channel_name(ticket.channel),
            question=cut(ticket.question, PREVIOUS_ANSWER_CHARS),
            name=staff_name(ticket.answered_by) or self._staff.text("nobody"),
            answer=cut(ticket.answer or "", PREVIOUS_ANSWER_CHARS),
        )

    def keyboard(self, ticket: Ticket) -> InlineKeyboardMarkup:
        """The buttons under a ticket's posts, for its state now."""

        def button(text: str, action: str) -> list[InlineKeyboardButton]:
            return [InlineKeyboardButton(text, callback_data=f"staff:{action}:{ticket.id}")]

        if ticket.state == "claimed":
            name = cut(staff_name(ticket.claimed_by), BUTTON_NAME_CHARS)
            return InlineKeyboardMarkup(
                [
                    button(self._staff.text("button_claimed", name=name), "claim"),
                    button(self._staff.text("button_release"), "release"),
                ]
            )
        if ticket.state == "answered":
            name = cut(staff_name(ticket.answered_by), BUTTON_NAME_CHARS)
            return InlineKeyboardMarkup(
                [button(self._staff.text("button_answered", name=name), "info")]
            )
        if ticket.state == "closed":
            return InlineKeyboardMarkup([button(self._staff.text("button_closed"), "info")])
        return InlineKeyboardMarkup([button(self._staff.text("button_claim"), "claim")])

    def _topic(self, topic: str | None) -> str:
        name = f"topic_{topic}"
        if topic and name in self._texts.buttons:
            return str(self._texts.buttons[name]["title"][self._staff.language])
        return topic or self._staff.text("topic_unknown")

    def _moment(self, moment: dt.datetime) -> str:
        return format_datetime(
            moment, "EEE d MMM, HH:mm", tzinfo=self._tz, locale=self._staff.language
        )
