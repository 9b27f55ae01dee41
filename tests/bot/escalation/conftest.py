"""A migrated, empty app database for each test: SQLite, and PostgreSQL where reachable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.migrate import migrate
from bot.db.models import Base
from bot.db.session import make_engine, make_sessionmaker


@pytest.fixture(params=["sqlite", "postgresql"])
async def sessions(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    migrate(url)
    engine = make_engine(url)
    async with engine.begin() as connection:  # the PostgreSQL database lives for the session
        for table in reversed(Base.metadata.sorted_tables):
            await connection.execute(table.delete())
    yield make_sessionmaker(engine)
    await engine.dispose()
