"""Brings a database to the latest schema with Alembic (idempotent)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command
from bot.config import PROJECT_ROOT


def migrate(database_url: str, *, root: Path = PROJECT_ROOT) -> None:
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", database_url)
    command.upgrade(config, "head")
