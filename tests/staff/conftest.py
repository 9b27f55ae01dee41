"""Fixtures of the workspace's tests: a real SQLite database and the workspace's app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.staff.support import staff_app, staff_settings
from tests.support import empty_app_database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated SQLite database of this test's own."""
    async with empty_app_database(f"sqlite:///{tmp_path / 'staff.db'}") as made:
        yield made


@pytest.fixture
def app(db: async_sessionmaker[AsyncSession], tmp_path: Path) -> FastAPI:
    return staff_app(db, staff_settings(tmp_path))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", headers={"accept": "text/html"}
    ) as made:
        yield made
