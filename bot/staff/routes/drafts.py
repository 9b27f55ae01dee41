"""Draft entries for editors: GET /staff/insights/drafts (the drafts and what each still
needs) and POST /staff/insights/drafts (start one from an answered ticket, `ticket=<code>`,
or from missed questions, `events=<id>,<id>`). The file is written under DRAFTS_DIR
(faq/drafts/ by default); it never answers until an editor finishes and moves it.

Only the editor role; every view and every draft started is in the audit log (with the
draft's id and where it came from, never the questions)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.faq.drafts import load_drafts
from bot.faq.schema import TOPICS
from bot.insights.draft_making import DraftRefused, Started, draft_from_events, draft_from_ticket
from bot.staff.audit import record
from bot.staff.deps import StaffPrincipal, require_role, sessionmaker_of
from bot.staff.pages import render
from bot.staff.roles import Role
from bot.staff.routes.auth import address_of
from bot.staff.state import staff_state
from bot.staff.ticket_page import services

router = APIRouter(prefix="/insights", tags=["staff"])
EDITOR = Depends(require_role(Role.editor))
MAX_EVENTS = 40


def parse_events(raw: str) -> list[int]:
    found: list[int] = []
    for part in raw.split(","):
        if part.strip().isdigit():
            found.append(int(part.strip()))
    return found[:MAX_EVENTS]


async def drafts_page(
    request: Request, principal: StaffPrincipal, *, made: str = "", error: str = "",
    status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    folder = staff_state(request).settings.effective_drafts_dir
    drafts = await asyncio.to_thread(load_drafts, folder)
    async with sessionmaker_of(request)() as session, session.begin():
        await record(
            session, actor_id=principal.id, action="insights_viewed",
            address=address_of(request), detail={"page": "drafts", "drafts": len(drafts)},
        )  # fmt: skip
    return render(
        request, "insights_drafts.html", principal=principal, drafts=drafts, made=made,
        error=error, topics=TOPICS, folder=folder, status_code=status_code,
    )  # fmt: skip


@router.get("/drafts", response_class=HTMLResponse, include_in_schema=False)
async def list_drafts(
    request: Request,
    made: str = Query("", max_length=120),
    principal: StaffPrincipal = EDITOR,
) -> HTMLResponse:
    return await drafts_page(request, principal, made=made)


@router.post("/drafts", include_in_schema=False)
async def start_draft(
    request: Request,
    ticket: Annotated[str, Form(max_length=20)] = "",
    events: Annotated[str, Form(max_length=2000)] = "",
    topic: Annotated[str, Form(max_length=32)] = "",
    principal: StaffPrincipal = EDITOR,
) -> Response:
    settings = staff_state(request).settings
    folder = settings.effective_drafts_dir
    translator = services(request).translator
    chosen = topic if topic in TOPICS else None
    try:
        async with sessionmaker_of(request)() as session, session.begin():
            started: Started
            if ticket:
                started = await draft_from_ticket(
                    session, folder, translator, code=ticket, topic=chosen
                )
                source = "ticket"
            else:
                started = await draft_from_events(
                    session, folder, translator, event_ids=parse_events(events), topic=chosen
                )
                source = "missed"
            await record(
                session, actor_id=principal.id, action="draft_started",
                target=f"draft:{started.id}", address=address_of(request),
                detail={"from": source, "questions": started.questions,
                        "machine": started.translated, "empty": started.untranslated},
            )  # fmt: skip
    except DraftRefused as refused:
        return await drafts_page(request, principal, error=refused.reason, status_code=422)
    return RedirectResponse(f"/staff/insights/drafts?made={started.id}", status_code=303)
