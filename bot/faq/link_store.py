"""The latest link check (`wegwijs check-links`) kept in the database, for the editors'
review page (bot/insights/review_due.py). Only the latest run is kept: a new run replaces
every row in one transaction, so a reader sees either the old run or the new one, whole.

Which entries cite a URL is not stored: it is read from faq/ when the page opens, so an
entry fixed since the check no longer shows its old link."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.link_models import ERROR_CHARS, URL_CHARS, LinkCheck
from bot.db.models import as_utc
from bot.db.session import run_session
from bot.faq.links import LinkResult


@dataclass(frozen=True)
class LinkCheckRun:
    checked_at: dt.datetime  # UTC
    results: Mapping[str, LinkResult]  # by URL

    def dead(self, url: str) -> LinkResult | None:
        """The URL's result when it did not answer at this run; None when it did (or was
        not checked)."""
        result = self.results.get(url)
        return result if result is not None and result.dead else None


async def save_link_check(
    session: AsyncSession, results: Iterable[LinkResult], *, checked_at: dt.datetime
) -> int:
    """Replaces the stored run with this one; the rows saved. Call it inside one
    transaction (`session.begin()`), so the old run goes only when the new one is in."""
    # No source is that long; a longer URL would not fit the column on PostgreSQL.
    unique = {result.url: result for result in results if len(result.url) <= URL_CHARS}
    await session.execute(delete(LinkCheck))
    session.add_all(
        LinkCheck(
            url=result.url,
            status=result.status,
            error=result.error[:ERROR_CHARS],
            checked_at=checked_at,
        )
        for result in unique.values()
    )
    await session.flush()
    return len(unique)


async def latest_link_check(session: AsyncSession) -> LinkCheckRun | None:
    """The stored run; None when no check has ever been saved."""
    rows = list(await session.scalars(select(LinkCheck).order_by(LinkCheck.url)))
    if not rows:
        return None
    return LinkCheckRun(
        checked_at=max(as_utc(row.checked_at) for row in rows),
        results={row.url: LinkResult(row.url, row.status, row.error) for row in rows},
    )


def store_link_check(
    database_url: str, results: Iterable[LinkResult], *, checked_at: dt.datetime
) -> int:
    """For the command line: saves a run on an engine of its own, in one transaction."""
    kept = list(results)

    async def work(session: AsyncSession) -> int:
        return await save_link_check(session, kept, checked_at=checked_at)

    return run_session(database_url, work, write=True)
