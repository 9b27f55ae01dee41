"""What newcomers asked and the bot missed, for editors: GET /staff/insights/missed (the page,
filters in a GET form) and GET /staff/insights/missed.csv (its groups as CSV).

Editors only: an agent or an admin without the editor role gets 403, never a figure. Every
view is audit-logged as `insights_viewed`, every export as `insights_exported`, with the
filters and the counts, never a newcomer's words."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from bot.db.models import utcnow
from bot.faq.schema import TOPICS
from bot.insights.missed import PERIODS, MissedFilter, MissedReport, entry_titles, missed_report
from bot.insights.missed_export import missed_csv
from bot.language import SUPPORTED as LANGUAGES
from bot.semantics.embedder import shared_embedder
from bot.staff.audit import record
from bot.staff.deps import StaffForbidden, StaffPrincipal, current_staff, sessionmaker_of
from bot.staff.pages import render
from bot.staff.roles import Role
from bot.staff.routes.auth import address_of
from bot.staff.state import staff_state

if TYPE_CHECKING:
    from bot.faq.search import EntryIndex, EntrySearch

router = APIRouter(tags=["staff"])
# The knowledge-base index groups across languages far better; a cached one loads at once.
# While it is first built (minutes), the page groups by raw cosine and says so.
INDEX_WAIT_SECONDS: Final = 5.0


async def editor_only(principal: StaffPrincipal = Depends(current_staff)) -> StaffPrincipal:  # noqa: B008
    if not principal.has(Role.editor):
        raise StaffForbidden("role")
    return principal


def _filter(
    days: str | None = Query(None, max_length=8),
    language: str | None = Query(None, max_length=8),
    topic: str | None = Query(None, max_length=32),
) -> MissedFilter:
    """Anything unknown is dropped (the default period, every language and topic), never a 422."""
    number = int(days) if days and days.isdigit() else None
    return MissedFilter.of(number, language, topic)


FILTER = Depends(_filter)
EDITOR = Depends(editor_only)


async def _index(request: Request) -> EntryIndex | None:
    search: EntrySearch | None = getattr(request.app.state, "entry_search", None)
    if search is None:
        return None
    if not search.built:
        search.start_building()
        if not await asyncio.to_thread(search.wait_built, INDEX_WAIT_SECONDS):
            return None
    return await asyncio.to_thread(search.index)


async def _report(request: Request, principal: StaffPrincipal, where: MissedFilter) -> MissedReport:
    state = staff_state(request)
    titles = await asyncio.to_thread(entry_titles, state.root, state.settings.municipality)
    return await missed_report(
        sessionmaker_of(request), where, embedder=shared_embedder(), index=await _index(request),
        titles=titles, reader=principal.language, now=utcnow(),
        zone=state.settings.zone,
    )  # fmt: skip


async def _audit(
    request: Request, principal: StaffPrincipal, action: str, report: MissedReport
) -> None:
    async with sessionmaker_of(request)() as session, session.begin():
        await record(
            session, actor_id=principal.id, action=action, target="missed",
            address=address_of(request),
            detail={"days": report.where.days, "language": report.where.language or "",
                    "topic": report.where.topic or "", "groups": len(report.groups),
                    "missed": report.total},
        )  # fmt: skip


def _query(where: MissedFilter) -> dict[str, str]:
    asked = {"days": str(where.days), "language": where.language or "", "topic": where.topic or ""}
    return {name: value for name, value in asked.items() if value}


@router.get("/insights/missed", response_class=HTMLResponse, include_in_schema=False)
async def missed_page(
    request: Request, principal: StaffPrincipal = EDITOR, where: MissedFilter = FILTER
) -> HTMLResponse:
    report = await _report(request, principal, where)
    await _audit(request, principal, "insights_viewed", report)
    return render(
        request, "insights_missed.html", principal=principal, report=report,
        periods=PERIODS, languages=LANGUAGES, topics=TOPICS, query=_query(where),
    )  # fmt: skip


@router.get("/insights/missed.csv", include_in_schema=False)
async def missed_export(
    request: Request, principal: StaffPrincipal = EDITOR, where: MissedFilter = FILTER
) -> Response:
    report = await _report(request, principal, where)
    await _audit(request, principal, "insights_exported", report)
    parts = [f"{where.days}d", where.language or "", where.topic or ""]
    name = f"wegwijs-missed-{'-'.join(part for part in parts if part)}.csv"
    return Response(
        missed_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
