"""What newcomers asked and the bot missed, grouped by meaning across languages, for the
editors' page (bot/staff/routes/missed.py).

Missed: a fallback, a "did you mean" where nothing was chosen, an escalation, or a "no,
this did not help". Counting runs on the database (ix_turn_events_outcome_at); only the
newest MAX_EVENTS missed messages of the period are read, to be grouped
(bot/insights/clustering.py). Each message is embedded once, with the bot's model, and its
vector stored on its event: at most EMBED_PER_PAGE while a page waits, the rest by a task
in the background (or `python -m bot insights-embed`), grouped on a later load. /forget and
the purge clear a message's text and vector: it is then only counted, as forgotten, never
shown, and a vector is never written back to a forgotten event.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np
from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Ticket, as_utc
from bot.db.turn_models import TurnEvent, week_of
from bot.escalation.similar import question_features
from bot.faq.schema import TOPICS, load_knowledge_base
from bot.faq.search import knowledge_base_dir
from bot.insights.clustering import GROUP_THRESHOLD, GROUP_THRESHOLD_RAW, group_rows
from bot.insights.draft_making import MAX_QUESTIONS
from bot.insights.trends import topic_condition
from bot.language import SUPPORTED as LANGUAGES
from bot.municipality import DEFAULT_MUNICIPALITY
from bot.privacy.redact import redact
from bot.semantics.embedder import Embedder, Vectors

if TYPE_CHECKING:
    from bot.faq.search import EntryIndex

log = logging.getLogger(__name__)

PERIODS: Final = (7, 30, 90)
DEFAULT_DAYS: Final = 30
MAX_EVENTS: Final = 5000  # the newest missed messages of the period that are grouped
# ~12 ms each on two cores: at most ~2.5 s more for a page; the rest in the background.
EMBED_PER_PAGE: Final = 200
EXAMPLES: Final = 5
ENTRIES: Final = 5
ANSWERS: Final = 3


def missed_condition() -> ColumnElement[bool]:
    """The turn events the bot missed (never a crisis: those are counted, not shown)."""
    return and_(
        TurnEvent.outcome != "crisis",
        or_(
            TurnEvent.outcome.in_(("fallback", "escalated")),
            and_(TurnEvent.outcome == "asked", TurnEvent.chosen.is_(None)),
            TurnEvent.helpful.is_(False),
        ),
    )


@dataclass(frozen=True)
class MissedFilter:
    days: int = DEFAULT_DAYS
    language: str | None = None
    topic: str | None = None

    @classmethod
    def of(cls, days: int | None, language: str | None, topic: str | None = None) -> MissedFilter:
        """The filter as asked, anything unknown dropped."""
        return cls(
            days=days if days in PERIODS else DEFAULT_DAYS,
            language=language if language in LANGUAGES else None,
            topic=topic if topic in TOPICS else None,
        )

    def where(self, now: dt.datetime) -> list[ColumnElement[bool]]:
        conditions = [missed_condition(), TurnEvent.at >= now - dt.timedelta(days=self.days)]
        if self.language:
            conditions.append(TurnEvent.language == self.language)
        if self.topic:
            conditions.append(topic_condition(self.topic))
        return conditions


@dataclass(frozen=True)
class Example:
    text: str
    language: str
    at: dt.datetime


@dataclass(frozen=True)
class OfferedEntry:
    entry_id: str
    title: str
    count: int


@dataclass(frozen=True)
class StaffAnswer:
    text: str  # redacted, as the employee wrote it (before any translation)
    language: str


@dataclass(frozen=True)
class MissedGroup:
    size: int
    languages: list[tuple[str, int]]  # most first
    weeks: list[tuple[dt.date, int]]  # every week of the period, oldest first
    examples: list[Example]  # newest first
    entries: list[OfferedEntry]
    answers: list[StaffAnswer]
    event_ids: list[int]  # newest first: what a draft entry starts from (drafts.py route)

    @property
    def busiest_week(self) -> int:
        return max((count for _week, count in self.weeks), default=0)


@dataclass(frozen=True)
class MissedReport:
    where: MissedFilter
    total: int  # every missed message of the period, forgotten ones too
    by_language: list[tuple[str, int]]
    forgotten: int  # text cleared by /forget or the purge: counted only
    not_grouped: int  # not read (beyond MAX_EVENTS) or not yet embedded
    groups: list[MissedGroup]
    by_index: bool  # grouped with the knowledge-base index (else raw cosine)


@dataclass(frozen=True)
class _Event:
    id: int
    at: dt.datetime
    language: str
    entry_id: str | None
    offered: str
    ticket_id: int | None
    text: str
    vector: bytes | None


@lru_cache(maxsize=4)
def entry_titles(root: Path, municipality: str = DEFAULT_MUNICIPALITY) -> dict[str, dict[str, str]]:
    """Every entry's title by language, the municipality's layer included (read once per
    process)."""
    entries = load_knowledge_base(knowledge_base_dir(root), municipality=municipality).entries
    return {
        entry.id: {language: entry.title.get(language) for language in LANGUAGES}
        for entry in entries
    }


def _most_first(counts: Counter[str]) -> list[tuple[str, int]]:
    """Most first; a tie in the order of the bot's languages (uk, en, nl)."""
    order: dict[str, int] = {language: number for number, language in enumerate(LANGUAGES)}
    return sorted(counts.items(), key=lambda item: (-item[1], order.get(item[0], 99), item[0]))


def embedded_text(text: str) -> str:
    return " ".join(text.split())


async def missed_counts(
    session: AsyncSession, where: MissedFilter, *, now: dt.datetime
) -> tuple[Counter[str], int]:
    """Missed messages per language, and how many of them were forgotten (SQL counts)."""
    forgotten = TurnEvent.text.is_(None)
    rows = await session.execute(
        select(TurnEvent.language, forgotten, func.count())
        .where(*where.where(now))
        .group_by(TurnEvent.language, forgotten)
    )
    by_language: Counter[str] = Counter()
    cleared = 0
    for language, is_forgotten, count in rows.all():
        by_language[language] += int(count)
        if is_forgotten:
            cleared += int(count)
    return by_language, cleared


async def _missed_events(
    session: AsyncSession, where: MissedFilter, *, now: dt.datetime
) -> list[_Event]:
    rows = await session.execute(
        select(
            TurnEvent.id,
            TurnEvent.at,
            TurnEvent.language,
            TurnEvent.entry_id,
            TurnEvent.offered,
            TurnEvent.ticket_id,
            TurnEvent.text,
            TurnEvent.vector,
        )
        .where(*where.where(now), TurnEvent.text.is_not(None))
        .order_by(TurnEvent.at.desc(), TurnEvent.id.desc())
        .limit(MAX_EVENTS)
    )
    return [
        _Event(
            id=row.id,
            at=as_utc(row.at),
            language=row.language,
            entry_id=row.entry_id,
            offered=row.offered or "",
            ticket_id=row.ticket_id,
            text=row.text,
            vector=row.vector,
        )
        for row in rows.all()
        if row.text and row.text.strip()
    ]


async def fill_vectors(
    sessions: async_sessionmaker[AsyncSession],
    embedder: Embedder,
    events: Sequence[tuple[int, str]],
) -> dict[int, Vectors]:
    """Embeds (id, text) pairs off the event loop and stores each vector on its event,
    unless the event was forgotten meanwhile (its text is gone: no vector comes back)."""
    if not events:
        return {}
    vectors = await asyncio.to_thread(
        embedder.queries, [embedded_text(text) for _id, text in events]
    )
    made = {event_id: vector for (event_id, _text), vector in zip(events, vectors, strict=True)}
    async with sessions.begin() as session:
        for event_id, vector in made.items():
            await session.execute(
                update(TurnEvent)
                .where(TurnEvent.id == event_id, TurnEvent.text.is_not(None))
                .values(vector=vector.astype(np.float32).tobytes())
            )
    return made


async def embed_missing(
    sessions: async_sessionmaker[AsyncSession],
    embedder: Embedder,
    *,
    limit: int = EMBED_PER_PAGE,
    batch: int = 200,
) -> int:
    """Embeds missed messages that have no vector yet, newest first (the command's way,
    `python -m bot insights-embed`, so the page never has to). Returns how many."""
    done = 0
    while done < limit:
        async with sessions() as session:
            rows = (
                await session.execute(
                    select(TurnEvent.id, TurnEvent.text)
                    .where(
                        missed_condition(), TurnEvent.text.is_not(None), TurnEvent.vector.is_(None)
                    )
                    .order_by(TurnEvent.at.desc(), TurnEvent.id.desc())
                    .limit(min(batch, limit - done))
                )
            ).all()
        if not rows:
            break
        await fill_vectors(sessions, embedder, [(row.id, row.text) for row in rows])
        done += len(rows)
    return done


def grouped_rows(
    vectors: Vectors, languages: Sequence[str], index: EntryIndex | None
) -> list[list[int]]:
    """Groups of rows asking the same thing, by the similar tickets' measure."""
    features = question_features(vectors.astype(np.float32), languages, index)
    return group_rows(features, GROUP_THRESHOLD if index is not None else GROUP_THRESHOLD_RAW)


_background: set[asyncio.Task[int]] = set()


def embedding_in_background() -> bool:
    return bool(_background)


async def background_done() -> None:
    """Waits for the background embedding, if any (tests, benchmarks, a clean shutdown)."""
    while _background:
        await asyncio.gather(*_background)


def embed_in_background(sessions: async_sessionmaker[AsyncSession], embedder: Embedder) -> bool:
    """Starts embedding what a page left (one task per process); False if one runs."""
    if _background:
        return False

    async def run() -> int:
        try:
            return await embed_missing(sessions, embedder, limit=MAX_EVENTS)
        except Exception:
            log.exception("embedding missed questions failed")
            return 0

    task = asyncio.get_running_loop().create_task(run(), name="insights-embed")
    _background.add(task)
    task.add_done_callback(_background.discard)
    return True


def _weeks(where: MissedFilter, now: dt.datetime, zone: dt.tzinfo) -> list[dt.date]:
    first, last = week_of(now - dt.timedelta(days=where.days), zone), week_of(now, zone)
    return [first + dt.timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def _group(
    members: Sequence[_Event],
    weeks: Sequence[dt.date],
    *,
    titles: dict[str, dict[str, str]],
    reader: str,
    answers: dict[int, StaffAnswer],
    zone: dt.tzinfo,
) -> MissedGroup:
    languages = Counter(event.language for event in members)
    per_week = Counter(week_of(event.at, zone) for event in members)
    newest = sorted(members, key=lambda event: (event.at, event.id), reverse=True)
    examples: list[Example] = []
    seen: set[str] = set()
    for event in newest:
        key = embedded_text(event.text).casefold()
        if key not in seen:
            seen.add(key)
            examples.append(Example(text=event.text, language=event.language, at=event.at))
        if len(examples) >= EXAMPLES:
            break
    offered: Counter[str] = Counter()
    for event in members:
        shown = {event.entry_id} if event.entry_id else set()
        shown.update(part for part in event.offered.split(",") if part)
        offered.update(shown)
    entries = [
        OfferedEntry(entry_id=entry_id, title=titles.get(entry_id, {}).get(reader, entry_id),
                     count=count)
        for entry_id, count in sorted(offered.items(), key=lambda item: (-item[1], item[0]))
    ][:ENTRIES]  # fmt: skip
    ticket_ids = list(dict.fromkeys(e.ticket_id for e in newest if e.ticket_id is not None))
    return MissedGroup(
        size=len(members),
        languages=_most_first(languages),
        weeks=[(week, per_week.get(week, 0)) for week in weeks],
        examples=examples,
        entries=entries,
        answers=[answers[number] for number in ticket_ids if number in answers][:ANSWERS],
        event_ids=[event.id for event in newest][:MAX_QUESTIONS],
    )


async def _staff_answers(session: AsyncSession, ticket_ids: set[int]) -> dict[int, StaffAnswer]:
    """What staff answered on these tickets, redacted (an answer may quote a code)."""
    if not ticket_ids:
        return {}
    rows = await session.execute(
        select(Ticket.id, Ticket.answer, Ticket.answer_original, Ticket.answer_source_language,
               Ticket.language)
        .where(Ticket.id.in_(ticket_ids), Ticket.answer.is_not(None))
    )  # fmt: skip
    found: dict[int, StaffAnswer] = {}
    for row in rows.all():
        original = row.answer_original or row.answer
        language = row.answer_source_language if row.answer_original else row.language
        found[int(row.id)] = StaffAnswer(text=redact(original).text, language=language or "")
    return found


async def missed_report(
    sessions: async_sessionmaker[AsyncSession],
    where: MissedFilter,
    *,
    embedder: Embedder,
    index: EntryIndex | None,
    titles: dict[str, dict[str, str]],
    reader: str,
    now: dt.datetime,
    zone: dt.tzinfo,
    embed_limit: int = EMBED_PER_PAGE,
) -> MissedReport:
    """The page's figures and groups, biggest group first; `reader` is the employee's
    language (entry titles)."""
    async with sessions() as session:
        by_language, forgotten = await missed_counts(session, where, now=now)
        events = await _missed_events(session, where, now=now)
    missing = [(event.id, event.text) for event in events if event.vector is None]
    # While the background task embeds, a page does not wait for the model: it shows what
    # is grouped so far.
    now_embedded = missing[: embed_limit if not embedding_in_background() else 0]
    made = await fill_vectors(sessions, embedder, now_embedded)
    if len(missing) > len(now_embedded):
        embed_in_background(sessions, embedder)
    rows: list[Vectors] = []
    kept: list[_Event] = []
    for event in events:
        if event.vector is not None:
            vector = np.frombuffer(event.vector, dtype=np.float32)
        elif event.id in made:
            vector = made[event.id]
        else:
            continue
        if vector.shape == (embedder.dimension,):
            rows.append(vector)
            kept.append(event)
    groups: list[MissedGroup] = []
    if kept:
        grouped = await asyncio.to_thread(
            grouped_rows, np.stack(rows), [event.language for event in kept], index
        )
        async with sessions() as session:
            answers = await _staff_answers(
                session, {e.ticket_id for e in kept if e.ticket_id is not None}
            )
        weeks = _weeks(where, now, zone)
        groups = [
            _group([kept[row] for row in members], weeks, titles=titles, reader=reader,
                   answers=answers, zone=zone)
            for members in grouped
        ]  # fmt: skip
    total = sum(by_language.values())
    return MissedReport(
        where=where,
        total=total,
        by_language=_most_first(by_language),
        forgotten=forgotten,
        not_grouped=total - forgotten - len(kept),
        groups=groups,
        by_index=index is not None,
    )
