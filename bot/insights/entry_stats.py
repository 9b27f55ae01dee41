"""How each knowledge-base entry does (issue 15), for GET /staff/insights/entries: per entry,
over a period and optionally one language, how often it answered, was offered as a "did you
mean" button, was chosen from the buttons, was found helpful or not, and was followed by an
escalation. Every entry of the knowledge base is listed, so the unused ones show too.

Counted on the database from turn events (bot/insights/recording.py) with two GROUP BYs:
the typed questions an entry answered (ix_turn_events_entry_at), and the "did you mean" turns
(outcome "asked", ix_turn_events_outcome_at) by their `offered` comma list and choice, whose
distinct values are split here. No event is read one by one. (One LIKE per entry on
',' || offered || ',' scans every offer once per entry: measured no faster, see
bench/measure/insights_speed.py.) An offer made in the same turn as an escalation is not
counted: nobody could choose from it.

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


FEEDBACK: Final = ("helpful", "not_helpful", "escalated_after")


def _feedback_sums() -> list[ColumnElement[int]]:
    return [
        _flag(TurnEvent.helpful.is_(True)),
        _flag(TurnEvent.helpful.is_(False)),
        _flag(TurnEvent.escalated_after.is_(True)),
    ]


async def answer_counts(
    session: AsyncSession, where: StatsFilter, *, now: dt.datetime
) -> dict[str, Counter[str]]:
    """Per entry that answered a typed question in the period: answered, helpful, not
    helpful and escalated after (one GROUP BY on ix_turn_events_entry_at)."""
    query = (
        select(TurnEvent.entry_id, func.count(), *_feedback_sums())
        .where(*where.where(now), TurnEvent.entry_id.is_not(None))
        .group_by(TurnEvent.entry_id)
    )
    counts: dict[str, Counter[str]] = {}
    for entry_id, answered, *feedback in (await session.execute(query)).all():
        found = counts.setdefault(str(entry_id), Counter())
        found["answered"] += int(answered)
        for name, value in zip(FEEDBACK, feedback, strict=True):
            found[name] += int(value or 0)
    return counts


async def offer_counts(
    session: AsyncSession, where: StatsFilter, *, now: dt.datetime
) -> dict[str, Counter[str]]:
    """Per entry offered as a "did you mean" button in the period: offered, chosen, and the
    feedback on the answer chosen. One GROUP BY over the period's "asked" events
    (ix_turn_events_outcome_at) by their comma list and choice: few distinct pairs, split
    here; an entry counts once per offer."""
    query = (
        select(TurnEvent.offered, TurnEvent.chosen, func.count(), *_feedback_sums())
        .where(*where.where(now), TurnEvent.outcome == "asked")
        .group_by(TurnEvent.offered, TurnEvent.chosen)
    )
    counts: dict[str, Counter[str]] = {}
    for offered, chosen, number, *feedback in (await session.execute(query)).all():
        for entry_id in {part for part in str(offered or "").split(",") if part}:
            counts.setdefault(entry_id, Counter())["offered"] += int(number)
        if chosen:
            found = counts.setdefault(str(chosen), Counter())
            found["chosen"] += int(number)
            for name, value in zip(FEEDBACK, feedback, strict=True):
                found[name] += int(value or 0)
    return counts


def _catalogue(knowledge_base: KnowledgeBase, reader: str) -> dict[str, EntryStats]:
    shown: Language = "en" if reader == "en" else "nl"
    return {
        entry.id: EntryStats(entry.id, entry.topic, entry.title.get(shown))
        for entry in knowledge_base.entries
    }


def combine(
    catalogue: Mapping[str, EntryStats], *counted: Mapping[str, Counter[str]]
) -> list[EntryStats]:
    """Every entry with its counts; an id counted but no longer in faq/ keeps its id as title."""
    rows = dict(catalogue)
    totals: dict[str, Counter[str]] = {}
    for counts in counted:
        for entry_id, found in counts.items():
            totals.setdefault(entry_id, Counter()).update(found)
    for entry_id in totals:
        if entry_id not in rows:
            topic = entry_id.split("_", 1)[0]
            rows[entry_id] = EntryStats(entry_id, topic, entry_id, in_knowledge_base=False)
    combined = []
    for entry_id, row in rows.items():
        found = totals.get(entry_id, Counter())
        combined.append(
            replace(
                row,
                answered=found["answered"],
                offered=found["offered"],
                chosen=found["chosen"],
                helpful=found["helpful"],
                not_helpful=found["not_helpful"],
                escalated_after=found["escalated_after"],
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
