"""The web channel's rate limits, on the real app (Rasa is not needed: refusals come first)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from bot.app import create_app
from bot.config import Settings
from bot.db.migrate import migrate


@asynccontextmanager
async def client_for(tmp_path: Path, **limits: str) -> AsyncIterator[httpx.AsyncClient]:
    database = f"sqlite:///{tmp_path / 'test.db'}"
    migrate(database)
    settings = Settings(  # type: ignore[call-arg]
        **{
            "WEGWIJS_VAR_DIR": str(tmp_path),
            "DATABASE_URL": database,
            "RASA_URL": "http://127.0.0.1:9",  # nothing listens: allowed messages get a 503
            "RASA_TIMEOUT_SECONDS": "0.5",
            "PSEUDONYM_KEY": "k" * 32,
            "TELEGRAM_BOT_TOKEN": "",
            **limits,
        }
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client,
    ):
        yield client


TOKEN = "A" * 32


async def test_a_conversation_sending_too_fast_is_told_politely_in_its_language(
    tmp_path: Path,
) -> None:
    async with client_for(tmp_path, RATE_LIMIT_PER_CONVERSATION="3") as client:
        statuses = [
            (
                await client.post(
                    f"/api/conversations/{TOKEN}/messages",
                    json={"text": "привіт", "language": "uk"},
                )
            ).status_code
            for _ in range(3)
        ]
        assert statuses == [503, 503, 503]  # allowed, then Rasa (absent) is asked
        refused = await client.post(
            f"/api/conversations/{TOKEN}/messages", json={"text": "привіт", "language": "uk"}
        )
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert "Зачекайте" in refused.json()["error"]["message"]
        other = await client.post(f"/api/conversations/{'B' * 32}/messages", json={"text": "hallo"})
        assert other.status_code == 503  # another conversation is not affected


@pytest.mark.parametrize("path", ["/api/conversations", f"/api/conversations/{TOKEN}/messages"])
async def test_one_client_address_is_limited_across_conversations(
    tmp_path: Path, path: str
) -> None:
    async with client_for(tmp_path, RATE_LIMIT_PER_CLIENT="2") as client:
        body = {"text": "hello"} if path.endswith("messages") else {}
        for _ in range(2):
            assert (await client.post(path, json=body)).status_code != 429
        refused = await client.post(path, json=body, headers={"Accept-Language": "nl"})
        assert refused.status_code == 429
        assert "Wacht even" in refused.json()["error"]["message"]
