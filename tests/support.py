"""Helpers for tests: real databases and a newcomer in the web channel."""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.migrate import migrate
from bot.db.models import Base
from bot.db.session import make_engine, make_sessionmaker
from bot.stack import Stack, free_port, stack_settings

__all__ = ["Stack", "WebChat", "free_port", "stack_settings", "texts_of"]

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_admin_url() -> str | None:
    """DATABASE_URL if set, else the local server CI machines here run; None when unreachable."""
    url = os.environ.get("DATABASE_URL") or LOCAL_POSTGRES
    if not url.startswith("postgres"):
        return None
    try:
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.connect():
            pass
        engine.dispose()
    except Exception:
        return None
    return url


@contextmanager
def fresh_postgres_database(admin_url: str) -> Iterator[str]:
    """A new, empty database for one test session, dropped afterwards."""
    name = f"wegwijs_test_{secrets.token_hex(4)}"
    admin = create_engine(
        admin_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def app_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database of a test parametrised with "sqlite" / "postgresql" (the `postgres_url`
    fixture, which skips where no PostgreSQL is reachable)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return str(request.getfixturevalue("postgres_url"))


@asynccontextmanager
async def empty_app_database(url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The app database at `url`, migrated and emptied (a PostgreSQL one lives for the
    session), as a sessionmaker; disposed afterwards."""
    migrate(url)
    engine = make_engine(url)
    async with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            await connection.execute(table.delete())
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


def stored_rows_containing(var_dir: Path, needle: str) -> list[str]:
    """Every table of a stack's SQLite databases (app and Rasa's tracker store) searched for
    a string: where it is stored, as "file:table"."""
    found: list[str] = []
    for name in ("wegwijs.db", "tracker.db"):
        with sqlite3.connect(var_dir / name) as connection:
            tables = [
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            for table in tables:
                for row in connection.execute(f'SELECT * FROM "{table}"'):
                    if any(needle in str(value) for value in row):
                        found.append(f"{name}:{table}")
    return found


class WebChat:
    """A newcomer in the web channel: the same JSON API the page uses."""

    def __init__(self, base_url: str, *, language: str | None = None) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=60.0)
        self.page_language = language
        self.token = ""
        self.buttons: dict[str, str] = {}

    def start(self) -> dict[str, object]:
        response = self.client.post("/api/conversations", json={"language": self.page_language})
        assert response.status_code == 201, response.text
        data: dict[str, object] = response.json()
        self.token = str(data["conversation"])
        self._remember(data)
        return data

    def say(self, text: str) -> dict[str, object]:
        response = self.client.post(
            f"/api/conversations/{self.token}/messages",
            json={"text": text, "language": self.page_language},
        )
        assert response.status_code == 200, response.text
        data: dict[str, object] = response.json()
        self._remember(data)
        return data

    def press(self, title: str) -> dict[str, object]:
        assert title in self.buttons, f"no button {title!r} in {list(self.buttons)}"
        response = self.client.post(
            f"/api/conversations/{self.token}/messages",
            json={"button": self.buttons[title], "language": self.page_language},
        )
        assert response.status_code == 200, response.text
        data: dict[str, object] = response.json()
        self._remember(data)
        return data

    def close(self) -> None:
        self.client.close()

    def _remember(self, data: dict[str, object]) -> None:
        self.buttons = {
            button["title"]: button["id"]
            for message in data["messages"]  # type: ignore[attr-defined]
            for button in message["buttons"]
        }


def texts_of(data: dict[str, object]) -> str:
    return "\n".join(str(m["text"]) for m in data["messages"])  # type: ignore[attr-defined]
