"""How long the editors' trends (bot/insights/trends.py) take to count: a migrated SQLite
database with `--events` turn events spread over the last year and `--tickets` tickets,
counted for every period the page offers, `--rounds` times each.

    .venvs/app/bin/python -m bench.measure.trends_speed --events 100000 --tickets 5000

The page adds its rendering to this (a few ms: the charts are a few hundred SVG shapes).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from bot.db.migrate import migrate
from bot.db.models import Ticket, utcnow
from bot.db.session import make_engine, make_sessionmaker
from bot.db.turn_models import TurnEvent, week_of
from bot.insights.trends import PERIODS, trends

ZONE = ZoneInfo("Europe/Amsterdam")  # the default TIMEZONE
OUTCOMES = ("answered", "answered", "answered", "asked", "asked", "fallback", "escalated")
ENTRIES = ("money_leefgeld", "health_huisarts", "housing_private_rental", "work_rights",
           "language_inburgering", "education_school_children")  # fmt: skip
LANGUAGES = ("uk", "uk", "uk", "en", "nl")


def _events(count: int, now: dt.datetime) -> list[dict[str, object]]:
    chance = random.Random(15)  # noqa: S311 (a repeatable spread)
    rows = []
    for number in range(count):
        at = now - dt.timedelta(seconds=chance.randrange(365 * 86400))
        outcome = chance.choice(OUTCOMES)
        entry = chance.choice(ENTRIES) if outcome == "answered" else None
        offered = ",".join(chance.sample(ENTRIES, 2)) if outcome == "asked" else ""
        rows.append({
            "at": at, "week": week_of(at, ZONE), "conversation": f"{number:032d}",
            "language": chance.choice(LANGUAGES), "outcome": outcome,
            "topic": entry.split("_")[0] if entry else None, "entry_id": entry,
            "offered": offered, "escalated_after": False, "text": None,
        })  # fmt: skip
    return rows


def _tickets(count: int, now: dt.datetime) -> list[dict[str, object]]:
    chance = random.Random(16)  # noqa: S311
    rows = []
    for number in range(count):
        made = now - dt.timedelta(seconds=chance.randrange(90 * 86400))
        answered = made + dt.timedelta(hours=chance.uniform(0.5, 60)) if number % 5 else None
        rows.append({
            "code": f"T{number:07d}", "conversation_id": f"we-{number}", "channel": "web",
            "language": chance.choice(LANGUAGES), "topic": "housing", "question": "[redacted]",
            "excerpt": "[]", "consent_at": made, "expected_by": made + dt.timedelta(hours=24),
            "state": "answered" if answered else "open", "answered_at": answered,
            "created_at": made, "updated_at": made,
        })  # fmt: skip
    return rows


async def measure(url: str, *, events: int, tickets: int, rounds: int) -> dict[int, list[float]]:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    now = utcnow()
    async with sessions.begin() as session:
        for start in range(0, events, 10_000):
            await session.execute(insert(TurnEvent), _events(min(10_000, events - start), now))
        await session.execute(insert(Ticket), _tickets(tickets, now))
    times: dict[int, list[float]] = {days: [] for days in PERIODS}
    for _ in range(rounds):
        for days in PERIODS:
            started = time.perf_counter()
            async with sessions() as session:
                await trends(session, days=days, zone=ZONE)
            times[days].append((time.perf_counter() - started) * 1000)
    await engine.dispose()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'trends.db'}"
        migrate(url)
        times = asyncio.run(
            measure(url, events=args.events, tickets=args.tickets, rounds=args.rounds)
        )
    print(f"| period | rounds | p50 ms | p95 ms | max ms |  ({args.events} events, "
          f"{args.tickets} tickets, SQLite)")  # fmt: skip
    print("|---|---:|---:|---:|---:|")
    for days, taken in times.items():
        ordered = sorted(taken)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        print(f"| {days // 7} weeks | {len(taken)} | {statistics.median(taken):.1f} | "
              f"{p95:.1f} | {max(taken):.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
