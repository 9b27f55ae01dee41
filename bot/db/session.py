"""Engines and sessions, made on demand (never at import time)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.config import async_url

T = TypeVar("T")


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(database_url: str) -> AsyncEngine:
    """An async engine: aiosqlite for SQLite (WAL, foreign keys), psycopg for PostgreSQL."""
    url = async_url(database_url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:  # type: ignore[type-arg]
    return async_sessionmaker(engine, expire_on_commit=False)


def enable_sqlite_pragmas(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)


def run_session(
    database_url: str, work: Callable[[AsyncSession], Awaitable[T]], *, write: bool = False
) -> T:
    """For a command line: `work` in one session (one transaction when it writes) on an
    engine of its own, disposed of afterwards."""

    async def main() -> T:
        engine = make_engine(database_url)
        try:
            sessions = make_sessionmaker(engine)
            if write:
                async with sessions.begin() as session:
                    return await work(session)
            async with sessions() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(main())
