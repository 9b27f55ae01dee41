"""Tables of the app database. Rasa's tracker store lives in its own tables (`events`)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


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
