"""What the database knows, read when Prometheus scrapes (a custom collector): tickets waiting
and overdue, outbox jobs waiting (their oldest age, retries, failures), failed deliveries.

The scrape runs in the metrics server's thread, so it reads with a synchronous engine of its
own (a few indexed counts); the gateway's event loop is never blocked by it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from bot.config import sync_url
from bot.db.models import OutboxJob, Ticket, utcnow
from bot.escalation.tickets import WAITING

log = logging.getLogger("wegwijs.metrics")


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo is not None else moment


class DatabaseCollector(Collector):
    def __init__(self, database_url: str) -> None:
        self._engine: Engine = create_engine(sync_url(database_url, driver="psycopg"))

    def close(self) -> None:
        self._engine.dispose()

    def describe(self) -> list[GaugeMetricFamily]:
        return list(self._families())

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families = list(self._families())
        up = GaugeMetricFamily(
            "wegwijs_database_scrape_ok", "1 when the database could be read for these metrics."
        )
        try:
            self._fill(*families)
        except SQLAlchemyError as error:
            log.info("metrics: database not readable", extra={"error": type(error).__name__})
            up.add_metric([], 0.0)
            yield up
            return
        up.add_metric([], 1.0)
        yield up
        yield from families

    @staticmethod
    def _families() -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("wegwijs_tickets_waiting", "Tickets waiting for staff.")
        yield GaugeMetricFamily(
            "wegwijs_tickets_overdue", "Tickets waiting past the answer time promised."
        )
        yield GaugeMetricFamily(
            "wegwijs_outbox_jobs_waiting", "Outbox jobs not done yet, per kind.", labels=["kind"]
        )
        yield GaugeMetricFamily(
            "wegwijs_outbox_oldest_job_age_seconds", "Age of the oldest outbox job not done."
        )
        yield GaugeMetricFamily(
            "wegwijs_outbox_jobs_retrying", "Waiting outbox jobs that failed at least once."
        )
        yield GaugeMetricFamily(
            "wegwijs_outbox_jobs_failed", "Outbox jobs given up (a permanent failure), per kind.",
            labels=["kind"],
        )  # fmt: skip
        yield GaugeMetricFamily(
            "wegwijs_deliveries_failed", "Staff answers that could not be delivered."
        )

    def _fill(
        self,
        waiting: GaugeMetricFamily,
        overdue: GaugeMetricFamily,
        jobs_waiting: GaugeMetricFamily,
        oldest: GaugeMetricFamily,
        retrying: GaugeMetricFamily,
        jobs_failed: GaugeMetricFamily,
        deliveries_failed: GaugeMetricFamily,
    ) -> None:
        now = _naive(utcnow())
        open_job = (OutboxJob.done_at.is_(None), OutboxJob.failed_at.is_(None))
        with self._engine.connect() as db:
            waiting_tickets = select(func.count()).where(Ticket.state.in_(WAITING))
            waiting.add_metric([], float(db.scalar(waiting_tickets) or 0))
            late = waiting_tickets.where(Ticket.expected_by.is_not(None), Ticket.expected_by < now)
            overdue.add_metric([], float(db.scalar(late) or 0))
            per_kind = select(OutboxJob.kind, func.count()).group_by(OutboxJob.kind)
            for kind, count in db.execute(per_kind.where(*open_job)):
                jobs_waiting.add_metric([str(kind)], float(count))
            first = db.scalar(select(func.min(OutboxJob.created_at)).where(*open_job))
            age = (now - _naive(first)).total_seconds() if first is not None else 0.0
            oldest.add_metric([], max(age, 0.0))
            again = select(func.count()).where(*open_job, OutboxJob.attempts > 0)
            retrying.add_metric([], float(db.scalar(again) or 0))
            for kind, count in db.execute(per_kind.where(OutboxJob.failed_at.is_not(None))):
                jobs_failed.add_metric([str(kind)], float(count))
            undelivered = select(func.count()).where(Ticket.delivery_state == "failed")
            deliveries_failed.add_metric([], float(db.scalar(undelivered) or 0))
