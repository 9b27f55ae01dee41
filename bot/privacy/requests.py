"""/mydata and /forget: answered by the gateway itself, on every channel.

They come as payloads starting with "@" (Telegram commands, and the buttons of the privacy
answer in both channels), which the gateway never passes to Rasa: erasing Rasa's events from
inside a Rasa turn would be undone when Rasa saves the turn.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.models import ChannelAddress, Feedback
from bot.escalation.office_hours import describe_moment
from bot.escalation.tickets import display_code, tickets_of
from bot.faq.situations import SITUATIONS, button_name
from bot.key_store import KeyStore
from bot.language import Language
from bot.privacy import erasure, tracker_events
from bot.texts import Texts

REQUESTS: tuple[str, ...] = ("@mydata", "@forget", "@forget_confirmed", "@forget_cancelled")

# Replies as (text, names of buttons in texts/buttons.yml); the caller issues the buttons.
Answer = list[tuple[str, list[str]]]


class PrivacyRequests:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        tracker: AsyncEngine,
        texts: Texts,
        retention_days: int,
        timezone: ZoneInfo,
        kept_replies: KeyStore | None = None,
        drafts: Path | None = None,
    ) -> None:
        self._sessions = sessions
        self._drafts = drafts  # editors' draft entries, which may quote the newcomer
        self._kept_replies = kept_replies  # answers kept a day for retried web messages
        self._tracker = tracker
        self._texts = texts
        self._retention_days = retention_days
        self._timezone = timezone

    async def answer(self, request: str, conversation_id: str, language: Language) -> Answer:
        """The replies (text, button names) to one request."""
        if request == "@mydata":
            return [(await self._my_data(conversation_id, language), ["forget_me"])]
        if request == "@forget":
            return [
                (
                    self._texts.gateway_text("forget_question", language),
                    ["forget_confirmed", "forget_cancelled"],
                )
            ]
        if request == "@forget_confirmed":
            await erasure.forget(
                self._sessions, self._tracker, conversation_id, drafts=self._drafts
            )
            if self._kept_replies is not None:
                await self._kept_replies.forget(conversation_id)
            return [(self._texts.gateway_text("forgotten", language), [])]
        return [(self._texts.gateway_text("forget_cancelled", language), [])]

    async def _my_data(self, conversation_id: str, language: Language) -> str:
        text = self._texts.gateway_text
        stored = await tracker_events.stored_events(self._tracker, conversation_id)
        async with self._sessions() as session:
            tickets = await tickets_of(
                session, conversation_id=conversation_id, include_closed=True
            )
            feedback = await session.scalar(
                select(func.count())
                .select_from(Feedback)
                .where(Feedback.conversation_id == conversation_id)
            )
            address = await session.get(ChannelAddress, conversation_id)
        lines = [text("my_data_header", language)]
        if stored.count and stored.first and stored.last:
            lines.append(
                text(
                    "my_data_conversation",
                    language,
                    count=stored.count,
                    first=self._when(stored.first, language),
                    last=self._when(stored.last, language),
                    language_name=text(f"language_name_{language}", language),
                )
            )
        else:
            lines.append(text("my_data_no_conversation", language))
        if stored.user_texts:
            lines.append(text("my_data_messages", language))
            lines.extend(f"  – {message}" for message in stored.user_texts)
        if stored.situation in SITUATIONS:
            chosen = self._texts.button(button_name(stored.situation), language).title
            lines.append(text("my_data_situation", language, situation=chosen))
        if tickets:
            codes = ", ".join(display_code(ticket.code) for ticket in tickets)
            lines.append(text("my_data_tickets", language, codes=codes))
        if feedback:
            lines.append(text("my_data_feedback", language, count=int(feedback)))
        if address is not None:
            lines.append(text("my_data_address", language))
        lines.append(text("my_data_footer", language, days=self._retention_days))
        return "\n".join(lines)

    def _when(self, moment: dt.datetime, language: Language) -> str:
        return describe_moment(moment, language, self._timezone)
