"""Turn events for the editors' pages (bot/insights/): what each turn of a newcomer's
conversation came to, recorded by the conversation service at the moment it happens.

Only redacted text is kept, under a second pseudonym of the conversation id; the purge and
/forget clear the text, its vector and the pseudonym, so the counts survive and the words do not.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import Date, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, utcnow

OUTCOMES = ("answered", "asked", "fallback", "escalated", "crisis")


def turn_pseudonym(conversation_id: str) -> str:
    """The conversation as turn events know it: a hash of the (already pseudonymous) id,
    so the editors' table never holds an id that opens a conversation."""
    return hashlib.sha256(f"turn-events:{conversation_id}".encode()).hexdigest()[:32]


def week_of(moment: dt.datetime, zone: dt.tzinfo) -> dt.date:
    """The Monday of the moment's ISO week where the municipality is (`TIMEZONE`): a
    question asked at 00:30 on a Dutch Monday counts in that Monday's week, not the last."""
    day = moment.astimezone(zone).date()
    return day - dt.timedelta(days=day.weekday())


class TurnEvent(Base):
    __tablename__ = "turn_events"
    __table_args__ = (
        Index("ix_turn_events_at", "at"),
        Index("ix_turn_events_week_language", "week", "language"),
        Index("ix_turn_events_outcome_at", "outcome", "at"),
        Index("ix_turn_events_entry_at", "entry_id", "at"),
        Index("ix_turn_events_conversation_at", "conversation", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    week: Mapped[dt.date] = mapped_column(Date)
    conversation: Mapped[str] = mapped_column(String(32))  # turn_pseudonym(); "" once purged
    language: Mapped[str] = mapped_column(String(2))
    outcome: Mapped[str] = mapped_column(String(10))  # OUTCOMES
    topic: Mapped[str | None] = mapped_column(String(32))
    entry_id: Mapped[str | None] = mapped_column(String(80))
    offered: Mapped[str] = mapped_column(String(400), default="")  # entry ids, comma-separated
    chosen: Mapped[str | None] = mapped_column(String(80))
    helpful: Mapped[bool | None]
    escalated_after: Mapped[bool] = mapped_column(default=False)
    ticket_id: Mapped[int | None]
    text: Mapped[str | None] = mapped_column(Text)  # redacted before it is stored
    vector: Mapped[bytes | None] = mapped_column(LargeBinary)  # float32 embedding of `text`

    @property
    def offered_ids(self) -> list[str]:
        return [part for part in self.offered.split(",") if part]
