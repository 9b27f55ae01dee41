"""The app database through migrations, on SQLite and (where reachable) PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import repository
from bot.db.models import Feedback


async def test_a_button_is_redeemed_only_by_its_own_conversation(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        for conversation_id in ("we-a", "we-b"):
            await repository.get_or_create_conversation(
                session, conversation_id=conversation_id, channel="web"
            )
        token = await repository.issue_button(session, conversation_id="we-a", payload="/greet")
    async with sessions() as session:
        assert (
            await repository.redeem_button(session, conversation_id="we-a", token=token) == "/greet"
        )
        assert await repository.redeem_button(session, conversation_id="we-b", token=token) is None
        assert await repository.redeem_button(session, conversation_id="we-a", token="nope") is None
    assert len(token) <= 16


async def test_conversation_is_created_once_and_keeps_its_language(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        conversation = await repository.get_or_create_conversation(
            session, conversation_id="tg-1", channel="telegram"
        )
        conversation.language = "uk"
    async with sessions.begin() as session:
        again = await repository.get_or_create_conversation(
            session, conversation_id="tg-1", channel="telegram"
        )
        assert again.language == "uk"


async def test_feedback_is_stored_without_message_text(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        await repository.record_feedback(
            session, conversation_id="we-a", faq_id="registration_bsn", language="nl", helpful=False
        )
    async with sessions() as session:
        stored = (await session.scalars(select(Feedback))).all()
    assert [(f.faq_id, f.language, f.helpful) for f in stored] == [
        ("registration_bsn", "nl", False)
    ]


async def test_feedback_summary_puts_the_least_helpful_entries_first(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        for faq_id, helpful in [("a", True), ("b", False), ("b", False), ("a", False), ("b", True)]:
            await repository.record_feedback(
                session, conversation_id="we-x", faq_id=faq_id, language="uk", helpful=helpful
            )
    async with sessions() as session:
        summary = await repository.feedback_summary(session)
    assert summary == [("b", "uk", 1, 2), ("a", "uk", 1, 1)]
