"""The web channel: a small JSON API used by the widget, the terminal chat, tests and benchmarks.

    POST /api/conversations                      start: {"language": "nl"?} -> greeting
    POST /api/conversations/{token}/messages     {"text": "..."} or {"button": "<id>"}
    POST /api/conversations/{token}/language     {"language": "uk"}: the widget's language switch
    GET  /api/conversations/{token}/updates?after=<cursor>&wait=<s>
                                                 messages outside a turn (a staff answer), by
                                                 long poll; `after` confirms what was shown
    GET  /api/widget/texts                       the widget's labels (texts/widget.yml)

Replies carry their language and, for knowledge-base answers, the FAQ id and topic.
Errors are JSON with a code and a message in the user's language. The demo page, in Dutch
at / (bot/app.py), is also served in English at /en and in Ukrainian at /uk.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversation import BadInput, ConversationService
from bot.db.models import Conversation, InboxMessage, Ticket, utcnow
from bot.language import SUPPORTED, Language, normalize_hint
from bot.pseudonym import Pseudonymizer, new_web_token
from bot.rasa_client import RasaUnavailable
from bot.rate_limit import RateLimiter
from bot.turns import ButtonOut, MessageOut, TurnOut, UpdatesOut, turn_out

log = logging.getLogger("wegwijs.web")

TOKEN_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"  # noqa: S105 (a pattern, not a secret)
STATIC = FilePath(__file__).resolve().parent.parent / "static"
DEMO_PAGES = {"en": STATIC / "en.html", "uk": STATIC / "uk.html"}

# The updates long poll. A widget with a question for staff asks about twice a minute, so the
# budget per address is generous (a shelter's computers share one) and kept apart from the
# chat's POST budget (RATE_LIMIT_PER_CLIENT). A gateway holds at most MAX_WAITING polls at
# once; more are answered at once (the widget simply asks again).
UPDATES_MAX_WAIT = 25.0  # seconds: under the idle timeouts of common proxies (30-60 s)
UPDATES_CHECK_SECONDS = 0.4  # how often a waiting poll looks at the database
UPDATES_BATCH = 50
UPDATES_PER_CLIENT = 300  # per minute and address
MAX_WAITING = 2000
CURSOR_MAX = 2**53 - 1  # the largest integer JavaScript holds exactly
ID_MAX = 2**31 - 1  # inbox ids are INTEGER: a larger cursor is compared as this


class StartRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    language: str | None = Field(
        default=None, max_length=16, description="The page's language (a hint)."
    )


class MessageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, max_length=20_000)
    button: str | None = Field(
        default=None, max_length=32, description="The id of a button the bot sent."
    )
    language: str | None = Field(
        default=None, max_length=16, description="The page's language (a hint)."
    )

    @model_validator(mode="after")
    def _one_of(self) -> MessageRequest:
        if (self.text is None) == (self.button is None):
            raise ValueError("send either 'text' or 'button'")
        return self


class LanguageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    language: Literal["uk", "en", "nl"] = Field(description="The language the user chose.")


def error_response(status: int, code: str, language: str, message: str) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content={"error": {"code": code, "language": language, "message": message}},
    )


def get_service(request: Request) -> ConversationService:
    service: ConversationService = request.app.state.service
    return service


def get_pseudonymizer(request: Request) -> Pseudonymizer:
    pseudonymizer: Pseudonymizer = request.app.state.pseudonymizer
    return pseudonymizer


def get_sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    return sessions


Service = Annotated[ConversationService, Depends(get_service)]
Pseudonyms = Annotated[Pseudonymizer, Depends(get_pseudonymizer)]
Sessions = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessions)]


def build_router() -> APIRouter:
    """The web channel's API under /api, and the demo page in English and Ukrainian."""
    router = APIRouter()
    router.include_router(_api_router())
    router.include_router(_demo_router())
    return router


def _api_router() -> APIRouter:
    router = APIRouter(prefix="/api", tags=["web channel"])
    polls = _LongPolls(limiter=RateLimiter(limit=UPDATES_PER_CLIENT, window=60.0))

    @router.post("/conversations", status_code=201, response_model=None)
    async def start_conversation(
        body: StartRequest, service: Service, pseudonyms: Pseudonyms
    ) -> TurnOut | JSONResponse:
        """Starts a conversation: returns its token (keep it) and the greeting."""
        token = new_web_token()
        conversation_id = pseudonyms.conversation_id("web", token)
        try:
            turn = await service.start(
                conversation_id=conversation_id, channel="web", hint=body.language
            )
        except RasaUnavailable:
            return await _unavailable(service, conversation_id, body.language)
        return turn_out(token, turn, open_tickets=0)

    @router.post("/conversations/{token}/messages", response_model=None)
    async def send_message(
        token: Annotated[str, Path(pattern=TOKEN_PATTERN)],
        body: MessageRequest,
        service: Service,
        pseudonyms: Pseudonyms,
        sessions: Sessions,
    ) -> TurnOut | JSONResponse:
        """Sends the user's text, or a button they pressed; returns the bot's replies."""
        conversation_id = pseudonyms.conversation_id("web", token)
        try:
            if body.button is not None:
                turn = await service.handle_button(
                    conversation_id=conversation_id,
                    channel="web",
                    token=body.button,
                    hint=body.language,
                )
            else:
                turn = await service.handle_text(
                    conversation_id=conversation_id,
                    channel="web",
                    text=body.text or "",
                    hint=body.language,
                )
        except BadInput as error:
            return error_response(error.status, error.code, error.language, error.message)
        except RasaUnavailable:
            return await _unavailable(service, conversation_id, body.language)
        open_tickets = await _open_tickets_or_none(sessions, conversation_id)
        return turn_out(token, turn, open_tickets=open_tickets)

    @router.post("/conversations/{token}/language", response_model=None)
    async def choose_language(
        token: Annotated[str, Path(pattern=TOKEN_PATTERN)],
        body: LanguageRequest,
        service: Service,
        pseudonyms: Pseudonyms,
        sessions: Sessions,
    ) -> TurnOut | JSONResponse:
        """The widget's language switch: the choice is explicit; the reply confirms it."""
        conversation_id = pseudonyms.conversation_id("web", token)
        try:
            turn = await service.choose_language(
                conversation_id=conversation_id, channel="web", language=body.language
            )
        except RasaUnavailable:
            return await _unavailable(service, conversation_id, body.language)
        open_tickets = await _open_tickets_or_none(sessions, conversation_id)
        return turn_out(token, turn, open_tickets=open_tickets)

    @router.get("/conversations/{token}/updates", response_model=None)
    async def updates(
        request: Request,
        token: Annotated[str, Path(pattern=TOKEN_PATTERN)],
        service: Service,
        pseudonyms: Pseudonyms,
        sessions: Sessions,
        after: Annotated[
            int,
            Query(
                ge=0,
                le=CURSOR_MAX,
                description="The last cursor received (0 at first). Messages up to it count "
                "as shown and are not sent again.",
            ),
        ] = 0,
        wait: Annotated[
            float,
            Query(
                ge=0,
                le=UPDATES_MAX_WAIT,
                allow_inf_nan=False,
                description="Seconds to wait for a message when there is none yet (long poll).",
            ),
        ] = 0.0,
    ) -> UpdatesOut | JSONResponse:
        """Messages for the conversation that came outside a turn (a staff answer and the
        question whether it solved theirs), oldest first, and the cursor to send back.

        A message stays here until a later call confirms it (its `after` covers it), so an
        answer waits while the page is closed and is shown the next time the chat opens.
        """
        hint = request.headers.get("accept-language")
        address = request.client.host if request.client else "unknown"
        if not await polls.limiter.allow(address):
            language = await _language_or_hint(service, None, hint)
            message = service.texts.gateway_text("rate_limited", language)
            return error_response(429, "rate_limited", language, message)
        conversation_id = pseudonyms.conversation_id("web", token)
        seen = min(after, ID_MAX)  # PostgreSQL refuses to compare an INTEGER with more
        try:
            if not await _acknowledge(sessions, conversation_id, seen):
                language = await _language_or_hint(service, None, hint)
                message = service.texts.gateway_text("conversation_unknown", language)
                return error_response(404, "conversation_unknown", language, message)
            with polls.holding() as may_wait:
                rows = await _wait_for_messages(
                    request, sessions, conversation_id, seen, wait if may_wait else 0.0
                )
            open_tickets = await _count_open_tickets(sessions, conversation_id)
        except (SQLAlchemyError, OSError) as error:
            log.warning("updates: database unavailable (%s)", type(error).__name__)
            language = await _language_or_hint(service, conversation_id, hint)
            message = service.texts.gateway_text("assistant_unavailable", language)
            return error_response(503, "assistant_unavailable", language, message)
        return UpdatesOut(
            conversation=token,
            cursor=max([after, *(row.id for row in rows)]),
            open_tickets=open_tickets,
            messages=[_inbox_out(row) for row in rows],
        )

    @router.get("/widget/texts")
    async def widget_texts(service: Service) -> dict[str, dict[str, str]]:
        """The widget's labels in every language, so its language switch needs no reload."""
        table = service.texts.widget
        return {
            language: {key: labels[language] for key, labels in table.items()}
            for language in SUPPORTED
        }

    return router


class _LongPolls:
    """The updates endpoint's budget: polls per address, and polls waiting at once."""

    def __init__(self, *, limiter: RateLimiter) -> None:
        self.limiter = limiter
        self.waiting = 0

    @contextmanager
    def holding(self) -> Iterator[bool]:
        """Counts a poll while it waits; yields whether it may wait at all."""
        if self.waiting >= MAX_WAITING:
            yield False
            return
        self.waiting += 1
        try:
            yield True
        finally:
            self.waiting -= 1


async def _acknowledge(
    sessions: async_sessionmaker[AsyncSession], conversation_id: str, after: int
) -> bool:
    """Marks the messages up to `after` as shown; False when there is no such conversation.

    Only the client's own `after` marks a message: nothing counts as shown before the widget
    has confirmed it got it. The read comes first so that most polls write nothing.
    """
    async with sessions() as session:
        if await session.get(Conversation, conversation_id) is None:
            return False
        if after <= 0:
            return True
        unconfirmed = await session.scalar(
            select(InboxMessage.id)
            .where(
                InboxMessage.conversation_id == conversation_id,
                InboxMessage.id <= after,
                InboxMessage.seen_at.is_(None),
            )
            .limit(1)
        )
    if unconfirmed is not None:
        async with sessions.begin() as session:
            await session.execute(
                update(InboxMessage)
                .where(
                    InboxMessage.conversation_id == conversation_id,
                    InboxMessage.id <= after,
                    InboxMessage.seen_at.is_(None),
                )
                .values(seen_at=utcnow())
            )
    return True


async def _wait_for_messages(
    request: Request,
    sessions: async_sessionmaker[AsyncSession],
    conversation_id: str,
    after: int,
    wait: float,
) -> list[InboxMessage]:
    """The unconfirmed messages after the cursor; waits up to `wait` seconds for the first.

    Each check is one indexed query in a short session of its own, so a waiting poll holds no
    database connection. The answer may be written by any gateway's outbox, so the database,
    not this process, is what is watched. A client that goes away ends the wait.
    """
    deadline = time.monotonic() + wait
    gone: asyncio.Task[None] | None = None
    try:
        while True:
            async with sessions() as session:
                rows = list(
                    await session.scalars(
                        select(InboxMessage)
                        .where(
                            InboxMessage.conversation_id == conversation_id,
                            InboxMessage.id > after,
                            InboxMessage.seen_at.is_(None),
                        )
                        .order_by(InboxMessage.id)
                        .limit(UPDATES_BATCH)
                    )
                )
            remaining = deadline - time.monotonic()
            if rows or remaining <= 0:
                return rows
            gone = gone or asyncio.create_task(_disconnected(request))
            await asyncio.wait({gone}, timeout=min(UPDATES_CHECK_SECONDS, remaining))
            if gone.done():
                return []
    finally:
        if gone is not None and not gone.done():
            gone.cancel()
            with suppress(asyncio.CancelledError):
                await gone


async def _disconnected(request: Request) -> None:
    """Returns when the client has gone. (Request.is_disconnected does not see it through the
    app's http middlewares, so the ASGI messages are read here.)"""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def _count_open_tickets(
    sessions: async_sessionmaker[AsyncSession], conversation_id: str
) -> int:
    """Tickets not closed, or whose answer is still on its way: an answer may still come."""
    async with sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(
                Ticket.conversation_id == conversation_id,
                or_(Ticket.state != "closed", Ticket.delivery_state == "pending"),
            )
        )
    return int(count or 0)


async def _open_tickets_or_none(
    sessions: async_sessionmaker[AsyncSession], conversation_id: str
) -> int | None:
    """For a turn: the reply matters more than the count, so a failure leaves it out."""
    try:
        return await _count_open_tickets(sessions, conversation_id)
    except (SQLAlchemyError, OSError) as error:
        log.warning("open tickets: database unavailable (%s)", type(error).__name__)
        return None


def _inbox_out(row: InboxMessage) -> MessageOut:
    language: Language = row.language if row.language in SUPPORTED else "nl"
    sender: Literal["staff", "system"] = "staff" if row.sender == "staff" else "system"
    return MessageOut(
        text=row.text, language=language, sender=sender, buttons=_buttons_from_json(row.buttons)
    )


def _buttons_from_json(raw: str) -> list[ButtonOut]:
    try:
        items: Any = json.loads(raw or "[]")
    except ValueError:
        return []
    return [
        ButtonOut(id=str(item["id"]), title=str(item["title"]))
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict) and "id" in item and "title" in item
    ]


async def _language_or_hint(
    service: ConversationService, conversation_id: str | None, hint: str | None
) -> Language:
    """The language of an error: the conversation's, else the page's, else the default."""
    try:
        return await service.language_of(conversation_id or "", hint=hint)
    except (SQLAlchemyError, OSError):  # the database is down: the page's language, or Dutch
        return normalize_hint(hint) or "nl"


def _demo_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/en")
    async def demo_page_english() -> FileResponse:
        return FileResponse(DEMO_PAGES["en"])

    @router.get("/uk")
    async def demo_page_ukrainian() -> FileResponse:
        return FileResponse(DEMO_PAGES["uk"])

    return router


async def _unavailable(
    service: ConversationService, conversation_id: str, hint: str | None
) -> JSONResponse:
    language = await service.language_of(conversation_id, hint=hint)
    message = service.texts.gateway_text("assistant_unavailable", language)
    return error_response(503, "assistant_unavailable", language, message)
