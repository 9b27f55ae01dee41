"""How long the editors' page of missed questions takes to build (bot/insights/missed.py):
a migrated SQLite database with `--events` turn events of the last 30 days, `--missed` of
them missed (the development set's questions, varied), the real model and index.

    .venvs/app/bin/python -m bench.measure.missed_page --events 100000 --missed 2000

First load: EMBED_PER_PAGE missed messages are embedded and their vectors stored, the rest in
the background; once all are stored, a load is counting, grouping and the staff answers.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from bench.devset import load_devset
from bot.db.migrate import migrate
from bot.db.models import utcnow
from bot.db.session import make_engine, make_sessionmaker
from bot.db.turn_models import TurnEvent, turn_pseudonym, week_of
from bot.faq.search import EntrySearch
from bot.insights.missed import MissedFilter, background_done, entry_titles, missed_report
from bot.semantics.embedder import shared_embedder

ZONE = ZoneInfo("Europe/Amsterdam")  # the default TIMEZONE
ROOT = Path(__file__).resolve().parents[2]
SUFFIXES = ("", " alsjeblieft", " please", " будь ласка", "?", " in Almere", " thanks")


def _rows(events: int, missed: int, now: dt.datetime) -> list[dict[str, object]]:
    chance = random.Random(15)  # noqa: S311 (a repeatable spread of moments)
    questions = load_devset()
    rows: list[dict[str, object]] = []
    for number in range(events):
        at = now - dt.timedelta(seconds=chance.randrange(30 * 86400))
        question = questions[number % len(questions)]
        language = "uk" if question.language == "ru" else question.language
        is_missed = number < missed
        rows.append(
            {
                "at": at, "week": week_of(at, ZONE), "conversation": turn_pseudonym(f"c{number}"),
                "language": language, "outcome": "fallback" if is_missed else "answered",
                "entry_id": None if is_missed else question.expected, "offered": "",
                "escalated_after": False,
                "text": question.text + SUFFIXES[(number // len(questions)) % len(SUFFIXES)],
            }
        )  # fmt: skip
    return rows


async def measure(events: int, missed: int, directory: Path) -> None:
    url = f"sqlite:///{directory / 'missed.db'}"
    migrate(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    now = utcnow()
    rows = _rows(events, missed, now)
    async with sessions.begin() as session:
        for start in range(0, len(rows), 5000):
            await session.execute(insert(TurnEvent), rows[start : start + 5000])
    embedder = shared_embedder()
    index = EntrySearch(ROOT, embedder, cache_dir=ROOT / "var" / "cache").index()
    titles = entry_titles(ROOT)
    embedder.queries(["warm up"])

    async def load(label: str) -> None:
        started = time.perf_counter()
        report = await missed_report(
            sessions, MissedFilter(), embedder=embedder, index=index, titles=titles,
            reader="nl", now=now, zone=ZONE,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        print(
            f"{label}: {seconds:.2f} s, {report.total} missed of {events} events, "
            f"{len(report.groups)} groups, {report.not_grouped} not grouped"
        )

    await load("first load (embeds EMBED_PER_PAGE, starts the rest in the background)")
    await load("while the background embeds")
    started = time.perf_counter()
    await background_done()
    print(f"background embedding done after {time.perf_counter() - started:.1f} s more")
    for number in range(3):
        await load(f"with every vector stored ({number + 1})")
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--missed", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(measure(args.events, args.missed, Path(directory)))


if __name__ == "__main__":
    main()
