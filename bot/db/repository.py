"""Keyword-only functions over the app database, used by the gateway and the actions."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Conversation, Feedback, IssuedButton, TelegramUpdate, as_utc, utcnow
from bot.db.turn_models import TurnEvent, turn_pseudonym

BUTTON_TOKEN_BYTES = 6  # 8 URL-safe characters: far under Telegram's 64-byte callback limit
BUTTON_LIFETIME = dt.timedelta(days=7)
# Telegram gives up redelivering an update after 24 hours; two days leaves a margin.
TELEGRAM_UPDATE_RETENTION = dt.timedelta(days=2)


async def get_or_create_conversation(
    session: AsyncSession, *, conversation_id: str, channel: str
) -> Conversation:
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        conversation = Conversation(id=conversation_id, channel=channel)
        session.add(conversation)
        await session.flush()
    return conversation


async def get_conversation(session: AsyncSession, *, conversation_id: str) -> Conversation | None:
    return await session.get(Conversation, conversation_id)


async def issue_button(session: AsyncSession, *, conversation_id: str, payload: str) -> str:
    """Stores a payload the bot offers and returns the short token that stands for it."""
    token = secrets.token_urlsafe(BUTTON_TOKEN_BYTES)
    session.add(IssuedButton(conversation_id=conversation_id, token=token, payload=payload))
    return token


async def redeem_button(session: AsyncSession, *, conversation_id: str, token: str) -> str | None:
    """The payload of a button this conversation was shown, if it is still valid."""
    button = await session.scalar(
        select(IssuedButton).where(
            IssuedButton.conversation_id == conversation_id, IssuedButton.token == token
        )
    )
    if button is None or as_utc(button.created_at) < utcnow() - BUTTON_LIFETIME:
        return None
    return button.payload


async def record_feedback(
    session: AsyncSession, *, conversation_id: str, faq_id: str, language: str, helpful: bool
) -> None:
    session.add(
        Feedback(conversation_id=conversation_id, faq_id=faq_id, language=language, helpful=helpful)
    )
    # The editors' turn event of that answer (typed, or chosen from "did you mean") learns it.
    event = await session.scalar(
        select(TurnEvent)
        .where(
            TurnEvent.conversation == turn_pseudonym(conversation_id),
            (TurnEvent.entry_id == faq_id) | (TurnEvent.chosen == faq_id),
            TurnEvent.helpful.is_(None),
        )
        .order_by(TurnEvent.at.desc(), TurnEvent.id.desc())
        .limit(1)
    )
    if event is not None:
        event.helpful = helpful


async def accept_telegram_update(
    sessions: async_sessionmaker[AsyncSession], *, update_id: int
) -> bool:
    """Records an update id; False when it was accepted before (a redelivery).

    Takes the sessionmaker, not a session: the unique key decides, in a transaction of its
    own, so two deliveries arriving at once cannot both win.
    """
    try:
        async with sessions.begin() as session:
            session.add(TelegramUpdate(update_id=update_id))
    except IntegrityError:
        return False
    return True


async def purge_telegram_updates(
    session: AsyncSession, *, older_than: dt.timedelta = TELEGRAM_UPDATE_RETENTION
) -> int:
    result = await session.execute(
        delete(TelegramUpdate).where(TelegramUpdate.received_at < utcnow() - older_than)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def feedback_summary(session: AsyncSession) -> list[tuple[str, str, int, int]]:
    """(faq id, language, helpful, not helpful) for every entry that got feedback."""
    rows = await session.execute(
        select(
            Feedback.faq_id,
            Feedback.language,
            func.count().filter(Feedback.helpful.is_(True)),
            func.count().filter(Feedback.helpful.is_(False)),
        )
        .group_by(Feedback.faq_id, Feedback.language)
        .order_by(func.count().filter(Feedback.helpful.is_(False)).desc(), Feedback.faq_id)
    )
    return [(faq_id, language, int(yes), int(no)) for faq_id, language, yes, no in rows]
