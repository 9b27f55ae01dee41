"""Staff in Telegram: new tickets posted in the staff group(s), claimed with a button, answered
by replying to the post; and staff answers delivered to newcomers who asked on Telegram.

Both directions are outbox jobs (bot/escalation/outbox.py), so a crash or a Telegram outage
delays them and loses nothing. Each one records what it has done as it goes (a StaffPost per
group, the number of parts of an answer already sent), so a retry does not send it again.

Only updates from the configured staff chats (TELEGRAM_STAFF_CHAT_IDS) can claim or answer:
anyone else is refused and logged (without ids or text). Staff-facing text is in
texts/staff.yml (STAFF_LANGUAGE picks nl or en); everything is sent as plain text.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
import struct
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import yaml
from babel.dates import format_datetime, format_timedelta
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.ext import ContextTypes
from telegram.warnings import PTBDeprecationWarning

from bot.db import repository
from bot.db.models import ChannelAddress, OutboxJob, StaffPost, Ticket, as_utc, utcnow
from bot.escalation import tickets
from bot.escalation.delivery import answer_messages, mark_delivered, ticket_language
from bot.escalation.outbox import Context, Finish, PermanentFailure, RetryLater
from bot.escalation.tickets import TicketError, TicketStateError, display_code, excerpt_from_json
from bot.texts import Texts
from bot.translation import NoTranslator, Translation, Translator
from bot.translation.staff import answer_for_newcomer, question_for_staff

log = logging.getLogger("wegwijs.telegram.staff")

CHANNEL = "telegram"
STAFF_LANGUAGES = ("nl", "en")
CALLBACK_PATTERN = r"^staff:"
_CALLBACK = re.compile(r"^staff:(?P<action>claim|release|info):(?P<ticket>\d{1,18})$")
MESSAGE_LIMIT = 4095  # Telegram's 4,096 UTF-16 code units, with one to spare
EXCERPT_LINE_CHARS = 500
PREVIOUS_ANSWER_CHARS = 1000
BUTTON_NAME_CHARS = 40
IDENTITY_CHARS = 80  # tickets.claimed_by / answered_by
KNOWN_ADDRESSES_MAX = 50_000
_IDENTITY_SUFFIX = re.compile(r" \[telegram:(?P<id>-?\d+)\]$")


# --- texts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffTexts:
    """texts/staff.yml in the staff language."""

    language: Literal["nl", "en"]
    languages: dict[str, dict[str, str]]
    channels: dict[str, dict[str, str]]
    messages: dict[str, dict[str, str]]

    def text(self, key: str, **values: object) -> str:
        template = self.messages[key][self.language]
        return template.format(**values) if values else template

    def language_name(self, code: str) -> str:
        return self.languages.get(code, {}).get(self.language, code)

    def channel_name(self, channel: str) -> str:
        return self.channels.get(channel, {}).get(self.language, channel)


def load_staff_texts(root: Path, language: Literal["nl", "en"]) -> StaffTexts:
    data = yaml.safe_load((root / "texts" / "staff.yml").read_text(encoding="utf-8"))
    return StaffTexts(
        language=language,
        languages=data["languages"],
        channels=data["channels"],
        messages=data["messages"],
    )


def missing_staff_texts(root: Path) -> list[str]:
    """Every staff text in nl and en; every newcomer language and channel named."""
    data = yaml.safe_load((root / "texts" / "staff.yml").read_text(encoding="utf-8"))
    problems: list[str] = []
    tables = [(f"languages.{code}", data["languages"].get(code)) for code in ("uk", "en", "nl")]
    tables += [(f"channels.{name}", data["channels"].get(name)) for name in ("telegram", "web")]
    tables += [(f"messages.{key}", table) for key, table in data["messages"].items()]
    for where, table in tables:
        for language in STAFF_LANGUAGES:
            value = table.get(language) if isinstance(table, dict) else None
            if not isinstance(value, str) or not value.strip():
                problems.append(f"texts/staff.yml: {where}: no '{language}' text")
    return problems


# --- who staff are --------------------------------------------------------------------------


def staff_identity(user: User) -> str:
    """ "Anna de Vries @anna [telegram:123]": a name colleagues recognise, and the id that
    tells two people with the same name apart. Stored as claimed_by / answered_by."""
    name = " ".join(user.full_name.split()) or "?"
    if user.username:
        name = f"{name} @{user.username}"
    suffix = f" [telegram:{user.id}]"
    return name[: IDENTITY_CHARS - len(suffix)] + suffix


def staff_name(identity: str | None) -> str:
    """The name part of a staff identity (as the CLI stores it, a plain name, unchanged)."""
    return _IDENTITY_SUFFIX.sub("", identity or "")


def same_staff(first: str | None, second: str | None) -> bool:
    a = _IDENTITY_SUFFIX.search(first or "")
    b = _IDENTITY_SUFFIX.search(second or "")
    if a and b:
        return a["id"] == b["id"]
    return bool(first) and first == second


# --- where a newcomer's answer goes ---------------------------------------------------------


class AddressSealer:
    """Keeps a Telegram chat id out of the database in the clear (the README promises that the
    database never holds a Telegram id): AES-256-GCM under a key derived from PSEUDONYM_KEY,
    bound to the conversation id (the associated data), so a sealed address is useless
    anywhere else."""

    VERSION = "v2"
    NONCE_BYTES = 12

    def __init__(self, key: bytes) -> None:
        derived = hmac.new(key, b"wegwijs channel address encryption", hashlib.sha256).digest()
        self._aead = AESGCM(derived)

    def seal(self, conversation_id: str, chat_id: int) -> str:
        nonce = secrets.token_bytes(self.NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, struct.pack(">q", chat_id), conversation_id.encode())
        return f"{self.VERSION}:" + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, conversation_id: str, sealed: str) -> int | None:
        """The chat id, or None when the value was not sealed for this conversation."""
        version, _, body = sealed.partition(":")
        if version != self.VERSION:
            return None
        try:
            raw = base64.urlsafe_b64decode(body.encode())
            plain = self._aead.decrypt(
                raw[: self.NONCE_BYTES], raw[self.NONCE_BYTES :], conversation_id.encode()
            )
        except (ValueError, InvalidTag):
            return None
        return int(struct.unpack(">q", plain)[0]) if len(plain) == 8 else None


class TelegramAddresses:
    """The chat a newcomer's staff answer goes to (ChannelAddress), written once per process
    and conversation: a private chat's id never changes."""

    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], sealer: Callable[[], AddressSealer]
    ) -> None:
        self._sessions = sessions
        self._sealer = sealer
        self._known: set[str] = set()

    async def remember(self, conversation_id: str, chat_id: int) -> None:
        """Call after a turn (the conversation row exists then). Failures are logged only:
        the newcomer's reply must not wait on this."""
        if conversation_id in self._known:
            return
        try:
            async with self._sessions.begin() as session:
                row = await session.get(ChannelAddress, conversation_id)
                sealer = self._sealer()
                if row is None:
                    await repository.get_or_create_conversation(
                        session, conversation_id=conversation_id, channel=CHANNEL
                    )
                    session.add(
                        ChannelAddress(
                            conversation_id=conversation_id,
                            channel=CHANNEL,
                            address=sealer.seal(conversation_id, chat_id),
                        )
                    )
                elif row.channel != CHANNEL or sealer.open(conversation_id, row.address) != chat_id:
                    row.channel = CHANNEL
                    row.address = sealer.seal(conversation_id, chat_id)
        except IntegrityError:  # another gateway wrote it at the same moment
            pass
        except (SQLAlchemyError, OSError) as error:
            log.warning("Telegram: a chat address was not stored (%s)", type(error).__name__)
            return
        if len(self._known) >= KNOWN_ADDRESSES_MAX:
            self._known.clear()
        self._known.add(conversation_id)

    async def chat_of(self, conversation_id: str) -> int | None:
        async with self._sessions() as session:
            row = await session.get(ChannelAddress, conversation_id)
        if row is None or row.channel != CHANNEL:
            return None
        return self._sealer().open(conversation_id, row.address)


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


async def _send(
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


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> str:
    flat = text.strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


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
                await _send(bot, chat_id, text, markup=markup)
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


# --- the staff group ------------------------------------------------------------------------


class StaffDesk:
    """Posts tickets in the staff chat(s) (outbox handler) and handles what staff do there."""

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
                message = await _send(bot, chat_id, text, markup=markup)
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
            f"{self._staff.text(line.sender)}: {_cut(line.text, EXCERPT_LINE_CHARS)}"
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
            if _utf16(text) <= MESSAGE_LIMIT:
                return text
            if lines:
                lines.pop(0)
            elif len(question) <= 1:  # cannot happen with texts/staff.yml as it is
                return text[: MESSAGE_LIMIT // 2]
            else:
                over = _utf16(text) - MESSAGE_LIMIT
                question = _cut(question, max(1, len(question) - over - 1))

    def reopened_text(self, ticket: Ticket) -> str:
        return self._staff.text(
            "reopened",
            code=display_code(ticket.code),
            urgent=self._staff.text("urgent") if ticket.urgent else "",
            language=self._staff.language_name(ticket.language),
            channel=self._staff.channel_name(ticket.channel),
            question=_cut(ticket.question, PREVIOUS_ANSWER_CHARS),
            name=staff_name(ticket.answered_by) or self._staff.text("nobody"),
            answer=_cut(ticket.answer or "", PREVIOUS_ANSWER_CHARS),
        )

    def undelivered_text(self, ticket: Ticket) -> str:
        return self._staff.text(
            "undelivered",
            code=display_code(ticket.code),
            language=self._staff.language_name(ticket.language),
            channel=self._staff.channel_name(ticket.channel),
            question=_cut(ticket.question, PREVIOUS_ANSWER_CHARS),
            name=staff_name(ticket.answered_by) or self._staff.text("nobody"),
            answer=_cut(ticket.answer or "", PREVIOUS_ANSWER_CHARS),
        )

    def keyboard(self, ticket: Ticket) -> InlineKeyboardMarkup:
        """The buttons under a ticket's posts, for its state now."""

        def button(text: str, action: str) -> list[InlineKeyboardButton]:
            return [InlineKeyboardButton(text, callback_data=f"staff:{action}:{ticket.id}")]

        if ticket.state == "claimed":
            name = _cut(staff_name(ticket.claimed_by), BUTTON_NAME_CHARS)
            return InlineKeyboardMarkup(
                [
                    button(self._staff.text("button_claimed", name=name), "claim"),
                    button(self._staff.text("button_release"), "release"),
                ]
            )
        if ticket.state == "answered":
            name = _cut(staff_name(ticket.answered_by), BUTTON_NAME_CHARS)
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
            code = await session.scalar(select(Ticket.code).where(Ticket.id == ticket_id))
            if code is None:
                return self._staff.text("not_found"), True, None
            ticket = await tickets.get_ticket(session, code, for_update=True)
            shown = display_code(ticket.code)
            if action == "claim" and ticket.state in ("open", "claimed"):
                if ticket.state == "claimed" and not same_staff(ticket.claimed_by, staff):
                    name = staff_name(ticket.claimed_by)
                    return self._staff.text("claimed_by_other", code=shown, name=name), True, ticket
                await tickets.claim(session, code=code, staff=staff)
                return self._staff.text("claimed_by_you", code=shown), False, ticket
            if action == "release" and ticket.state == "claimed":
                if not same_staff(ticket.claimed_by, staff):
                    name = staff_name(ticket.claimed_by)
                    return (
                        self._staff.text("release_not_yours", code=shown, name=name),
                        True,
                        ticket,
                    )
                await tickets.unclaim(session, code=code)
                return self._staff.text("released", code=shown), False, ticket
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
        shown = display_code(ticket.code)
        if ticket.state == "answered" and not tickets.awaits_resend(ticket):  # checked again
            name = staff_name(ticket.answered_by)
            return "already_answered", {"code": shown, "name": name}, ticket
        if ticket.state == "closed":
            return "ticket_closed", {"code": shown}, ticket
        if not text.strip():
            return "empty_answer", {}, None
        newcomer = await answer_for_newcomer(
            self._translator, text, language=ticket_language(ticket), texts=self._texts
        )
        translated = newcomer.text
        try:
            async with self._sessions.begin() as session:
                ticket = await tickets.answer(
                    session, code=ticket.code, staff=staff, text=translated
                )
        except TicketStateError:
            async with self._sessions() as session:
                current = await session.get(Ticket, ticket.id)
            if current is None:
                return "not_a_ticket_post", {}, None
            if current.state == "answered":
                name = staff_name(current.answered_by)
                return "already_answered", {"code": shown, "name": name}, current
            if current.state == "closed":
                return "ticket_closed", {"code": shown}, current
            return "cannot_answer", {"code": shown}, current
        except TicketError:
            return "empty_answer", {}, None
        values = {
            "code": shown,
            "name": staff_name(staff),
            "language": self._staff.language_name(ticket.language),
            "channel": self._staff.channel_name(ticket.channel),
        }
        if newcomer.failure is not None:
            return "answer_saved_untranslated", values, ticket
        if newcomer.machine_translated:
            return "answer_saved_translated", {**values, "translation": translated}, ticket
        return "answer_saved", values, ticket

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
            await _send(bot, chat_id, self._staff.text(key, **values), reply_to=reply_to)
        except TelegramError as error:
            log.warning("Telegram staff: a reply in the group was not sent (%s)", error.message)


async def _answer_query(call: Awaitable[object]) -> None:
    """Answers a callback query (stops the button's spinner); a late answer is harmless."""
    with contextlib.suppress(TelegramError):
        await call
