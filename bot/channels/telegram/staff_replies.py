"""What staff do in their Telegram group: buttons (claim, release), replies (answers), /chatid.
Only updates from the configured staff chats count; anyone else is refused and logged (without
ids or text)."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Awaitable

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from telegram import (
    Bot,
    Update,
    User,
)
from telegram.error import TelegramError
from telegram.ext import (
    ContextTypes,
)

from bot.channels.telegram.sending import send_plain
from bot.channels.telegram.staff_posts import StaffPosts
from bot.db.models import StaffPost, Ticket
from bot.escalation import desk
from bot.escalation.delivery import ticket_language
from bot.escalation.desk import staff_name
from bot.escalation.tickets import display_code
from bot.translation.staff import answer_for_newcomer

log = logging.getLogger("wegwijs.telegram.staff")

CALLBACK_PATTERN = r"^staff:"
_CALLBACK = re.compile(r"^staff:(?P<action>claim|release|info):(?P<ticket>\d{1,18})$")
IDENTITY_CHARS = 80  # tickets.claimed_by / answered_by


# --- who staff are --------------------------------------------------------------------------


def staff_identity(user: User) -> str:
    """ "Anna de Vries @anna [telegram:123]": a name colleagues recognise, and the id that
    tells two people with the same name apart. Stored as claimed_by / answered_by."""
    name = " ".join(user.full_name.split()) or "?"
    if user.username:
        name = f"{name} @{user.username}"
    suffix = f" [telegram:{user.id}]"
    return name[: IDENTITY_CHARS - len(suffix)] + suffix


class StaffDesk(StaffPosts):
    """The staff group: tickets posted (StaffPosts), and what staff do there: claim and
    release with a button, answer by replying to a post, by the desk's rules
    (bot/escalation/desk.py)."""

    # --- what staff do in the group ---------------------------------------------------------

    def is_staff_chat(self, chat_id: int) -> bool:
        return chat_id in self._chats

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A press on a ticket's button: claim, release, or (on a finished one) its state."""
        query = update.callback_query
        chat = update.effective_chat
        if query is None:
            return
        if chat is None or not self.is_staff_chat(chat.id):
            log.warning(
                "Telegram staff: a staff button from a %s chat was refused (not a staff chat)",
                chat.type if chat else "unknown",
            )
            await _answer_query(query.answer(self._staff.text("not_allowed"), show_alert=True))
            return
        match = _CALLBACK.match(query.data or "")
        if match is None or query.from_user is None or query.from_user.is_bot:
            await _answer_query(query.answer(self._staff.text("anonymous"), show_alert=True))
            return
        staff = staff_identity(query.from_user)
        action, ticket_id = match["action"], int(match["ticket"])
        try:
            notice, alert, ticket = await self._press(action, ticket_id, staff)
        except (SQLAlchemyError, OSError) as error:
            log.warning("Telegram staff: a button failed (%s)", type(error).__name__)
            await _answer_query(query.answer(self._staff.text("try_again"), show_alert=True))
            return
        await _answer_query(query.answer(notice, show_alert=alert))
        if ticket is not None:
            await self._refresh_posts(context.bot, ticket)

    async def _press(
        self, action: str, ticket_id: int, staff: str
    ) -> tuple[str, bool, Ticket | None]:
        """(the notice for the person who pressed, shown as an alert?, the ticket to redraw)"""
        async with self._sessions.begin() as session:
            try:
                if action == "claim":
                    ticket = (await desk.claim(session, ticket_id=ticket_id, staff=staff)).ticket
                    return self._staff.text("claimed_by_you", code=_shown(ticket)), False, ticket
                if action == "release":
                    ticket = await desk.release(session, ticket_id=ticket_id, staff=staff)
                    return self._staff.text("released", code=_shown(ticket)), False, ticket
                ticket = await desk.find_by_id(session, ticket_id=ticket_id)
            except desk.TicketMissing:
                return self._staff.text("not_found"), True, None
            except desk.ClaimedByOther as refusal:
                ticket = _refused(refusal)
                key = "claimed_by_other" if action == "claim" else "release_not_yours"
                name = staff_name(refusal.who)
                return self._staff.text(key, code=_shown(ticket), name=name), True, ticket
            except desk.Refusal as refusal:  # answered, closed, not claimed: its state
                ticket = _refused(refusal)
            return self._state_notice(ticket), False, ticket

    def _state_notice(self, ticket: Ticket) -> str:
        shown = display_code(ticket.code)
        if ticket.state == "answered":
            return self._staff.text(
                "state_answered", code=shown, name=staff_name(ticket.answered_by)
            )
        if ticket.state == "closed":
            return self._staff.text("state_closed", code=shown)
        if ticket.state == "claimed":
            return self._staff.text(
                "claimed_by_other", code=shown, name=staff_name(ticket.claimed_by)
            )
        return self._staff.text("state_open", code=shown)

    async def on_reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A reply in a group to one of the bot's messages: in a staff chat, to a ticket's
        post, it is the answer to that ticket."""
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None:
            return
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
            return  # colleagues talking among themselves
        if not self.is_staff_chat(chat.id):
            log.warning(
                "Telegram staff: a reply in a %s chat was refused (not a staff chat)", chat.type
            )
            await self._say(context.bot, chat.id, "not_a_staff_chat", reply_to=message.message_id)
            return
        say = message.message_id
        user = message.from_user
        if user is None or user.is_bot or message.sender_chat is not None:
            await self._say(context.bot, chat.id, "anonymous", reply_to=say)
            return
        if message.text is None:
            await self._say(context.bot, chat.id, "text_only", reply_to=say)
            return
        staff = staff_identity(user)
        try:
            outcome = await self._save_answer(chat.id, replied.message_id, staff, message.text)
        except (SQLAlchemyError, OSError) as error:
            log.warning("Telegram staff: an answer was not saved (%s)", type(error).__name__)
            await self._say(context.bot, chat.id, "try_again", reply_to=say)
            return
        key, values, ticket = outcome
        if key.startswith("answer_saved"):
            self.wake_outbox()
        await self._say(context.bot, chat.id, key, reply_to=say, **values)
        if ticket is not None:
            await self._refresh_posts(context.bot, ticket)

    async def _save_answer(
        self, chat_id: int, message_id: int, staff: str, text: str
    ) -> tuple[str, dict[str, str], Ticket | None]:
        """(what to say in the group, its values, the ticket to redraw)"""
        async with self._sessions() as session:
            post = await session.scalar(
                select(StaffPost).where(
                    StaffPost.chat_id == chat_id, StaffPost.message_id == message_id
                )
            )
            ticket = await session.get(Ticket, post.ticket_id) if post is not None else None
        if ticket is None:
            return "not_a_ticket_post", {}, None
        try:  # checked before the translation (none for nothing), and again when stored
            desk.check(ticket, "answer", staff=staff, force=True)
            if not text.strip():
                raise desk.EmptyAnswer(ticket)
            newcomer = await answer_for_newcomer(
                self._translator, text, language=ticket_language(ticket), texts=self._texts
            )
        except desk.Refusal as refusal:
            return self._answer_refused(refusal)
        async with self._sessions.begin() as session:
            try:
                ticket = await desk.answer(
                    session, ticket_id=ticket.id, staff=staff, text=newcomer.text, force=True
                )
            except desk.Refusal as refusal:  # a colleague was quicker
                return self._answer_refused(refusal)
        shown = display_code(ticket.code)
        values = {
            "code": shown,
            "name": staff_name(staff),
            "language": self._staff.language_name(ticket.language),
            "channel": self._staff.channel_name(ticket.channel),
        }
        if newcomer.failure is not None:
            return "answer_saved_untranslated", values, ticket
        if newcomer.machine_translated:
            return "answer_saved_translated", {**values, "translation": newcomer.text}, ticket
        return "answer_saved", values, ticket

    def _answer_refused(self, refusal: desk.Refusal) -> tuple[str, dict[str, str], Ticket | None]:
        ticket = refusal.ticket
        if ticket is None:
            return "not_a_ticket_post", {}, None
        shown = display_code(ticket.code)
        if isinstance(refusal, desk.AlreadyAnswered):
            return "already_answered", {"code": shown, "name": staff_name(refusal.who)}, ticket
        if isinstance(refusal, desk.TicketClosed):
            return "ticket_closed", {"code": shown}, ticket
        if isinstance(refusal, desk.EmptyAnswer):
            return "empty_answer", {}, None
        return "cannot_answer", {"code": shown}, ticket

    async def on_chat_id(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/chatid in a group: its id, to put in TELEGRAM_STAFF_CHAT_IDS (a group's id is
        not personal data; it is also logged, for whoever reads the gateway's log)."""
        chat = update.effective_chat
        message = update.effective_message
        if chat is None or message is None:
            return
        staff = self.is_staff_chat(chat.id)
        log.warning(
            "Telegram: /chatid in a %s chat with id %d (%s)",
            chat.type,
            chat.id,
            "a staff chat" if staff else "not a staff chat",
        )
        key = "chat_id_staff" if staff else "chat_id_other"
        await self._say(context.bot, chat.id, key, reply_to=message.message_id, id=chat.id)

    async def _refresh_posts(self, bot: Bot, ticket: Ticket) -> None:
        """Every post of the ticket shows its state (who claimed or answered it)."""
        async with self._sessions() as session:
            current = await session.get(Ticket, ticket.id)
            posts = list(
                await session.scalars(select(StaffPost).where(StaffPost.ticket_id == ticket.id))
            )
        if current is None:
            return
        markup = self.keyboard(current)
        for post in posts:
            try:
                await bot.edit_message_reply_markup(
                    chat_id=post.chat_id, message_id=post.message_id, reply_markup=markup
                )
            except TelegramError as error:  # "message is not modified", deleted, flood control
                log.info("Telegram staff: a post's buttons were not updated (%s)", error.message)

    async def _say(
        self, bot: Bot, chat_id: int, key: str, *, reply_to: int | None, **values: object
    ) -> None:
        try:
            await send_plain(bot, chat_id, self._staff.text(key, **values), reply_to=reply_to)
        except TelegramError as error:
            log.warning("Telegram staff: a reply in the group was not sent (%s)", error.message)


def _shown(ticket: Ticket) -> str:
    return display_code(ticket.code)


def _refused(refusal: desk.Refusal) -> Ticket:
    """The ticket of a refusal that has one (every refusal after the ticket was found)."""
    assert refusal.ticket is not None
    return refusal.ticket


async def _answer_query(call: Awaitable[object]) -> None:
    """Answers a callback query (stops the button's spinner); a late answer is harmless."""
    with contextlib.suppress(TelegramError):
        await call
