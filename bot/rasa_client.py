"""Talks to Rasa's REST channel on loopback and returns typed messages."""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.metrics import observe_rasa

# Set per request by the gateway's middleware (bot/idempotency.py): the message's idempotency
# key, sent to Rasa in the metadata (so a retry can find it in the tracker), and the time
# spent waiting for Rasa (reported in the Server-Timing header; the load benchmark reads it).
MESSAGE_KEY: ContextVar[str | None] = ContextVar("wegwijs_message_key", default=None)
RASA_SECONDS: ContextVar[list[float] | None] = ContextVar("wegwijs_rasa_seconds", default=None)


CONVERSATION_HEADER = "X-Wegwijs-Conversation"


class RasaUnavailable(Exception):
    """Rasa did not answer (not started yet, restarting, or overloaded)."""


@dataclass(frozen=True)
class RasaButton:
    title: str
    payload: str


@dataclass(frozen=True)
class RasaMessage:
    text: str | None = None
    buttons: tuple[RasaButton, ...] = ()
    custom: dict[str, Any] = field(default_factory=dict)


def rasa_message(text: object, fields: dict[str, Any]) -> RasaMessage:
    """One bot message: from Rasa's REST answer, or from a `bot` event of its tracker store."""
    buttons = tuple(
        RasaButton(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
        for b in fields.get("buttons") or []
        if isinstance(b, dict)
    )
    custom = fields.get("custom")
    return RasaMessage(
        text=text if isinstance(text, str) else None,
        buttons=buttons,
        custom=custom if isinstance(custom, dict) else {},
    )


def parse_messages(raw: object) -> list[RasaMessage]:
    if not isinstance(raw, list):
        raise RasaUnavailable(f"unexpected answer from Rasa: {type(raw).__name__}")
    return [rasa_message(item.get("text"), item) for item in raw if isinstance(item, dict)]


class RasaClient:
    def __init__(
        self, *, base_url: str, timeout: float, client: httpx.AsyncClient | None = None
    ) -> None:
        self._client = client or httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
        )

    async def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> list[RasaMessage]:
        key = MESSAGE_KEY.get()
        if key is not None:
            metadata = {**metadata, "message_key": key}
        started = time.perf_counter()
        ok = False
        try:
            response = await self._client.post(
                "/webhooks/rest/webhook",
                json={"sender": sender, "message": text, "metadata": metadata},
                # The pseudonymous conversation id, for balancers and their logs (never the
                # message: a log line must not hold what a newcomer wrote).
                headers={CONVERSATION_HEADER: sender},
            )
            response.raise_for_status()
            ok = True
        except httpx.HTTPError as error:
            raise RasaUnavailable(str(error) or type(error).__name__) from error
        finally:
            observe_rasa(time.perf_counter() - started, ok=ok)
            spent = RASA_SECONDS.get()
            if spent is not None:
                spent.append(time.perf_counter() - started)
        return parse_messages(response.json())

    async def is_ready(self) -> bool:
        """True when Rasa's REST channel answers (the model is loaded by then)."""
        try:
            response = await self._client.get("/webhooks/rest/", timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def close(self) -> None:
        await self._client.aclose()
