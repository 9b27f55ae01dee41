"""Telegram's webhook: a route on the gateway that checks the secret token and hands each update
to the running bot."""

from __future__ import annotations

import json
import logging
import re
from typing import Protocol

from fastapi import APIRouter, Request, Response

log = logging.getLogger("wegwijs.telegram")

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class WebhookReceiver(Protocol):
    """The running bot, as the route sees it (runtime.TelegramRuntime)."""

    @property
    def mode(self) -> str: ...
    def secret_matches(self, given: str | None) -> bool: ...
    async def accept(self, data: object) -> int: ...


def build_webhook_router() -> APIRouter:
    router = APIRouter(tags=["telegram"])

    @router.post(WEBHOOK_PATH, include_in_schema=False)
    async def telegram_webhook(request: Request) -> Response:
        """Telegram's deliveries in webhook mode (404 otherwise)."""
        runtime: WebhookReceiver | None = getattr(request.app.state, "telegram", None)
        if runtime is None or runtime.mode != "webhook":
            return Response(status_code=404)
        if not runtime.secret_matches(request.headers.get(SECRET_HEADER)):
            log.warning("Telegram webhook: a call without the right secret token was refused")
            return Response(status_code=403)
        try:
            data = json.loads(await request.body())
        except ValueError:
            return Response(status_code=400)
        return Response(status_code=await runtime.accept(data))

    return router
