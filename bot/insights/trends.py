"""Trends for the editors (issue 15): questions per week by language and topic, the share
answered at once, and the questions sent to staff with their answer times against the time
promised to the newcomer.

Questions are counted from turn events (they survive the purge and /forget as counts); answer
times come from the tickets still kept (closed tickets go after CLOSED_TICKET_RETENTION_DAYS,
90 by default, which is the longest period the page offers). Every count is one GROUP BY on an
indexed column; only the tickets of the period are read one by one, for their medians."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Ticket, as_utc, utcnow
from bot.db.turn_models import TurnEvent, week_of
from bot.faq.schema import TOPICS

PERIODS = (28, 91, 182, 364)  # days: 4, 13, 26 and 52 weeks
DEFAULT_PERIOD = 91
LANGUAGES = ("uk", "en", "nl")
NO_TOPIC = ""  # a question that reached no entry (fallback, or a choice not made)


@dataclass(frozen=True)
class WeekCounts:
    week: dt.date
    by_language: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_language.values())


@dataclass(frozen=True)
class WeekShare:
    week: dt.date
    questions: int
    at_once: int  # answered from the knowledge base in the same turn

    @property
    def percent(self) -> float | None:
        return round(100 * self.at_once / self.questions, 1) if self.questions else None


@dataclass(frozen=True)
class WeekEscalations:
    week: dt.date
    asked: int
    answered: int
    in_time: int  # answered before the time promised (or with no promise made)
    median_hours: float | None

    @property
    def in_time_percent(self) -> float | None:
        return round(100 * self.in_time / self.answered, 1) if self.answered else None


@dataclass(frozen=True)
class Trends:
    weeks: list[dt.date]
    questions: list[WeekCounts]
    topics: dict[str, dict[dt.date, int]]  # topic ("" none) -> week -> questions
    at_once: list[WeekShare]
    escalations: list[WeekEscalations]
    language: str | None
    days: int
    totals: dict[str, int] = field(default_factory=dict)


def period_weeks(days: int, *, zone: dt.tzinfo, today: dt.date | None = None) -> list[dt.date]:
    """The Mondays of the weeks the period touches, oldest first (the current week last);
    `today` is the municipality's day."""
    day = today or utcnow().astimezone(zone).date()
    last = week_of(dt.datetime.combine(day, dt.time(12), zone), zone)
    count = max(1, days // 7)
    return [last - dt.timedelta(weeks=back) for back in range(count - 1, -1, -1)]


def topic_of_offer(offered: str) -> str:
    """A "did you mean" counts under the topic of its first button: an entry's id starts with
    its topic and "_" (bot/faq/schema.py)."""
    first = offered.split(",", 1)[0]
    topic = first.split("_", 1)[0] if "_" in first else ""
    return topic if topic in TOPICS else NO_TOPIC


def topic_condition(topic: str) -> ColumnElement[bool]:
    """topic_of_offer's rule in SQL: the topic an event was answered in or, with no answer,
    the topic of its first "did you mean" button."""
    return or_(
        TurnEvent.topic == topic,
        and_(TurnEvent.topic.is_(None), TurnEvent.offered.like(f"{topic}\\_%", escape="\\")),
    )


def _week(value: object) -> dt.date:
    """A week as SQLite (a string) or PostgreSQL (a date) returns it."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


async def questions_by_week(
    session: AsyncSession, since: dt.date, language: str | None
) -> tuple[dict[tuple[dt.date, str], int], dict[tuple[dt.date, str], int], dict[dt.date, int]]:
    """(week, language) -> questions, (week, topic) -> questions and week -> answered at once."""
    where = [TurnEvent.week >= since, TurnEvent.outcome != "crisis"]
    if language:
        where.append(TurnEvent.language == language)
    by_language: dict[tuple[dt.date, str], int] = {}
    by_topic: dict[tuple[dt.date, str], int] = {}
    at_once: dict[dt.date, int] = {}
    rows = await session.execute(
        select(TurnEvent.week, TurnEvent.language, TurnEvent.topic, TurnEvent.outcome,
               TurnEvent.offered, func.count())
        .where(*where)
        .group_by(TurnEvent.week, TurnEvent.language, TurnEvent.topic, TurnEvent.outcome,
                  TurnEvent.offered)
    )  # fmt: skip
    for week_value, event_language, topic, outcome, offered, count in rows:
        week = _week(week_value)
        by_language[(week, event_language)] = by_language.get((week, event_language), 0) + count
        key = (week, topic or topic_of_offer(offered))
        by_topic[key] = by_topic.get(key, 0) + count
        if outcome == "answered" and topic:
            at_once[week] = at_once.get(week, 0) + count
    return by_language, by_topic, at_once


async def escalations_by_week(
    session: AsyncSession, since: dt.date, language: str | None, zone: dt.tzinfo
) -> list[tuple[dt.date, dt.datetime, dt.datetime | None, dt.datetime | None]]:
    """(week, asked, answered, promised) of the tickets made since `since`."""
    start = dt.datetime.combine(since, dt.time(), zone).astimezone(dt.timezone.utc)
    query = select(Ticket.created_at, Ticket.answered_at, Ticket.expected_by).where(
        Ticket.created_at >= start
    )
    if language:
        query = query.where(Ticket.language == language)
    found = []
    for created, answered, promised in await session.execute(query):
        asked = as_utc(created)
        found.append(
            (week_of(asked, zone), asked, as_utc(answered) if answered else None,
             as_utc(promised) if promised else None)
        )  # fmt: skip
    return found


def summarise_escalations(
    weeks: list[dt.date],
    tickets: list[tuple[dt.date, dt.datetime, dt.datetime | None, dt.datetime | None]],
) -> list[WeekEscalations]:
    result = []
    for week in weeks:
        mine = [ticket for ticket in tickets if ticket[0] == week]
        answered = [(asked, done, promised) for _, asked, done, promised in mine if done]
        hours = [(done - asked).total_seconds() / 3600 for asked, done, _ in answered]
        in_time = sum(1 for _, done, promised in answered if promised is None or done <= promised)
        result.append(
            WeekEscalations(
                week=week,
                asked=len(mine),
                answered=len(answered),
                in_time=in_time,
                median_hours=round(statistics.median(hours), 1) if hours else None,
            )
        )
    return result


async def trends(
    session: AsyncSession,
    *,
    days: int = DEFAULT_PERIOD,
    language: str | None = None,
    zone: dt.tzinfo,
    today: dt.date | None = None,
) -> Trends:
    weeks = period_weeks(days, zone=zone, today=today)
    since = weeks[0]
    by_language, by_topic, at_once = await questions_by_week(session, since, language)
    tickets = await escalations_by_week(session, since, language, zone)
    shown = [language] if language else list(LANGUAGES)
    questions = [
        WeekCounts(week, {lang: by_language.get((week, lang), 0) for lang in shown})
        for week in weeks
    ]
    topics: dict[str, dict[dt.date, int]] = {}
    for (week, topic), count in by_topic.items():
        if week in weeks:
            topics.setdefault(topic, {})[week] = count
    shares = [
        WeekShare(week, questions=counts.total, at_once=at_once.get(week, 0))
        for week, counts in zip(weeks, questions, strict=True)
    ]
    escalations = summarise_escalations(weeks, tickets)
    return Trends(
        weeks=weeks,
        questions=questions,
        topics=dict(sorted(topics.items(), key=lambda item: -sum(item[1].values()))),
        at_once=shares,
        escalations=escalations,
        language=language,
        days=days,
        totals={
            "questions": sum(counts.total for counts in questions),
            "at_once": sum(share.at_once for share in shares),
            "asked": sum(week.asked for week in escalations),
            "answered": sum(week.answered for week in escalations),
            "in_time": sum(week.in_time for week in escalations),
        },
    )
