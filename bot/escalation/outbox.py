"""The outbox: jobs written in the same transaction as their cause, done after the commit.

Every gateway runs a dispatcher. A job is taken with a lease (a conditional UPDATE that only
one gateway can win, on SQLite and PostgreSQL alike), done, and marked done; if the gateway
dies on the way, the lease runs out and another gateway (or the restarted one) takes it over.
Failures are retried with exponential backoff (or after the wait Telegram asks for) until they
succeed; only a permanent failure (the user blocked the bot) stops them.

Delivery is at least once by construction; it is exactly once because each handler records its
progress: web deliveries are written in the same transaction that marks the job done, and a
long Telegram answer resumes after the last part that was sent. What remains is the moment
between Telegram accepting a message and our commit (milliseconds): a crash exactly then sends
that one part again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import random
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import OutboxJob, Ticket, utcnow

log = logging.getLogger("wegwijs.outbox")

BATCH = 20
BACKOFF_FIRST = 2.0  # seconds
BACKOFF_MAX = 600.0


Finish = Callable[[AsyncSession], Awaitable[None]]


class RetryLater(Exception):
    """Try again later: after `seconds` when the other side said so, else with backoff."""

    def __init__(self, reason: str, seconds: float | None = None) -> None:
        super().__init__(reason)
        self.seconds = seconds


class PermanentFailure(Exception):
    """It can never succeed (e.g. the user blocked the bot): stop trying, record why, and
    write `finish` (e.g. the ticket's delivery state) in the same transaction."""

    def __init__(self, reason: str, finish: Finish | None = None) -> None:
        super().__init__(reason)
        self.finish = finish


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    ticket_id: int
    attempts: int
    progress: int


class Context:
    """What a handler gets: the job, and a way to record progress that survives a crash."""

    def __init__(self, dispatcher: OutboxDispatcher, job: Job) -> None:
        self._dispatcher = dispatcher
        self.job = job

    async def record_progress(self, progress: int) -> None:
        await self._dispatcher.record_progress(self.job, progress)

    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self._dispatcher.sessions


# A handler does the job's outside work (a Telegram call, ...) and returns what to write in
# the transaction that marks the job done (or None). It raises RetryLater or PermanentFailure.
Handler = Callable[[Context, Ticket], Awaitable[Finish | None]]


def backoff(attempts: int) -> float:
    """2, 4, 8, ... seconds up to 10 minutes, with jitter so gateways don't retry in step."""
    base: float = min(BACKOFF_MAX, BACKOFF_FIRST * 2.0 ** max(0, attempts - 1))
    return base * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not a secret)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


class OutboxDispatcher:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        handlers: dict[str, Handler],
        poll_seconds: float = 0.5,
        lease_seconds: float = 60.0,
        worker: str | None = None,
    ) -> None:
        self.sessions = sessions
        self._handlers = handlers
        self._poll = poll_seconds
        self._lease = dt.timedelta(seconds=lease_seconds)
        self._worker = worker or worker_name()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run_forever(), name="outbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """New work was committed by this process: look now rather than at the next poll."""
        self._wake.set()

    async def _run_forever(self) -> None:
        while True:
            try:
                done = await self.run_once()
            except (SQLAlchemyError, OSError) as error:
                log.warning("outbox: database unavailable (%s)", type(error).__name__)
                done = 0
            if done:
                continue  # there may be more
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)

    async def run_once(self) -> int:
        """Takes and does the jobs that are due; returns how many were taken."""
        taken = await self._take_due()
        for job in taken:
            await self._do(job)
        return len(taken)

    async def _take_due(self) -> list[Job]:
        now = utcnow()
        async with self.sessions() as session:
            candidates = list(
                await session.scalars(
                    select(OutboxJob.id)
                    .where(
                        OutboxJob.done_at.is_(None),
                        OutboxJob.failed_at.is_(None),
                        OutboxJob.next_attempt_at <= now,
                        or_(OutboxJob.locked_until.is_(None), OutboxJob.locked_until < now),
                        OutboxJob.kind.in_(list(self._handlers)),
                    )
                    .order_by(OutboxJob.id)
                    .limit(BATCH)
                )
            )
        taken: list[Job] = []
        for job_id in candidates:
            job = await self._lease_job(job_id, now)
            if job is not None:
                taken.append(job)
        return taken

    async def _lease_job(self, job_id: int, now: dt.datetime) -> Job | None:
        """Takes one job if no other gateway holds it: the UPDATE's condition decides."""
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(OutboxJob)
                .where(
                    OutboxJob.id == job_id,
                    OutboxJob.done_at.is_(None),
                    OutboxJob.failed_at.is_(None),
                    or_(OutboxJob.locked_until.is_(None), OutboxJob.locked_until < now),
                )
                .values(
                    locked_by=self._worker,
                    locked_until=now + self._lease,
                    attempts=OutboxJob.attempts + 1,
                )
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = await session.get(OutboxJob, job_id)
            assert row is not None
            return Job(
                id=row.id,
                kind=row.kind,
                ticket_id=row.ticket_id,
                attempts=row.attempts,
                progress=row.progress,
            )

    async def _do(self, job: Job) -> None:
        async with self.sessions() as session:
            ticket = await session.get(Ticket, job.ticket_id)
        if ticket is None:  # erased (/forget) after the job was written
            await self._finish(job, None)
            return
        handler = self._handlers[job.kind]
        try:
            finish = await handler(Context(self, job), ticket)
        except RetryLater as error:
            wait = error.seconds if error.seconds is not None else backoff(job.attempts)
            log.info("outbox: %s job %d retried in %.1f s (%s)", job.kind, job.id, wait, error)
            await self._release(job, wait=wait, error=str(error))
            return
        except PermanentFailure as error:
            log.warning("outbox: %s job %d failed for good: %s", job.kind, job.id, error)
            await self._fail(job, str(error), error.finish)
            return
        except Exception as error:  # a bug or an unknown failure: keep the job, retry later
            log.exception("outbox: %s job %d raised", job.kind, job.id)
            await self._release(job, wait=backoff(job.attempts), error=type(error).__name__)
            return
        try:
            await self._finish(job, finish)
        except SQLAlchemyError as error:  # e.g. a constraint: keep the job, go on with others
            log.exception("outbox: %s job %d could not be marked done", job.kind, job.id)
            await self._release(job, wait=backoff(job.attempts), error=type(error).__name__)

    def _mine(self, job: Job):  # type: ignore[no-untyped-def]
        return (OutboxJob.id == job.id) & (OutboxJob.locked_by == self._worker)

    async def _finish(self, job: Job, finish: Finish | None) -> None:
        """Marks the job done and writes what the handler returned, in one transaction: if
        the lease was lost meanwhile (another gateway took over), neither happens."""
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(OutboxJob)
                .where(self._mine(job), OutboxJob.done_at.is_(None))
                .values(done_at=utcnow(), locked_until=None, last_error=None)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                log.warning("outbox: job %d was taken over before it finished", job.id)
                return
            if finish is not None:
                await finish(session)

    async def _release(self, job: Job, *, wait: float, error: str) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                update(OutboxJob)
                .where(self._mine(job))
                .values(
                    locked_by=None,
                    locked_until=None,
                    next_attempt_at=utcnow() + dt.timedelta(seconds=wait),
                    last_error=error[:200],
                )
            )

    async def _fail(self, job: Job, error: str, finish: Finish | None) -> None:
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(OutboxJob)
                .where(self._mine(job))
                .values(failed_at=utcnow(), locked_until=None, last_error=error[:200])
            )
            if result.rowcount == 1 and finish is not None:  # type: ignore[attr-defined]
                await finish(session)

    async def record_progress(self, job: Job, progress: int) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                update(OutboxJob).where(self._mine(job)).values(progress=progress)
            )
