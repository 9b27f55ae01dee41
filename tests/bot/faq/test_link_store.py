"""The latest link check in the database (bot/faq/link_store.py): saved, replaced whole by
the next run (never half of two), read back; on SQLite and PostgreSQL where reachable."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.link_models import ERROR_CHARS
from bot.faq.link_store import LinkCheckRun, latest_link_check, save_link_check
from bot.faq.links import TIMED_OUT, LinkResult

Sessions = async_sessionmaker[AsyncSession]
FIRST = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.timezone.utc)
SECOND = FIRST + dt.timedelta(days=7)


async def save(sessions: Sessions, results: list[LinkResult], at: dt.datetime) -> int:
    async with sessions.begin() as session:
        return await save_link_check(session, results, checked_at=at)


async def latest(sessions: Sessions) -> LinkCheckRun | None:
    async with sessions() as session:
        return await latest_link_check(session)


async def test_a_run_is_saved_and_read_back(sessions: Sessions) -> None:
    assert await latest(sessions) is None  # never checked
    run = [
        LinkResult("https://ind.nl/en", 200),
        LinkResult("https://www.almere.nl/weg", 404),
        LinkResult("https://traag.example/", None, TIMED_OUT),
        LinkResult("https://www.almere.nl/weg", 404),  # twice in a run: one row
        LinkResult("https://kapot.example/", None, "ConnectError: " + "x" * 400),
    ]
    assert await save(sessions, run, FIRST) == 4
    stored = await latest(sessions)
    assert stored is not None
    assert stored.checked_at == FIRST
    assert stored.checked_at.tzinfo is not None
    assert sorted(stored.results) == [
        "https://ind.nl/en", "https://kapot.example/", "https://traag.example/",
        "https://www.almere.nl/weg",
    ]  # fmt: skip
    assert stored.results["https://ind.nl/en"] == LinkResult("https://ind.nl/en", 200)
    assert stored.dead("https://ind.nl/en") is None
    assert stored.dead("https://www.almere.nl/weg") == LinkResult("https://www.almere.nl/weg", 404)
    assert stored.dead("https://traag.example/") == LinkResult(
        "https://traag.example/", None, TIMED_OUT
    )
    broken = stored.results["https://kapot.example/"]
    assert broken.error.startswith("ConnectError: x")
    assert len(broken.error) == ERROR_CHARS  # cut to fit, still dead
    assert broken.dead
    assert stored.dead("https://never.checked.example/") is None


async def test_the_next_run_replaces_the_last_one_whole(sessions: Sessions) -> None:
    await save(
        sessions,
        [LinkResult("https://a.example/", 404), LinkResult("https://b.example/", 200)],
        FIRST,
    )
    await save(
        sessions,
        [LinkResult("https://b.example/", 500), LinkResult("https://c.example/", 200)],
        SECOND,
    )
    stored = await latest(sessions)
    assert stored is not None
    assert stored.checked_at == SECOND
    assert dict(stored.results) == {
        "https://b.example/": LinkResult("https://b.example/", 500),
        "https://c.example/": LinkResult("https://c.example/", 200),
    }


async def interrupted(sessions: Sessions) -> None:
    """A run that fails after it deleted the old rows, before it commits."""
    async with sessions.begin() as session:
        await save_link_check(session, [LinkResult("https://b.example/", 200)], checked_at=SECOND)
        raise RuntimeError("the check was interrupted")


async def test_a_run_that_fails_half_way_leaves_the_last_one(sessions: Sessions) -> None:
    await save(sessions, [LinkResult("https://a.example/", 404)], FIRST)
    with pytest.raises(RuntimeError):
        await interrupted(sessions)
    stored = await latest(sessions)
    assert stored is not None
    assert (stored.checked_at, list(stored.results)) == (FIRST, ["https://a.example/"])
