"""Alembic environment: migrates the app database named by the settings (or -x url=...)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from bot.config import load_settings, sync_url
from bot.db.models import Base
from bot.db.session import enable_sqlite_pragmas

config = context.config


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    return sync_url(url or load_settings().effective_database_url, driver="psycopg")


def run_migrations() -> None:
    if context.is_offline_mode():
        context.configure(url=_url(), target_metadata=Base.metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url())
    enable_sqlite_pragmas(engine)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
