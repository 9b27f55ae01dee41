"""The knowledge-base search for staff: GET /staff/api/entries?q=...&lang=... (JSON).

Agents search to answer a ticket with an entry, editors to find the entry they keep. Every
search is audit-logged with its language and what it found, not with what was typed: staff
paste newcomers' questions here, and the audit log must not quote them."""

from __future__ import annotations

import asyncio
from dataclasses import asdict

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from bot.faq.search import EntrySearch
from bot.language import SUPPORTED as LANGUAGES
from bot.staff.audit import record
from bot.staff.deps import StaffForbidden, StaffPrincipal, current_staff, sessionmaker_of
from bot.staff.roles import Role
from bot.staff.routes.auth import address_of

router = APIRouter(tags=["staff"])
MAX_QUERY = 500
MAX_LIMIT = 20
# A cached index loads in under a second; embedding the knowledge base anew takes minutes
# (the first start after an edit of faq/): the page is told to ask again rather than hang.
BUILD_WAIT_SECONDS = 5.0


async def agent_or_editor(principal: StaffPrincipal = Depends(current_staff)) -> StaffPrincipal:  # noqa: B008
    if not (principal.has(Role.agent) or principal.has(Role.editor)):
        raise StaffForbidden("role")
    return principal


def entry_search(request: Request) -> EntrySearch:
    """The process's search (made by include_staff; its index is built on first use)."""
    return request.app.state.entry_search  # type: ignore[no-any-return]


@router.get("/api/entries")
async def search_entries(
    request: Request,
    q: str = Query("", max_length=MAX_QUERY),
    lang: str | None = Query(None),
    limit: int = Query(8, ge=1, le=MAX_LIMIT),
    principal: StaffPrincipal = Depends(agent_or_editor),  # noqa: B008
) -> JSONResponse:
    """Entries for `q`, titled in `lang` (the newcomer's: uk, en or nl; default the
    employee's own language)."""
    language = lang or principal.language
    if language not in LANGUAGES:
        return JSONResponse({"error": "language", "languages": list(LANGUAGES)}, status_code=422)
    search = entry_search(request)
    if not search.built:
        search.start_building()
        if not await asyncio.to_thread(search.wait_built, BUILD_WAIT_SECONDS):
            return JSONResponse(
                {"error": "index_building"}, status_code=503, headers={"Retry-After": "30"}
            )
    hits = await asyncio.to_thread(search.search, q, language=language, limit=limit)
    async with sessionmaker_of(request)() as session, session.begin():
        await record(
            session, actor_id=principal.id, action="entries_searched",
            address=address_of(request),
            detail={"language": language, "characters": len(q),
                    "found": [hit.entry_id for hit in hits]},
        )  # fmt: skip
    return JSONResponse({"language": language, "hits": [asdict(hit) for hit in hits]})
