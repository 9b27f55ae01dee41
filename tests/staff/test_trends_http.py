"""GET /staff/insights/trends: questions per week by language and topic, the share answered at
once, and the staff's answer times against the promise — counted right from real rows in
SQLite, shown only to editors, and every view in the audit log."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Ticket, utcnow
from bot.db.staff_models import AuditEntry
from bot.db.turn_models import TurnEvent, week_of
from bot.escalation import tickets
from bot.escalation.tickets import ExcerptLine
from bot.insights.charts import nice_maximum, percent_lines, stacked_bars
from bot.insights.recording import record_turn
from bot.insights.trends import period_weeks, topic_of_offer, trends
from bot.staff.roles import Role
from bot.turns import Turn
from tests.staff.support import make_staff, sign_in

ZONE = ZoneInfo("Europe/Amsterdam")  # the default TIMEZONE
Sessions = async_sessionmaker[AsyncSession]
TODAY = dt.date(2026, 12, 2)  # a Wednesday
THIS_WEEK = dt.date(2026, 11, 30)
LAST_WEEK = dt.date(2026, 11, 23)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.timezone.utc)


async def events(sessions: Sessions, rows: list[tuple[dt.date, str, str, str | None, str]]) -> None:
    """(day, language, outcome, entry answered, entries offered) per typed question."""
    async with sessions.begin() as session:
        for day, language, outcome, entry, offered in rows:
            session.add(
                TurnEvent(
                    at=at(day), week=week_of(at(day), ZONE), conversation="c" * 32,
                    language=language,
                    outcome=outcome, topic=entry.split("_")[0] if entry else None,
                    entry_id=entry, offered=offered, text="redacted question",
                )
            )  # fmt: skip


async def ticket(sessions: Sessions, *, day: dt.date, answered_after: float | None,
                 promised_after: float, language: str = "uk") -> Ticket:  # fmt: skip
    async with sessions.begin() as session:
        made = await tickets.create_ticket(
            session, conversation_id="we-1", channel="web", language=language,
            question="Waar kan ik wonen?", excerpt=[ExcerptLine("newcomer", "Waar kan ik wonen?")],
            topic="housing", urgent=False, now=at(day),
        )  # fmt: skip
        made.created_at = at(day)
        made.expected_by = at(day) + dt.timedelta(hours=promised_after)
        if answered_after is not None:
            made.answered_at = at(day) + dt.timedelta(hours=answered_after)
            made.state = "answered"
    return made


SEEDED = [
    (LAST_WEEK, "uk", "answered", "money_leefgeld", ""),
    (LAST_WEEK, "uk", "asked", None, "housing_shelter_location,housing_private_rental"),
    (LAST_WEEK, "en", "fallback", None, ""),
    (THIS_WEEK, "uk", "answered", "money_leefgeld", ""),
    (THIS_WEEK, "uk", "answered", "health_huisarts", ""),
    (THIS_WEEK, "nl", "answered", "money_leefgeld", ""),
    (THIS_WEEK, "nl", "escalated", None, ""),
    (THIS_WEEK, "uk", "crisis", None, ""),  # never counted as a question on these pages
]


async def seed(db: Sessions) -> None:
    await events(db, SEEDED)
    await ticket(db, day=LAST_WEEK, answered_after=2, promised_after=24)
    await ticket(db, day=THIS_WEEK, answered_after=30, promised_after=24)
    await ticket(db, day=THIS_WEEK, answered_after=None, promised_after=24, language="nl")


def test_a_week_starts_at_midnight_on_the_dutch_monday() -> None:
    winter = dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.timezone.utc)  # Monday 00:30 in Almere
    summer = dt.datetime(2026, 6, 28, 22, 30, tzinfo=dt.timezone.utc)  # Monday 00:30 in summer
    assert week_of(winter, ZONE) == dt.date(2026, 11, 30)
    assert week_of(summer, ZONE) == dt.date(2026, 6, 29)
    assert week_of(winter, dt.timezone.utc) == dt.date(2026, 11, 23)  # UTC would say Sunday
    assert week_of(winter - dt.timedelta(hours=1), ZONE) == dt.date(2026, 11, 23)


async def test_a_question_at_half_past_midnight_on_monday_counts_in_that_week(
    db: Sessions,
) -> None:
    monday_early = dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.timezone.utc)
    async with db.begin() as session:
        event = await record_turn(
            session, conversation_id="we-monday", turn=Turn(language="uk", fallback=True),
            text="redacted question", zone=ZONE, at=monday_early,
        )  # fmt: skip
    assert event.week == THIS_WEEK
    async with db() as session:
        found = await trends(session, days=28, zone=ZONE, today=TODAY)
    by_week = {counts.week: counts.by_language for counts in found.questions}
    assert by_week[THIS_WEEK]["uk"] == 1
    assert by_week[LAST_WEEK]["uk"] == 0


async def test_questions_topics_and_answer_times_are_counted_per_week(db: Sessions) -> None:
    await seed(db)
    async with db() as session:
        found = await trends(session, days=28, zone=ZONE, today=TODAY)
    assert found.weeks == period_weeks(28, zone=ZONE, today=TODAY)
    assert found.weeks[-2:] == [LAST_WEEK, THIS_WEEK]
    by_week = {counts.week: counts.by_language for counts in found.questions}
    assert by_week[LAST_WEEK] == {"uk": 2, "en": 1, "nl": 0}
    assert by_week[THIS_WEEK] == {"uk": 2, "en": 0, "nl": 2}
    assert found.topics["money"] == {LAST_WEEK: 1, THIS_WEEK: 2}
    assert found.topics["housing"] == {LAST_WEEK: 1}  # the "did you mean" under its first button
    assert found.topics[""] == {LAST_WEEK: 1, THIS_WEEK: 1}  # the fallback and the escalation
    shares = {share.week: share for share in found.at_once}
    assert (shares[LAST_WEEK].at_once, shares[LAST_WEEK].questions) == (1, 3)
    assert shares[THIS_WEEK].percent == 75.0
    staff = {week.week: week for week in found.escalations}
    assert (staff[LAST_WEEK].asked, staff[LAST_WEEK].answered, staff[LAST_WEEK].in_time) == (
        1,
        1,
        1,
    )
    assert staff[LAST_WEEK].median_hours == 2.0
    assert (staff[THIS_WEEK].asked, staff[THIS_WEEK].answered, staff[THIS_WEEK].in_time) == (
        2,
        1,
        0,
    )
    assert staff[THIS_WEEK].in_time_percent == 0.0
    assert found.totals == {"questions": 7, "at_once": 4, "asked": 3, "answered": 2, "in_time": 1}


async def test_one_language_counts_only_its_questions_and_tickets(db: Sessions) -> None:
    await seed(db)
    async with db() as session:
        found = await trends(session, days=28, language="nl", zone=ZONE, today=TODAY)
    assert [counts.by_language for counts in found.questions][-1] == {"nl": 2}
    assert found.totals == {"questions": 2, "at_once": 1, "asked": 1, "answered": 0, "in_time": 0}


async def test_weeks_outside_the_period_are_not_counted(db: Sessions) -> None:
    await events(db, [(TODAY - dt.timedelta(days=200), "uk", "answered", "money_leefgeld", "")])
    async with db() as session:
        found = await trends(session, days=28, zone=ZONE, today=TODAY)
    assert found.totals["questions"] == 0
    assert len(found.weeks) == 4


def test_chart_geometry_stacks_and_scales() -> None:
    assert [nice_maximum(n) for n in (0, 1, 3, 7, 12, 101, 480)] == [1, 1, 5, 10, 20, 200, 500]
    chart = stacked_bars(
        [("2026-11-23", {"uk": 2, "en": 1}), ("2026-11-30", {"uk": 4})], ["uk", "en"]
    )
    first = [bar for bar in chart.bars if bar.column == "2026-11-23"]
    assert [bar.series for bar in first] == ["uk", "en"]
    assert first[1].y + first[1].height == pytest.approx(first[0].y)  # en sits on uk
    tallest = max(chart.bars, key=lambda bar: bar.height)
    assert (tallest.column, tallest.value) == ("2026-11-30", 4)
    assert tallest.height == pytest.approx(188 * 4 / 5)  # the axis goes to 5
    lines = percent_lines(["a", "b", "c"], {"at_once": [50.0, None, 100.0]})
    assert [point.value for point in lines.lines[0].points] == [50.0, 100.0]
    assert lines.lines[0].path.startswith("M")
    assert lines.lines[0].path.count("L") == 1
    assert topic_of_offer("money_leefgeld,housing_x") == "money"
    assert topic_of_offer("") == topic_of_offer("nonsense") == ""


async def test_an_editor_sees_the_trends_and_the_view_is_audited(
    client: httpx.AsyncClient, db: Sessions
) -> None:
    today = utcnow().date()
    await events(db, [(today, "uk", "answered", "money_leefgeld", ""),
                      (today, "en", "asked", None, "housing_private_rental")])  # fmt: skip
    user = await make_staff(db, roles=[Role.editor], email="eva@almere.example", name="Eva")
    assert (await sign_in(client, email=user.email)).status_code == 303
    page = await client.get("/staff/insights/trends?days=28&language=")
    assert page.status_code == 200
    assert "Aantal vragen in 4 weken: 2." in page.text
    assert page.text.count('role="img"') == 2
    assert re.search(r'<rect class="series-uk"[^>]*><title>[^<]*Oekraïens: 1</title>', page.text)
    assert re.search(r'<th scope="row">Geld</th>', page.text)  # the topic by its name
    assert re.search(r'<th scope="row">Wonen</th>', page.text)  # (the offer's first button)
    assert "redacted question" not in page.text  # counts only
    english = await client.get("/staff/insights/trends?days=9999&language=xx")
    assert english.status_code == 200  # an unknown period or language: the default, no error
    async with db() as session:
        logged = list(await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "insights_viewed").order_by(AuditEntry.id)
        ))  # fmt: skip
    assert [entry.detail for entry in logged] == [
        {"page": "trends", "days": 28, "language": None},
        {"page": "trends", "days": 91, "language": None},
    ]
    assert all(entry.actor_id == user.id for entry in logged)


async def test_agents_admins_and_strangers_get_no_numbers(
    client: httpx.AsyncClient, db: Sessions
) -> None:
    await events(db, [(utcnow().date(), "uk", "answered", "money_leefgeld", "")])
    signed_out = await client.get("/staff/insights/trends", headers={"accept": "text/html"})
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/staff/sign-in")
    assert (
        await client.get("/staff/insights/trends", headers={"accept": "*/*"})
    ).status_code == 401
    for number, roles in enumerate(([Role.agent], [Role.admin], [Role.agent, Role.admin])):
        user = await make_staff(db, roles=roles, email=f"a{number}@almere.example")
        assert (await sign_in(client, email=user.email)).status_code == 303
        refused = await client.get("/staff/insights/trends", headers={"accept": "text/html"})
        assert refused.status_code == 403
        assert 'role="img"' not in refused.text
        assert "Geld</th>" not in refused.text
        await client.post("/staff/sign-out", data={})
        client.cookies.clear()
