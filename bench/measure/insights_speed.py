"""How fast the editors' pages "how each entry does" and "due for review" open
(bot/insights/entry_stats.py, review_due.py): a migrated SQLite database with `--events` turn
events spread over the last 365 days, counted by the service alone and as whole pages over
HTTP (in process, signed in as an editor: the counting, the knowledge base, the template and
the audit entry). For comparison, the offers counted with one LIKE per entry on the
database instead of grouped by their comma list.

    .venvs/app/bin/python -m bench.measure.insights_speed [--events 100000] [--runs 50]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import re
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from sqlalchemy import case, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import PROJECT_ROOT, Settings
from bot.db.migrate import migrate
from bot.db.models import utcnow
from bot.db.session import make_engine, make_sessionmaker
from bot.db.turn_models import TurnEvent, turn_pseudonym, week_of
from bot.insights.entry_stats import Sort, StatsFilter, entry_report
from bot.insights.knowledge import current_knowledge_base
from bot.staff.accounts import accept_invite, create_user
from bot.staff.app import include_staff
from bot.staff.roles import Role

ZONE = ZoneInfo("Europe/Amsterdam")  # the default TIMEZONE
PASSWORD = "lange zin om mee aan te melden"  # noqa: S105 (the benchmark's own account)
FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')
OUTCOMES = (("answered", 0.60), ("asked", 0.20), ("fallback", 0.12), ("escalated", 0.06),
            ("crisis", 0.02))  # fmt: skip
LANGUAGES = (("uk", 0.6), ("en", 0.2), ("nl", 0.2))


def _pick(chance: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return chance.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def event_rows(
    count: int, entry_ids: list[str], now: dt.datetime, *, spread: bool = False
) -> list[dict[str, Any]]:
    """`count` turn events of the last year: answers weighted to a few popular entries,
    "did you mean" offers of 2-3 entries (half chosen; mostly of one topic, or with `spread`
    any entries, so that nearly every offer is a comma list of its own), feedback on a third
    of the answers."""
    chance = random.Random(15)  # noqa: S311 (repeatable data, not secrets)
    weights = [1 / (rank + 1) for rank in range(len(entry_ids))]
    by_topic: dict[str, list[str]] = {}
    for entry_id in entry_ids:
        by_topic.setdefault(entry_id.split("_")[0], []).append(entry_id)
    rows: list[dict[str, Any]] = []
    for number in range(count):
        at = now - dt.timedelta(seconds=chance.randrange(365 * 86400))
        outcome = _pick(chance, OUTCOMES)
        entry = chance.choices(entry_ids, weights=weights)[0] if outcome == "answered" else None
        offered: list[str] = []
        chosen = None
        if outcome == "asked":  # close calls are between entries of one topic, mostly
            first = chance.choices(entry_ids, weights=weights)[0]
            pool = [other for other in by_topic[first.split("_")[0]] if other != first]
            if spread or chance.random() < 0.1:
                pool = [other for other in entry_ids if other != first]
            offered = [first, *chance.sample(pool, min(len(pool), chance.choice((1, 2))))]
            chosen = offered[0] if chance.random() < 0.5 else None
        answered = entry or chosen
        helpful = (chance.random() < 0.75) if answered and chance.random() < 0.33 else None
        rows.append(
            {
                "at": at, "week": week_of(at, ZONE), "conversation": turn_pseudonym(f"c{number}"),
                "language": _pick(chance, LANGUAGES), "outcome": outcome,
                "topic": answered.split("_")[0] if answered else None, "entry_id": entry,
                "offered": ",".join(offered), "chosen": chosen, "helpful": helpful,
                "escalated_after": bool(answered) and chance.random() < 0.05,
                "text": None if outcome == "crisis" else "redacted question",
            }
        )  # fmt: skip
    return rows


async def offers_by_like(
    session: AsyncSession, entry_ids: list[str], where: StatsFilter, now: dt.datetime
) -> dict[str, int]:
    """The alternative: one scan, one LIKE per entry on ',' || offered || ','."""
    wrapped = literal(",") + TurnEvent.offered + literal(",")
    columns = [
        func.sum(case((wrapped.like(f"%,{entry_id},%"), 1), else_=0)) for entry_id in entry_ids
    ]
    asked = select(*columns).where(*where.where(now), TurnEvent.outcome == "asked")
    row = (await session.execute(asked)).one()
    return {entry_id: int(value or 0) for entry_id, value in zip(entry_ids, row, strict=True)}


async def timed(runs: int, work: Callable[[], Awaitable[object]]) -> list[float]:
    for _ in range(3):
        await work()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _row(label: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"| {label} | {len(ordered)} | {statistics.median(ordered):.1f} | {p95:.1f} "
        f"| {ordered[-1]:.1f} |"
    )


async def _signed_in(app: FastAPI, sessions: async_sessionmaker[AsyncSession]) -> httpx.AsyncClient:
    async with sessions() as session, session.begin():
        made = await create_user(
            session, email="eva@almere.example", name="Eva", roles=[Role.editor]
        )
        await accept_invite(session, token=made.token, password=PASSWORD, repeated=PASSWORD)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 50000)),
        base_url="http://127.0.0.1", headers={"accept": "text/html"},
    )  # fmt: skip
    page = await client.get("/staff/sign-in")
    found = FORM_TOKEN.search(page.text)
    assert found is not None
    data = {"email": "eva@almere.example", "password": PASSWORD, "csrf_token": found.group(1)}
    if (await client.post("/staff/sign-in", data=data)).status_code != 303:
        raise RuntimeError("sign-in refused")
    return client


async def measure(events: int, runs: int, directory: Path, *, spread: bool) -> None:
    url = f"sqlite:///{directory / 'insights.db'}"
    migrate(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    now = utcnow()
    knowledge_base = current_knowledge_base(PROJECT_ROOT)
    entry_ids = sorted(entry.id for entry in knowledge_base.entries)
    rows = event_rows(events, entry_ids, now, spread=spread)
    lists = len({row["offered"] for row in rows if row["offered"]})
    async with sessions.begin() as session:
        for start in range(0, len(rows), 5000):
            await session.execute(insert(TurnEvent), rows[start : start + 5000])

    lines = ["| what | n | p50 ms | p95 ms | max ms |", "|---|---:|---:|---:|---:|"]
    for days, language in ((30, None), (365, None), (365, "uk")):
        where = StatsFilter.of(days, language)

        async def service(where: StatsFilter = where) -> object:
            async with sessions() as session:
                return await entry_report(
                    session, where, knowledge_base=knowledge_base, reader="nl", sort=Sort(),
                    now=now,
                )  # fmt: skip

        async def like(where: StatsFilter = where) -> object:
            async with sessions() as session:
                return await offers_by_like(session, entry_ids, where, now)

        label = f"{days} days{', ' + language if language else ''}"
        lines.append(_row(f"service `entry_report`, {label}", await timed(runs, service)))
        lines.append(_row(f"offers by one LIKE per entry, {label}", await timed(runs, like)))

    settings = Settings(WEGWIJS_VAR_DIR=directory, STAFF_COOKIE_SECURE=False)
    app = FastAPI()
    app.state.sessions = sessions
    include_staff(app, settings)
    client = await _signed_in(app, sessions)
    for path in (
        "/staff/insights/entries",
        "/staff/insights/entries?days=365",
        "/staff/insights/entries?days=365&language=nl&sort=title",
        "/staff/insights/entries.csv?days=365",
        "/staff/insights/review",
    ):

        async def page(path: str = path) -> object:
            answer = await client.get(path)
            if answer.status_code != 200:
                raise RuntimeError(f"{path}: {answer.status_code}")
            return answer

        lines.append(_row(f"`GET {path}`", await timed(runs, page)))
    await client.aclose()
    await engine.dispose()
    flag = " --spread" if spread else ""
    print(
        f"_Command: `.venvs/app/bin/python -m bench.measure.insights_speed --events {events}"
        f"{flag}` · {platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {dt.date.today().isoformat()}, load average "
        f"{os.getloadavg()[0]:.1f}_\n\n{events:,} turn events over 365 days, "
        f'{sum(1 for row in rows if row["outcome"] == "asked"):,} of them "did you mean" '
        f"with {lists:,} distinct offer lists; {len(entry_ids)} entries.\n"
    )
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--spread", action="store_true", help="offers of any entries")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(measure(args.events, args.runs, Path(directory), spread=args.spread))


if __name__ == "__main__":
    main()
