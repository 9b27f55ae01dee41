"""Entries due for review (issue 15), for GET /staff/insights/review: an entry's `reviewed:`
date says when an editor last checked it against its sources; six months on it is due, and
the page lists it from 30 days before. Sources an editor marked `review: homepage` (a site's
front page until someone finds the page itself) or `review: unconfirmed` are listed too.

An entry one of whose sources did not answer at the last link check (`wegwijs check-links`,
kept by bot/faq/link_store.py) is due too, whatever its date, and listed first: its page may
have moved or its rule changed. Nothing here touches the database or the network: the route
passes the stored check in (a link check is a command of its own, never run when a page
opens)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from bot.faq.link_store import LinkCheckRun
from bot.faq.links import TIMED_OUT
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
    dead_links: int = 0  # its sources that did not answer at the last link check

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
class DeadLink:
    """A source of an entry that did not answer at the last link check."""

    entry_id: str
    topic: str
    title: str
    file: str
    name: str
    url: str
    status: int | None  # the HTTP status it answered with; None when no answer came
    error: str  # then why: TIMED_OUT or the kind of failure (ConnectError, ...)

    @property
    def timed_out(self) -> bool:
        return self.error == TIMED_OUT


@dataclass(frozen=True)
class LinkSummary:
    """The last link check, counted over the links faq/ cites today."""

    checked_at: dt.datetime
    checked: int  # cited links that the check tried
    dead: int  # of them, the ones that did not answer
    unchecked: int  # cited links added since the check


@dataclass(frozen=True)
class ReviewReport:
    today: dt.date
    entries: list[DueEntry]
    sources: list[SourceToCheck]
    dead_links: list[DeadLink] = field(default_factory=list)
    link_check: LinkSummary | None = None  # None: no link check has ever been saved

    @property
    def overdue(self) -> int:
        return sum(1 for entry in self.entries if entry.overdue)

    @property
    def with_dead_links(self) -> int:
        return sum(1 for entry in self.entries if entry.dead_links)


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
    links: LinkCheckRun | None = None,
) -> ReviewReport:
    """Entries with a source that did not answer at the last link check (`links`), then
    those due within WARN_DAYS or overdue, the most overdue first; then the sources marked
    for review, and the sources that did not answer, by entry. `reader` is the employee's
    language (nl or en); `files` each entry's file (bot/insights/knowledge.entry_files),
    else faq/<topic>/<id>.yml."""
    shown: Language = "en" if reader == "en" else "nl"
    known = files or {}

    def file_of(entry: Entry) -> str:
        return known.get(entry.id, f"faq/{entry.topic}/{entry.id}.yml")

    dead = _dead_links(knowledge_base, links, shown, file_of)
    dead_count = Counter(link.entry_id for link in dead)
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
            dead_links=dead_count[entry.id],
        )
        for entry in knowledge_base.entries
        if review_date(entry.reviewed) <= horizon or dead_count[entry.id]
    ]
    entries.sort(key=lambda due: (not due.dead_links, -due.days_overdue, due.entry_id))
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
    summary = _link_summary(knowledge_base, links)
    return ReviewReport(today, entries, sources, dead_links=dead, link_check=summary)


def _dead_links(
    knowledge_base: KnowledgeBase,
    links: LinkCheckRun | None,
    shown: Language,
    file_of: Callable[[Entry], str],
) -> list[DeadLink]:
    if links is None:
        return []
    found = []
    for entry in sorted(knowledge_base.entries, key=lambda entry: entry.id):
        for source in entry.sources:
            result = links.dead(str(source.url))
            if result is None:
                continue
            found.append(
                DeadLink(
                    entry_id=entry.id,
                    topic=entry.topic,
                    title=entry.title.get(shown),
                    file=file_of(entry),
                    name=source.name,
                    url=result.url,
                    status=result.status,
                    error=result.error,
                )
            )
    return found


def _link_summary(knowledge_base: KnowledgeBase, links: LinkCheckRun | None) -> LinkSummary | None:
    if links is None:
        return None
    cited = {str(source.url) for entry in knowledge_base.entries for source in entry.sources}
    checked = [links.results[url] for url in cited if url in links.results]
    return LinkSummary(
        checked_at=links.checked_at,
        checked=len(checked),
        dead=sum(1 for result in checked if result.dead),
        unchecked=len(cited) - len(checked),
    )
