"""The Telegram webhook's record of accepted updates, on SQLite and (where reachable) PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import repository
from bot.db.models import TelegramUpdate, utcnow


async def test_an_update_is_accepted_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    update_id = 900_000_000_001  # beyond 32 bits
    assert await repository.accept_telegram_update(sessions, update_id=update_id)
    assert not await repository.accept_telegram_update(sessions, update_id=update_id)
    assert await repository.accept_telegram_update(sessions, update_id=update_id + 1)


async def test_deliveries_at_the_same_moment_are_accepted_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    results = await asyncio.gather(
        *(repository.accept_telegram_update(sessions, update_id=42) for _ in range(5))
    )
    assert sorted(results) == [False, False, False, False, True]


async def test_old_update_ids_are_purged(sessions: async_sessionmaker[AsyncSession]) -> None:
    for update_id in (1, 2, 3):
        await repository.accept_telegram_update(sessions, update_id=update_id)
    async with sessions.begin() as session:
        await session.execute(
            update(TelegramUpdate)
            .where(TelegramUpdate.update_id.in_([1, 2]))
            .values(received_at=utcnow() - dt.timedelta(days=3))
        )
    async with sessions.begin() as session:
        assert await repository.purge_telegram_updates(session) == 2
    async with sessions() as session:
        kept = select(TelegramUpdate.update_id).where(TelegramUpdate.update_id.in_([1, 2, 3]))
        assert list(await session.scalars(kept)) == [3]
