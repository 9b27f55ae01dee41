"""Trends for editors: GET /staff/insights/trends — questions per week by language and
topic, the share answered at once, and the questions sent to staff with their answer times
against the time promised (bot/insights/trends.py). Charts with their numbers as tables.

Only the editor role; every view is in the audit log with its period and language."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from bot.insights import charts
from bot.insights.trends import DEFAULT_PERIOD, LANGUAGES, PERIODS, trends
from bot.staff.audit import record
from bot.staff.deps import StaffPrincipal, require_role, sessionmaker_of
from bot.staff.pages import render
from bot.staff.roles import Role
from bot.staff.routes.auth import address_of
from bot.staff.state import staff_state

router = APIRouter(prefix="/insights", tags=["staff"])
EDITOR = Depends(require_role(Role.editor))


def chosen_period(days: int | None) -> int:
    return days if days in PERIODS else DEFAULT_PERIOD


@router.get("/trends", response_class=HTMLResponse, include_in_schema=False)
async def trends_page(
    request: Request,
    days: int | None = Query(None),
    language: str | None = Query(None, max_length=2),
    principal: StaffPrincipal = EDITOR,
) -> HTMLResponse:
    period = chosen_period(days)
    chosen = language if language in LANGUAGES else None
    async with sessionmaker_of(request)() as session, session.begin():
        found = await trends(
            session,
            days=period,
            language=chosen,
            zone=staff_state(request).settings.zone,
        )
        await record(
            session, actor_id=principal.id, action="insights_viewed",
            address=address_of(request),
            detail={"page": "trends", "days": period, "language": chosen},
        )  # fmt: skip
    weeks = [week.isoformat() for week in found.weeks]
    series = [chosen] if chosen else list(LANGUAGES)
    questions_chart = charts.stacked_bars(
        [(week, counts.by_language) for week, counts in zip(weeks, found.questions, strict=True)],
        series,
    )
    shares_chart = charts.percent_lines(
        weeks,
        {
            "at_once": [share.percent for share in found.at_once],
            "in_time": [week.in_time_percent for week in found.escalations],
        },
    )
    return render(
        request, "insights_trends.html", principal=principal,
        trends=found, weeks=weeks, series=series, periods=PERIODS, languages=LANGUAGES,
        questions_chart=questions_chart, shares_chart=shares_chart,
        topic_max=max((n for by_week in found.topics.values() for n in by_week.values()),
                      default=1),
    )  # fmt: skip
