"""An app database and a tracker store shaped as Rasa makes it, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.migrate import migrate
from bot.db.models import Base
from bot.db.session import make_engine, make_sessionmaker
from bot.privacy import tracker_events


@dataclass
class Stores:
    sessions: async_sessionmaker[AsyncSession]
    tracker: AsyncEngine


@pytest.fixture(params=["sqlite", "postgresql"])
async def stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Stores]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.db'}"
        tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    else:
        url = tracker_url = request.getfixturevalue("postgres_url")
    migrate(url)
    engine = make_engine(url)
    tracker = make_engine(tracker_url)
    async with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            await connection.execute(table.delete())
    async with tracker.begin() as connection:
        await connection.run_sync(tracker_events.EVENTS.metadata.create_all)
        await connection.execute(tracker_events.EVENTS.delete())
    yield Stores(make_sessionmaker(engine), tracker)
    await tracker.dispose()
    await engine.dispose()
