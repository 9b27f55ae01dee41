"""How each knowledge-base entry does (issue 15), for GET /staff/insights/entries: per entry,
over a period and optionally one language, how often it answered, was offered as a "did you
mean" button, was chosen from the buttons, was found helpful or not, and was followed by an
escalation. Every entry of the knowledge base is listed, so the unused ones show too.

Counted on the database from turn events (bot/insights/recording.py): one GROUP BY over the
period's rows (ix_turn_events_at) for what an entry answered, and one GROUP BY on the
`offered` strings, whose few distinct values are split here. No row is read one by one.

The answer an entry gave is `entry_id` on a typed question, or `chosen` on a "did you mean":
feedback and "escalated after" are marked on that same event, so they count for it."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.turn_models import TurnEvent
from bot.faq.schema import KnowledgeBase
from bot.language import SUPPORTED as LANGUAGES
from bot.language import Language

PERIODS: Final = (7, 30, 90, 365)
DEFAULT_DAYS: Final = 30
CHART_ENTRIES: Final = 15
# Sortable columns; text columns sort A-Z first, counts the most first.
TEXT_COLUMNS: Final = ("title", "topic")
COUNT_COLUMNS: Final = (
    "answered",
    "offered",
    "chosen",
    "helpful",
    "not_helpful",
    "not_helpful_share",
    "escalated_after",
)
COLUMNS: Final = TEXT_COLUMNS + COUNT_COLUMNS
TOTALS: Final = ("answered", "offered", "chosen", "helpful", "not_helpful", "escalated_after")
DEFAULT_SORT: Final = "not_helpful_share"


@dataclass(frozen=True)
class StatsFilter:
    days: int = DEFAULT_DAYS
    language: str | None = None

    @classmethod
    def of(cls, days: int | None, language: str | None) -> StatsFilter:
        """The filter as asked, anything unknown dropped (the default period, every language)."""
        return cls(
            days=days if days in PERIODS else DEFAULT_DAYS,
            language=language if language in LANGUAGES else None,
        )

    def where(self, now: dt.datetime) -> list[ColumnElement[bool]]:
        conditions = [TurnEvent.at >= now - dt.timedelta(days=self.days)]
        if self.language:
            conditions.append(TurnEvent.language == self.language)
        return conditions


@dataclass(frozen=True)
class Sort:
    column: str = DEFAULT_SORT
    descending: bool = True

    @classmethod
    def of(cls, column: str | None, direction: str | None) -> Sort:
        """`direction` is "asc" or "desc"; without it, each column's natural order."""
        chosen = column if column in COLUMNS else DEFAULT_SORT
        if direction in ("asc", "desc"):
            return cls(chosen, direction == "desc")
        return cls(chosen, chosen not in TEXT_COLUMNS)

    def toggled(self, column: str) -> Sort:
        """The order a column's header link asks: the other way round when it is the one
        sorted on, else that column's natural order."""
        if column == self.column:
            return Sort(column, not self.descending)
        return Sort.of(column, None)

    @property
    def direction(self) -> str:
        return "desc" if self.descending else "asc"


@dataclass(frozen=True)
class EntryStats:
    entry_id: str
    topic: str
    title: str
    answered: int = 0  # answered a typed question
    offered: int = 0  # offered as a "did you mean" button
    chosen: int = 0  # chosen from those buttons (then it answered too)
    helpful: int = 0
    not_helpful: int = 0
    escalated_after: int = 0  # a ticket followed the answer
    in_knowledge_base: bool = True  # False: counted, but the entry is gone from faq/

    @property
    def feedback(self) -> int:
        return self.helpful + self.not_helpful

    @property
    def not_helpful_share(self) -> float | None:
        """Percent of the feedback that said "not helpful"; None without feedback."""
        return round(100 * self.not_helpful / self.feedback, 1) if self.feedback else None

    @property
    def used(self) -> bool:
        return bool(self.answered or self.offered or self.chosen)


@dataclass(frozen=True)
class EntryReport:
    where: StatsFilter
    sort: Sort
    rows: list[EntryStats]
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def unused(self) -> int:
        return sum(1 for row in self.rows if not row.used)

    def worst(self, count: int = CHART_ENTRIES) -> list[EntryStats]:
        """The entries with feedback, worst first (what the chart shows)."""
        return sorted((row for row in self.rows if row.feedback), key=worst_first)[:count]


def worst_first(row: EntryStats) -> tuple[float, int, int, int, str]:
    """Most "not helpful" share first, then most escalations after, then most "not helpful",
    then the most used; entries without feedback after every entry with some."""
    share = row.not_helpful_share
    return (
        -(share if share is not None else -1.0),
        -row.escalated_after,
        -row.not_helpful,
        -(row.answered + row.chosen),
        row.entry_id,
    )


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


async def answer_counts(
    session: AsyncSession, where: StatsFilter, *, now: dt.datetime
) -> dict[str, dict[str, int]]:
    """Per entry that answered in the period: answered, chosen, helpful, not helpful and
    escalated after (one GROUP BY)."""
    answering = func.coalesce(TurnEvent.entry_id, TurnEvent.chosen)
    query = (
        select(
            answering,
            _flag(TurnEvent.entry_id.is_not(None)),
            _flag(TurnEvent.chosen.is_not(None)),
            _flag(TurnEvent.helpful.is_(True)),
            _flag(TurnEvent.helpful.is_(False)),
            _flag(TurnEvent.escalated_after.is_(True)),
        )
        .where(*where.where(now), answering.is_not(None))
        .group_by(answering)
    )
    names = ("answered", "chosen", "helpful", "not_helpful", "escalated_after")
    return {
        str(row[0]): {name: int(value or 0) for name, value in zip(names, row[1:], strict=True)}
        for row in (await session.execute(query)).all()
    }


async def offer_counts(
    session: AsyncSession, where: StatsFilter, *, now: dt.datetime
) -> Counter[str]:
    """How often each entry was offered as a button: the period's offers grouped by their
    comma list (few distinct lists), split here; an entry counts once per offer."""
    query = (
        select(TurnEvent.offered, func.count())
        .where(*where.where(now), TurnEvent.offered != "")
        .group_by(TurnEvent.offered)
    )
    counts: Counter[str] = Counter()
    for offered, number in (await session.execute(query)).all():
        for entry_id in {part for part in str(offered).split(",") if part}:
            counts[entry_id] += int(number)
    return counts


def _catalogue(knowledge_base: KnowledgeBase, reader: str) -> dict[str, EntryStats]:
    shown: Language = "en" if reader == "en" else "nl"
    return {
        entry.id: EntryStats(entry.id, entry.topic, entry.title.get(shown))
        for entry in knowledge_base.entries
    }


def combine(
    catalogue: Mapping[str, EntryStats],
    answers: Mapping[str, Mapping[str, int]],
    offers: Mapping[str, int],
) -> list[EntryStats]:
    """Every entry with its counts; an id counted but no longer in faq/ keeps its id as title."""
    rows = dict(catalogue)
    for entry_id in set(answers) | set(offers):
        if entry_id not in rows:
            topic = entry_id.split("_", 1)[0]
            rows[entry_id] = EntryStats(entry_id, topic, entry_id, in_knowledge_base=False)
    combined = []
    for entry_id, row in rows.items():
        counted = answers.get(entry_id, {})
        combined.append(
            replace(
                row,
                offered=offers.get(entry_id, 0),
                answered=counted.get("answered", 0),
                chosen=counted.get("chosen", 0),
                helpful=counted.get("helpful", 0),
                not_helpful=counted.get("not_helpful", 0),
                escalated_after=counted.get("escalated_after", 0),
            )
        )
    return combined


def sorted_rows(rows: Iterable[EntryStats], sort: Sort) -> list[EntryStats]:
    """By the column in its direction, ties (and rows without a value, last) worst first."""
    ranked = sorted(rows, key=worst_first)
    if sort.column in TEXT_COLUMNS:
        ranked.sort(key=lambda row: str(getattr(row, sort.column)).casefold(),
                    reverse=sort.descending)  # fmt: skip
        return ranked
    numbers: list[tuple[float, EntryStats]] = []
    missing: list[EntryStats] = []
    for row in ranked:
        value = getattr(row, sort.column)
        if value is None:
            missing.append(row)
        else:
            numbers.append((float(value), row))
    numbers.sort(key=lambda pair: pair[0], reverse=sort.descending)
    return [row for _, row in numbers] + missing


async def entry_report(
    session: AsyncSession,
    where: StatsFilter,
    *,
    knowledge_base: KnowledgeBase,
    reader: str,
    sort: Sort,
    now: dt.datetime,
) -> EntryReport:
    """`reader` is the employee's language (nl or en): the titles are in it."""
    answers = await answer_counts(session, where, now=now)
    offers = await offer_counts(session, where, now=now)
    rows = combine(_catalogue(knowledge_base, reader), answers, offers)
    totals = {name: sum(getattr(row, name) for row in rows) for name in TOTALS}
    return EntryReport(where, sort, sorted_rows(rows, sort), totals)
