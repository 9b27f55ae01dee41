"""The queue of tickets for agents and admins: GET /staff/queue (the page, filters in a GET
form that works without JavaScript), GET /staff/queue/rows (the table's body, for the
page's script to refresh) and GET /staff/events (Server-Sent Events: one per ticket change,
read from the database, so a change made by any gateway process or the Telegram group shows).

The page is audit-logged with its filters and how many tickets it showed (no codes, no
question text: the queue shows none); the refreshes of the table are not, they show what
the logged page already showed, updated."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from bot.db.models import utcnow
from bot.escalation import history, queue_view
from bot.escalation.queue_view import QueueChange, QueueFilter
from bot.language import SUPPORTED as LANGUAGES
from bot.staff.audit import record
from bot.staff.deps import (
    StaffForbidden,
    StaffPrincipal,
    current_staff,
    identity,
    sessionmaker_of,
)
from bot.staff.pages import render
from bot.staff.roles import Role, parse_roles
from bot.staff.routes.auth import address_of
from bot.staff.sessions import current
from bot.staff.state import COOKIE, staff_state

router = APIRouter(tags=["staff"])

# The event stream's rhythm (tests make it faster).
POLL_SECONDS: float = 1.0
HEARTBEAT_SECONDS: float = 15.0
SESSION_CHECK_SECONDS: float = 30.0
STREAM_SECONDS: float = 3600.0  # then the browser reconnects with Last-Event-ID
MAX_FILTER: Final = 32
STREAM_HEADERS: Final = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
QUEUE_ROLES: Final = frozenset({Role.agent, Role.admin})


async def agent_or_admin(principal: StaffPrincipal = Depends(current_staff)) -> StaffPrincipal:  # noqa: B008
    if not principal.roles & QUEUE_ROLES:
        raise StaffForbidden("role")
    return principal


def _filter(
    principal: StaffPrincipal,
    language: str | None,
    topic: str | None,
    state: str | None,
    channel: str | None,
    mine: str | None,
) -> QueueFilter:
    """The filters as asked, anything unknown dropped (an unknown state is "waiting")."""
    chosen = state if state in queue_view.STATE_FILTERS else "waiting"
    return QueueFilter(
        language=language if language in LANGUAGES else None,
        topic=(topic or "").strip()[:MAX_FILTER] or None,
        state=chosen,
        channel=(channel or "").strip()[:MAX_FILTER] or None,
        mine=identity(principal) if mine in ("1", "on", "true") else None,
    )


def _query_of(where: QueueFilter) -> dict[str, str]:
    """The filters as query parameters (what the page's script asks the rows with)."""
    asked = {
        "language": where.language or "",
        "topic": where.topic or "",
        "state": where.state if where.state != "waiting" else "",
        "channel": where.channel or "",
        "mine": "1" if where.mine else "",
    }
    return {name: value for name, value in asked.items() if value}


def _filters(
    principal: StaffPrincipal = Depends(agent_or_admin),  # noqa: B008
    language: str | None = Query(None, max_length=MAX_FILTER),
    topic: str | None = Query(None, max_length=MAX_FILTER),
    state: str | None = Query(None, max_length=MAX_FILTER),
    channel: str | None = Query(None, max_length=MAX_FILTER),
    mine: str | None = Query(None, max_length=8),
) -> tuple[StaffPrincipal, QueueFilter]:
    return principal, _filter(principal, language, topic, state, channel, mine)


FILTERS = Depends(_filters)
TIME_FORMAT: Final = "%d-%m %H:%M"


def _when(request: Request) -> Callable[[dt.datetime], str]:
    """Moments as the municipality's clock shows them (TIMEZONE)."""
    zone = staff_state(request).settings.zone
    return lambda moment: moment.astimezone(zone).strftime(TIME_FORMAT)


@router.get("/queue", response_class=HTMLResponse, include_in_schema=False)
async def queue_page(
    request: Request, asked: tuple[StaffPrincipal, QueueFilter] = FILTERS
) -> HTMLResponse:
    principal, where = asked
    now = utcnow()
    async with sessionmaker_of(request)() as session, session.begin():
        rows = await queue_view.queue_rows(session, where, me=identity(principal), now=now)
        options = await queue_view.queue_options(session)
        await record(
            session, actor_id=principal.id, action="queue_viewed",
            address=address_of(request),
            detail={"filters": _query_of(where), "shown": len(rows)},
        )  # fmt: skip
    return render(
        request, "queue.html", principal=principal, rows=rows, where=where,
        options=options, languages=LANGUAGES, states=queue_view.STATE_FILTERS,
        query=_query_of(where), limit=queue_view.LIMIT, when=_when(request),
    )  # fmt: skip


@router.get("/queue/rows", response_class=HTMLResponse, include_in_schema=False)
async def queue_rows(
    request: Request, asked: tuple[StaffPrincipal, QueueFilter] = FILTERS
) -> HTMLResponse:
    principal, where = asked
    async with sessionmaker_of(request)() as session:
        rows = await queue_view.queue_rows(session, where, me=identity(principal), now=utcnow())
    return render(
        request, "queue_rows.html", principal=principal, rows=rows,
        limit=queue_view.LIMIT, when=_when(request),
    )  # fmt: skip


def _event(change: QueueChange) -> str:
    data = {
        "code": change.code,
        "display_code": change.display_code,
        "kind": change.kind,
        "actor": change.actor_name,
        "at": change.at.isoformat(),
    }
    return f"id: {change.id}\nevent: ticket\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _cursor(text: str | None) -> int | None:
    value = (text or "").strip()
    return int(value) if value.isdigit() and len(value) < 19 else None


async def _still_allowed(request: Request) -> bool:
    """The session is still valid and its user may still see the queue. Read-only (the
    transaction is rolled back): an open queue must not keep an idle session alive."""
    raw_id = request.cookies.get(COOKIE)
    if not raw_id:
        return False
    async with sessionmaker_of(request)() as session:
        opened = await current(session, raw_id=raw_id, rules=staff_state(request).rules)
        allowed = opened is not None and bool(parse_roles(opened.user.roles) & QUEUE_ROLES)
        await session.rollback()
    return allowed


@router.get("/events", include_in_schema=False)
async def events(
    request: Request,
    after: str | None = Query(None, max_length=20),
    principal: StaffPrincipal = Depends(agent_or_admin),  # noqa: B008
) -> StreamingResponse:
    del principal  # the check is the point
    sessions = sessionmaker_of(request)
    cursor = _cursor(request.headers.get("last-event-id"))
    if cursor is None:
        cursor = _cursor(after)
    if cursor is None:
        async with sessions() as session:
            cursor = await history.last_event_id(session)
    return StreamingResponse(
        _stream(request, cursor), media_type="text/event-stream", headers=STREAM_HEADERS
    )


async def _stream(request: Request, cursor: int) -> AsyncIterator[str]:
    sessions = sessionmaker_of(request)
    started = time.monotonic()
    beat = checked = started
    yield "retry: 3000\n\n"
    while time.monotonic() - started < STREAM_SECONDS:
        if await request.is_disconnected():
            return
        now = time.monotonic()
        if now - checked >= SESSION_CHECK_SECONDS:
            checked = now
            if not await _still_allowed(request):
                yield "event: signed_out\ndata: {}\n\n"
                return
        async with sessions() as session:
            changes, cursor = await queue_view.changes_since(session, cursor)
        for change in changes:
            yield _event(change)
        if changes:
            beat = now
        elif now - beat >= HEARTBEAT_SECONDS:
            beat = now
            yield ": heartbeat\n\n"
        await asyncio.sleep(POLL_SECONDS)
