"""How each entry does, and the entries due for review, for editors:
GET /staff/insights/entries (+ .csv) and GET /staff/insights/review (+ .csv).

Editors only: an agent or an admin without the editor role gets 403, never a figure. Every
view is audit-logged as `insights_viewed`, every export as `insights_exported`, with the page,
its period and language and how many rows it showed: counts only, never a newcomer's words."""

from __future__ import annotations

import asyncio
from typing import Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from bot.db.models import utcnow
from bot.faq.link_store import latest_link_check
from bot.insights import charts
from bot.insights.entry_stats import (
    COLUMNS,
    PERIODS,
    EntryReport,
    Sort,
    StatsFilter,
    entry_report,
)
from bot.insights.export import entries_csv, review_csv
from bot.insights.knowledge import current_knowledge_base, entry_files
from bot.insights.review_due import WARN_DAYS, ReviewReport, review_report
from bot.language import SUPPORTED as LANGUAGES
from bot.staff.audit import record
from bot.staff.deps import StaffPrincipal, require_role, sessionmaker_of
from bot.staff.pages import render
from bot.staff.roles import Role
from bot.staff.routes.auth import address_of
from bot.staff.state import staff_state

router = APIRouter(prefix="/insights", tags=["staff"])
EDITOR = Depends(require_role(Role.editor))
CHART_SERIES: Final = ("helpful", "not_helpful")
CSV_TYPE: Final = "text/csv; charset=utf-8"


def _asked(
    days: str | None = Query(None, max_length=8),
    language: str | None = Query(None, max_length=8),
    sort: str | None = Query(None, max_length=32),
    order: str | None = Query(None, alias="dir", max_length=8),
) -> tuple[StatsFilter, Sort]:
    """Anything unknown is dropped (the default period, every language, worst first)."""
    number = int(days) if days and days.isdigit() else None
    return StatsFilter.of(number, language), Sort.of(sort, order)


ASKED = Depends(_asked)


def _query(where: StatsFilter, sort: Sort | None = None) -> dict[str, str]:
    asked = {"days": str(where.days), "language": where.language or ""}
    if sort is not None:
        asked |= {"sort": sort.column, "dir": sort.direction}
    return {name: value for name, value in asked.items() if value}


async def _audit(
    request: Request, principal: StaffPrincipal, action: str, detail: dict[str, Any]
) -> None:
    async with sessionmaker_of(request)() as session, session.begin():
        await record(
            session, actor_id=principal.id, action=action, address=address_of(request),
            detail=detail,
        )  # fmt: skip


async def _entries(
    request: Request, principal: StaffPrincipal, where: StatsFilter, sort: Sort
) -> EntryReport:
    state = staff_state(request)
    knowledge_base = await asyncio.to_thread(
        current_knowledge_base, state.root, state.settings.municipality
    )
    async with sessionmaker_of(request)() as session:
        return await entry_report(
            session, where, knowledge_base=knowledge_base, reader=principal.language,
            sort=sort, now=utcnow(),
        )  # fmt: skip


def _entries_detail(report: EntryReport) -> dict[str, Any]:
    return {
        "page": "entries", "days": report.where.days, "language": report.where.language,
        "sort": report.sort.column, "dir": report.sort.direction, "rows": len(report.rows),
    }  # fmt: skip


def _attachment(text: str, name: str) -> Response:
    return Response(
        text.encode("utf-8"),
        media_type=CSV_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/entries", response_class=HTMLResponse, include_in_schema=False)
async def entries_page(
    request: Request,
    principal: StaffPrincipal = EDITOR,
    asked: tuple[StatsFilter, Sort] = ASKED,
) -> HTMLResponse:
    where, sort = asked
    report = await _entries(request, principal, where, sort)
    await _audit(request, principal, "insights_viewed", _entries_detail(report))
    worst = report.worst()
    chart = charts.split_bars(
        [(row.title, {"helpful": row.helpful, "not_helpful": row.not_helpful}) for row in worst],
        CHART_SERIES,
    )
    links = {column: _query(where, sort.toggled(column)) for column in COLUMNS}
    return render(
        request, "insights_entries.html", principal=principal, report=report, chart=chart,
        worst=worst, periods=PERIODS, languages=LANGUAGES, columns=COLUMNS, links=links,
        query=_query(where, sort), filter_query=_query(where),
    )  # fmt: skip


@router.get("/entries.csv", include_in_schema=False)
async def entries_export(
    request: Request,
    principal: StaffPrincipal = EDITOR,
    asked: tuple[StatsFilter, Sort] = ASKED,
) -> Response:
    where, sort = asked
    report = await _entries(request, principal, where, sort)
    await _audit(request, principal, "insights_exported", _entries_detail(report))
    language = f"-{where.language}" if where.language else ""
    name = f"wegwijs-entries-{utcnow().date().isoformat()}-{where.days}d{language}.csv"
    return _attachment(entries_csv(report), name)


async def _review(request: Request, principal: StaffPrincipal) -> ReviewReport:
    state = staff_state(request)
    municipality = state.settings.municipality
    knowledge_base = await asyncio.to_thread(current_knowledge_base, state.root, municipality)
    files = await asyncio.to_thread(entry_files, state.root, municipality)
    async with sessionmaker_of(request)() as session:
        links = await latest_link_check(session)
    return review_report(
        knowledge_base, today=utcnow().date(), reader=principal.language, files=files,
        links=links,
    )  # fmt: skip


def _review_detail(report: ReviewReport) -> dict[str, Any]:
    return {
        "page": "review", "days": None, "language": None,
        "entries": len(report.entries), "sources": len(report.sources),
        "dead_links": len(report.dead_links),
    }  # fmt: skip


@router.get("/review", response_class=HTMLResponse, include_in_schema=False)
async def review_page(request: Request, principal: StaffPrincipal = EDITOR) -> HTMLResponse:
    report = await _review(request, principal)
    await _audit(request, principal, "insights_viewed", _review_detail(report))
    checked = report.link_check.checked_at if report.link_check else None
    zone = staff_state(request).settings.zone
    return render(
        request, "insights_review.html", principal=principal, report=report,
        warn_days=WARN_DAYS, checked=checked.astimezone(zone) if checked else None,
    )  # fmt: skip


@router.get("/review.csv", include_in_schema=False)
async def review_export(request: Request, principal: StaffPrincipal = EDITOR) -> Response:
    report = await _review(request, principal)
    await _audit(request, principal, "insights_exported", _review_detail(report))
    return _attachment(review_csv(report), f"wegwijs-review-{report.today.isoformat()}.csv")
