"""Entries due for review (issue 15), for GET /staff/insights/review: an entry's `reviewed:`
date says when an editor last checked it against its sources; six months on it is due, and
the page lists it from 30 days before. Sources an editor marked `review: homepage` (a site's
front page until someone finds the page itself) or `review: unconfirmed` are listed too.

Read from faq/ alone: nothing here touches the database or the network (a link check is a
command of its own, never run when a page opens)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from bot.faq.schema import Entry, KnowledgeBase
from bot.language import Language

REVIEW_MONTHS: Final = 6
WARN_DAYS: Final = 30


@dataclass(frozen=True)
class DueEntry:
    entry_id: str
    topic: str
    title: str
    file: str  # where an editor changes it, from the project root
    reviewed: dt.date
    due: dt.date
    days_overdue: int  # negative: due in that many days

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


@dataclass(frozen=True)
class SourceToCheck:
    entry_id: str
    topic: str
    title: str
    file: str
    name: str
    url: str
    review: str  # "homepage" or "unconfirmed"
    seen: dt.date | None


@dataclass(frozen=True)
class ReviewReport:
    today: dt.date
    entries: list[DueEntry]
    sources: list[SourceToCheck]

    @property
    def overdue(self) -> int:
        return sum(1 for entry in self.entries if entry.overdue)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the month's last day when it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def review_date(reviewed: dt.date) -> dt.date:
    return add_months(reviewed, REVIEW_MONTHS)


def review_report(
    knowledge_base: KnowledgeBase,
    *,
    today: dt.date,
    reader: str,
    files: Mapping[str, str] | None = None,
) -> ReviewReport:
    """Entries due within WARN_DAYS or overdue, the most overdue first; then the sources
    marked for review, by entry. `reader` is the employee's language (nl or en); `files`
    each entry's file (bot/insights/knowledge.entry_files), else faq/<topic>/<id>.yml."""
    shown: Language = "en" if reader == "en" else "nl"
    known = files or {}

    def file_of(entry: Entry) -> str:
        return known.get(entry.id, f"faq/{entry.topic}/{entry.id}.yml")

    horizon = today + dt.timedelta(days=WARN_DAYS)
    entries = [
        DueEntry(
            entry_id=entry.id,
            topic=entry.topic,
            title=entry.title.get(shown),
            file=file_of(entry),
            reviewed=entry.reviewed,
            due=review_date(entry.reviewed),
            days_overdue=(today - review_date(entry.reviewed)).days,
        )
        for entry in knowledge_base.entries
        if review_date(entry.reviewed) <= horizon
    ]
    entries.sort(key=lambda due: (-due.days_overdue, due.entry_id))
    sources = [
        SourceToCheck(
            entry_id=entry.id,
            topic=entry.topic,
            title=entry.title.get(shown),
            file=file_of(entry),
            name=source.name,
            url=str(source.url),
            review=source.review,
            seen=source.seen,
        )
        for entry in sorted(knowledge_base.entries, key=lambda entry: entry.id)
        for source in entry.sources
        if source.review
    ]
    return ReviewReport(today, entries, sources)
