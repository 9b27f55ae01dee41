"""Shared fixtures: the real stack (trained once per run by `make test`'s setup) and databases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import PROJECT_ROOT
from bot.training import ModelMissing, current_model
from tests.support import (
    Stack,
    WebChat,
    app_database_url,
    empty_app_database,
    fresh_postgres_database,
    postgres_admin_url,
    stack_settings,
)


@pytest.fixture(scope="session")
def trained_model() -> None:
    try:
        current_model(PROJECT_ROOT, PROJECT_ROOT / "models")
    except ModelMissing as error:
        pytest.fail(f"{error} (`make test` trains it first)")


@pytest.fixture(scope="session")
def stack(trained_model: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One running stack on SQLite for the whole session."""
    running = Stack(stack_settings(tmp_path_factory.mktemp("var")))
    running.start()
    yield running
    running.stop()


@pytest.fixture
def new_chat(stack: Stack) -> Iterator[Callable[..., WebChat]]:
    """Makes newcomers chatting with the session's stack; closes their connections afterwards."""
    made: list[WebChat] = []

    def make(language: str | None = None) -> WebChat:
        made.append(WebChat(stack.url, language=language))
        return made[-1]

    yield make
    for web_chat in made:
        web_chat.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip("no PostgreSQL reachable (set DATABASE_URL to run these tests)")
    with fresh_postgres_database(admin) as url:
        yield url


@pytest.fixture(scope="module")
def stack_postgres_url() -> Iterator[str]:
    """A PostgreSQL database of its own for one module's stacks: what another module's
    stack left behind (outbox jobs, Telegram message ids) cannot reach it."""
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip("no PostgreSQL reachable (set DATABASE_URL to run these tests)")
    with fresh_postgres_database(admin) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
async def sessions(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated, empty app database for each test: SQLite, and PostgreSQL where reachable."""
    async with empty_app_database(app_database_url(request, tmp_path)) as made:
        yield made
