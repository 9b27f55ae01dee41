"""Tables of the app database. Rasa's tracker store lives in its own tables (`events`)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A stored moment in UTC: SQLite gives them back naive (they were stored in UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: DateTime(timezone=True)}


class Conversation(Base):
    """A newcomer's conversation, under a pseudonymous id (never a Telegram id or a name)."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(2))
    language_explicit: Mapped[bool] = mapped_column(default=False)
    russian_notice_sent: Mapped[bool] = mapped_column(default=False)
    # A crisis message (bot/safety/crisis.py): when, and its text (redacted) until the
    # newcomer decides whether to send it to staff as an urgent question.
    crisis_at: Mapped[dt.datetime | None]
    crisis_question: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class IssuedButton(Base):
    """A button the bot showed: only these payloads are accepted back from users."""

    __tablename__ = "issued_buttons"
    __table_args__ = (
        UniqueConstraint("conversation_id", "token"),
        Index("ix_issued_buttons_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    token: Mapped[str] = mapped_column(String(16))
    payload: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Feedback(Base):
    """'Did this help?' answers for the editors: FAQ id, language and date; no message text."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    faq_id: Mapped[str] = mapped_column(String(80), index=True)
    language: Mapped[str] = mapped_column(String(2))
    helpful: Mapped[bool]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TelegramUpdate(Base):
    """An update the Telegram webhook accepted. Telegram delivers again when it misses our
    answer, so the id is kept (and purged after a while) to process each update once."""

    __tablename__ = "telegram_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class ChannelAddress(Base):
    """Where to deliver a staff answer on a channel that needs an address (Telegram's chat
    id). Kept apart from everything else, only for delivery, and erased by /forget."""

    __tablename__ = "channel_addresses"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Ticket(Base):
    """A question for staff, made with the newcomer's consent (bot/escalation/tickets.py)."""

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_state_created_at", "state", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    topic: Mapped[str | None] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(Text)
    # JSON: [{"from": "newcomer" | "bot", "text": "..."}], the recent conversation.
    excerpt: Mapped[str] = mapped_column(Text, default="[]")
    consent_at: Mapped[dt.datetime]
    # What the newcomer was told (office hours, holidays and the queue at the time).
    expected_by: Mapped[dt.datetime | None]
    urgent: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(10), default="open")
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_at: Mapped[dt.datetime | None]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(80))
    answered_at: Mapped[dt.datetime | None]
    answer_count: Mapped[int] = mapped_column(default=0)
    # none -> pending -> delivered (or failed: e.g. the user blocked the bot)
    delivery_state: Mapped[str] = mapped_column(String(10), default="none")
    delivered_at: Mapped[dt.datetime | None]
    solved: Mapped[bool | None]
    closed_at: Mapped[dt.datetime | None]
    close_reason: Mapped[str | None] = mapped_column(String(200))
    # What staff wrote before translation, its language, whether a machine translated it, and
    # the knowledge-base entry it was (an answer with an entry needs no translation).
    answer_original: Mapped[str | None] = mapped_column(Text)
    answer_source_language: Mapped[str | None] = mapped_column(String(2))
    answer_machine_translated: Mapped[bool] = mapped_column(default=False, server_default=false())
    answer_entry_id: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TicketEvent(Base):
    """One step in a ticket's life (bot/escalation/history.py), whoever took it and through
    whichever face: its history, and what the staff workspace's live updates follow. No
    newcomer text: `detail` is a closing reason, an engine or a delivery state."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(80))
    detail: Mapped[str | None] = mapped_column(String(200))


class OutboxJob(Base):
    """Work that must happen after a commit (notify staff, deliver an answer): written in the
    same transaction as its cause, done by a gateway, retried until it succeeds."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "done_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    # One job per cause, e.g. "deliver_answer:17:2" (ticket 17, its second answer).
    dedupe_key: Mapped[str] = mapped_column(String(80), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    # Parts already sent (a long answer is several Telegram messages): a retry resumes there.
    progress: Mapped[int] = mapped_column(default=0)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[dt.datetime | None]
    done_at: Mapped[dt.datetime | None]
    failed_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))


class StaffPost(Base):
    """A ticket's post in a staff Telegram group: a reply to it is the answer."""

    __tablename__ = "staff_posts"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InboxMessage(Base):
    """A message for a web conversation outside a turn (a staff answer and its follow-up),
    kept until the widget confirms it has shown it, so an answer waits if the page is closed."""

    __tablename__ = "inbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    sender: Mapped[str] = mapped_column(String(8))
    language: Mapped[str] = mapped_column(String(2))
    text: Mapped[str] = mapped_column(Text)
    # JSON: [{"id": "<token>", "title": "..."}]
    buttons: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[dt.datetime | None]
