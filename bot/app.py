"""The gateway's web application: the web channel, the demo page and health checks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.channels.telegram.runtime import TelegramRuntime
from bot.channels.telegram.webhook import build_webhook_router
from bot.channels.web import build_router, error_response
from bot.config import Settings
from bot.conversation import ConversationService
from bot.db.session import make_engine, make_sessionmaker
from bot.escalation.delivery import AnswerRouter, WebDelivery, staff_use_the_cli
from bot.escalation.office_hours import AnswerTimes
from bot.escalation.outbox import Handler, OutboxDispatcher
from bot.health import build_health_router, database_check, rasa_check, redis_check
from bot.key_store import KeyStore
from bot.language import LanguageDecider, normalize_hint
from bot.metrics_wiring import observe_routes, start_metrics
from bot.privacy.erasure import purge_forever
from bot.privacy.requests import PrivacyRequests
from bot.privacy.tracker_events import tracker_engine
from bot.privacy_page import render_privacy
from bot.pseudonym import Pseudonymizer, load_or_create_key
from bot.rasa_client import RasaClient
from bot.rate_limit import make_rate_limiter
from bot.staff.app import include_staff
from bot.texts import load_texts

log = logging.getLogger("wegwijs.gateway")
STATIC = Path(__file__).parent / "static"


def same_origin(origin: str, host: str | None) -> bool:
    """A request from a page of this gateway itself (the staff workspace's forms): its Origin
    names the host it was sent to. A page elsewhere cannot make its browser say that."""
    return bool(host) and urlsplit(origin).netloc.lower() == (host or "").lower()


def create_app(settings: Settings, *, replies: KeyStore | None = None) -> FastAPI:
    """The gateway's app; `replies` holds the answers kept for retried messages (bot/asgi.py)."""
    texts = load_texts(settings.project_root, settings.municipality)
    client_limiter = make_rate_limiter(
        settings, limit=settings.rate_limit_per_client, window=60.0, scope="client"
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.effective_database_url)
        app.state.sessions = sessions = make_sessionmaker(engine)
        rasa = RasaClient(base_url=settings.rasa_url, timeout=settings.rasa_timeout_seconds)
        decider = LanguageDecider(default=settings.default_language, preload=True)
        app.state.pseudonymizer = Pseudonymizer(
            load_or_create_key(
                settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None,
                settings.var_dir,
            )
        )
        tracker = tracker_engine(settings)
        privacy = PrivacyRequests(
            sessions=sessions,
            tracker=tracker,
            texts=texts,
            retention_days=settings.retention_days,
            timezone=settings.zone,
            kept_replies=replies,
            drafts=settings.effective_drafts_dir,
        )
        conversation_limiter = make_rate_limiter(
            settings, limit=settings.rate_limit_per_conversation, window=60.0, scope="conversation"
        )
        app.state.service = ConversationService(
            sessions=sessions,
            rasa=rasa,
            decider=decider,
            texts=texts,
            links=settings.links(),
            max_message_chars=settings.max_message_chars,
            limiter=conversation_limiter,
            privacy=privacy,
            answer_times=AnswerTimes.from_settings(settings),
        )
        app.state.rasa = rasa
        checks = {"rasa": rasa_check(rasa), "database": database_check(sessions)}
        if settings.redis_url:
            checks["redis"] = redis_check(settings.redis_url)
        app.state.readiness_checks = checks
        metrics = start_metrics(settings)
        announcer = asyncio.create_task(_announce_when_ready(rasa, settings))

        # --- Telegram: runs with the gateway when TELEGRAM_BOT_TOKEN is set -----------------
        telegram: TelegramRuntime | None = None
        if settings.telegram_bot_token and settings.telegram_bot_token.get_secret_value():
            telegram = TelegramRuntime(
                settings=settings,
                service=app.state.service,
                pseudonyms=app.state.pseudonymizer,
                sessions=sessions,
            )
            telegram.start()
        app.state.telegram = telegram
        # --- end Telegram ----------------------------------------------------------------------

        # --- the outbox: staff notifications and answer deliveries -----------------------------
        answers: dict[str, Handler] = {"web": WebDelivery(texts)}
        notify: Handler = staff_use_the_cli
        if telegram is not None:
            answers["telegram"] = telegram.deliver_answer
            if settings.staff_chat_ids:
                notify = telegram.notify_staff
        dispatcher = OutboxDispatcher(
            sessions=sessions,
            handlers={
                "notify_staff": notify,
                "notify_reopened": notify,
                "notify_undelivered": notify,
                "deliver_answer": AnswerRouter(answers),
            },
            poll_seconds=settings.outbox_poll_seconds,
            lease_seconds=settings.outbox_lease_seconds,
        )
        app.state.outbox = dispatcher
        if telegram is not None:
            telegram.wake_outbox = dispatcher.wake  # a staff reply is delivered at once
        if settings.outbox_enabled:
            dispatcher.start()

        purger = (
            asyncio.create_task(purge_forever(settings, sessions, tracker), name="purge")
            if settings.purge_interval_hours > 0
            else None
        )

        try:
            yield
        finally:
            if purger is not None:
                purger.cancel()
            await dispatcher.stop()
            if telegram is not None:
                await telegram.stop()
            announcer.cancel()
            if metrics is not None:
                metrics.stop()
            await rasa.close()
            await conversation_limiter.aclose()
            await client_limiter.aclose()
            await tracker.dispose()
            await engine.dispose()

    app = FastAPI(
        title="Wegwijs gateway",
        summary="The web channel of Wegwijs, the trilingual assistant for newcomers.",
        lifespan=lifespan,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "Idempotency-Key"],
    )

    @app.middleware("http")
    async def limit_each_client(request: Request, call_next):  # type: ignore[no-untyped-def]
        """Bounds the chat API per client address (kept in memory only, never stored)."""
        address = request.client.host if request.client else "unknown"
        if (
            request.method == "POST"
            and request.url.path.startswith("/api/")
            and not await client_limiter.allow(address)
        ):
            language = (
                normalize_hint(request.headers.get("accept-language")) or settings.default_language
            )
            message = texts.gateway_text("rate_limited", language)
            return error_response(429, "rate_limited", language, message)
        return await call_next(request)

    @app.middleware("http")
    async def refuse_foreign_origins(request: Request, call_next):  # type: ignore[no-untyped-def]
        origin = request.headers.get("origin")
        if (
            request.method == "POST"
            and origin
            and origin.rstrip("/") not in settings.origins
            and not same_origin(origin, request.headers.get("host"))
        ):
            language = (
                normalize_hint(request.headers.get("accept-language")) or settings.default_language
            )
            return error_response(
                403,
                "origin_not_allowed",
                language,
                texts.gateway_text("invalid_request", language, detail=f"origin {origin}"),
            )
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        language = (
            normalize_hint(request.headers.get("accept-language")) or settings.default_language
        )
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        detail = (
            f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg", "invalid"))
        )
        message = texts.gateway_text("invalid_request", language, detail=detail)
        return error_response(422, "invalid_request", language, message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        language = (
            normalize_hint(request.headers.get("accept-language")) or settings.default_language
        )
        message = texts.gateway_text("invalid_request", language, detail=str(error.detail))
        return error_response(error.status_code, "http_error", language, message)

    observe_routes(app)  # outermost: request latency per route template (bot/metrics.py)
    app.include_router(build_router())
    app.include_router(build_health_router())  # /livez, /readyz
    app.include_router(build_webhook_router())  # Telegram's webhook mode

    @app.get("/healthz", tags=["operations"])
    async def health(request: Request) -> dict[str, object]:
        rasa: RasaClient = request.app.state.rasa
        return {"status": "ok", "rasa": await rasa.is_ready()}

    @app.get("/privacy", include_in_schema=False, response_class=HTMLResponse)
    async def privacy(request: Request, lang: str | None = None) -> HTMLResponse:
        """The privacy statement the greeting links to, in the asked or browser's language."""
        language = (
            normalize_hint(lang)
            or normalize_hint(request.headers.get("accept-language"))
            or settings.default_language
        )
        return HTMLResponse(
            render_privacy(settings.project_root, language, settings.links(), settings.municipality)
        )

    @app.get("/", include_in_schema=False)
    async def demo_page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    include_staff(app, settings)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


async def _announce_when_ready(rasa: RasaClient, settings: Settings) -> None:
    """Tells the person at the terminal where to chat, once Rasa has loaded its model."""
    while not await rasa.is_ready():  # noqa: ASYNC110 (polling another process)
        await asyncio.sleep(1.0)
    # INFO, not WARNING: nothing is wrong. Our loggers log INFO by default (bot/logs.py), so
    # the person who ran `make run` still sees these lines.
    log.info("Wegwijs is ready: open %s in your browser to chat.", settings.effective_public_url)
    log.info("The staff workspace: %s/staff/", settings.effective_public_url)
