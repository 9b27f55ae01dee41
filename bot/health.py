"""Liveness and readiness for orchestrators (compose, Kubernetes), on the gateway's port.

/livez: the process answers (restart it when it does not). /readyz: it can do its work now:
Rasa has its model loaded, the database answers and, when REDIS_URL is set, Redis answers.
Not ready is 503 with a JSON body naming what is down, so a probe's log says why.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.rasa_client import RasaClient

log = logging.getLogger("wegwijs.health")

CHECK_SECONDS = 2.0

Check = Callable[[], Awaitable[bool]]


def database_check(sessions: async_sessionmaker[AsyncSession]) -> Check:
    async def check() -> bool:
        async with sessions() as session:
            await session.execute(text("SELECT 1"))
        return True

    return check


def redis_check(url: str) -> Check:
    async def check() -> bool:
        import redis.asyncio

        client = redis.asyncio.Redis.from_url(url, socket_timeout=CHECK_SECONDS)
        try:
            return bool(await client.ping())
        finally:
            await client.aclose()

    return check


def rasa_check(rasa: RasaClient) -> Check:
    return rasa.is_ready


async def _passes(check: Check) -> bool:
    try:
        return await asyncio.wait_for(check(), timeout=CHECK_SECONDS)
    except Exception:
        return False


async def readiness(checks: dict[str, Check]) -> dict[str, bool]:
    names = list(checks)
    results = await asyncio.gather(*(_passes(checks[name]) for name in names))
    return dict(zip(names, results, strict=True))


def build_health_router() -> APIRouter:
    """The routes; the checks come from `app.state.readiness_checks` (set in the lifespan)."""
    router = APIRouter(tags=["operations"])

    @router.get("/livez")
    async def livez() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        checks: dict[str, Check] = request.app.state.readiness_checks
        results = await readiness(checks)
        down = sorted(name for name, ok in results.items() if not ok)
        if down:
            log.info("not ready", extra={"down": ",".join(down)})
            return JSONResponse({"status": "down", "down": down, "checks": results}, 503)
        return JSONResponse({"status": "ok", "down": [], "checks": results})

    return router
