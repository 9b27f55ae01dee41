"""A ticket in the workspace: read it in one's own language, claim it, hand it back, close it
with a reason. Answering is in answer.py. Only agents: bot/staff/ticket_page.agent_only.

Every opening and every change is in the audit log with the ticket's code, never with what
the newcomer wrote. A change a colleague got in first is refused (409) with their name."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.escalation import desk, tickets
from bot.staff.audit import record
from bot.staff.deps import StaffPrincipal, identity, sessionmaker_of
from bot.staff.pages import render
from bot.staff.routes.auth import address_of
from bot.staff.ticket_page import (
    CLOSE_REASONS,
    agent_only,
    refusal_key,
    refusal_values,
    render_ticket,
    services,
)

router = APIRouter(prefix="/tickets", tags=["staff"])
AGENT = Depends(agent_only)
DONE = {"claim": "claimed", "release": "released", "close": "closed"}
NOTICES = frozenset({"claimed", "released", "closed", "answered", "answered_many"})


def ticket_url(code: str, *, done: str = "", count: int = 0) -> str:
    url = f"/staff/tickets/{tickets.normalize_code(code)}"
    if done:
        url += f"?done={done}" + (f"&count={count}" if count else "")
    return url


def missing(request: Request, principal: StaffPrincipal) -> HTMLResponse:
    return render(request, "ticket_missing.html", principal=principal, status_code=404)


@router.get("/{code}", response_class=HTMLResponse, include_in_schema=False)
async def ticket_page(
    request: Request,
    code: str,
    q: str = Query("", max_length=500),
    done: str = Query("", max_length=20),
    count: int = Query(0, ge=0, le=1000),
    skipped: int = Query(0, ge=0, le=1000),
    principal: StaffPrincipal = AGENT,
) -> Response:
    async with sessionmaker_of(request)() as session, session.begin():
        try:
            ticket = await tickets.get_ticket(session, code)
        except tickets.TicketNotFound:
            return missing(request, principal)
        await record(
            session, actor_id=principal.id, action="ticket_opened",
            target=f"ticket:{ticket.code}", address=address_of(request),
            detail={"searched": bool(q.strip())},
        )  # fmt: skip
        return await render_ticket(
            request,
            principal,
            ticket,
            session=session,
            query=q,
            notice=done if done in NOTICES else "",
            notice_values={"count": str(count), "skipped": str(skipped)},
        )


async def _change(request: Request, principal: StaffPrincipal, code: str, action: str) -> Response:
    """claim, release or close; the refusal is the page with what stood in the way."""
    staff = identity(principal)
    reason = ""
    if action == "close":
        form = await request.form()
        chosen = form.get("reason")
        reason = chosen if isinstance(chosen, str) and chosen in CLOSE_REASONS else ""
    async with sessionmaker_of(request)() as session, session.begin():
        try:
            ticket = await tickets.get_ticket(session, code)
        except tickets.TicketNotFound:
            return missing(request, principal)
        if action == "close" and not reason:
            return await render_ticket(
                request, principal, ticket, session=session, status_code=422,
                error="ticket.close_reason_missing",
            )  # fmt: skip
        try:
            if action == "claim":
                await desk.claim(session, ticket_id=ticket.id, staff=staff)
            elif action == "release":
                await desk.release(session, ticket_id=ticket.id, staff=staff)
            else:
                await desk.close(session, ticket_id=ticket.id, staff=staff, reason=reason)
        except desk.Refusal as refusal:
            zone = services(request).zone
            return await render_ticket(
                request, principal, ticket, session=session, status_code=409,
                error=refusal_key(refusal), error_values=refusal_values(refusal, zone),
            )  # fmt: skip
        await record(
            session, actor_id=principal.id, action=f"ticket_{DONE[action]}",
            target=f"ticket:{ticket.code}", address=address_of(request),
            detail={"reason": reason} if reason else None,
        )  # fmt: skip
    return RedirectResponse(ticket_url(code, done=DONE[action]), status_code=303)


@router.post("/{code}/claim", include_in_schema=False)
async def claim(request: Request, code: str, principal: StaffPrincipal = AGENT) -> Response:
    return await _change(request, principal, code, "claim")


@router.post("/{code}/release", include_in_schema=False)
async def release(request: Request, code: str, principal: StaffPrincipal = AGENT) -> Response:
    return await _change(request, principal, code, "release")


@router.post("/{code}/close", include_in_schema=False)
async def close(request: Request, code: str, principal: StaffPrincipal = AGENT) -> Response:
    return await _change(request, principal, code, "close")
