"""The database gauges, read at scrape time from a real (migrated) SQLite database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bot.db.migrate import migrate
from bot.db.models import OutboxJob, Ticket
from bot.metrics_db import DatabaseCollector


def values(collector: DatabaseCollector) -> dict[tuple[str, tuple[str, ...]], float]:
    return {
        (sample.name, tuple(sample.labels.values())): sample.value
        for family in collector.collect()
        for sample in family.samples
    }


def ticket(code: str, *, state: str, expected_by: dt.datetime | None, delivery: str) -> Ticket:
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return Ticket(
        code=code, conversation_id=f"c-{code}", channel="web", language="uk", question="q",
        consent_at=now, expected_by=expected_by, state=state, delivery_state=delivery,
    )  # fmt: skip


def test_waiting_overdue_outbox_and_failed_deliveries(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    migrate(url)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        late = ticket(
            "AAA111", state="open", expected_by=now - dt.timedelta(hours=1), delivery="none"
        )
        soon = ticket(
            "BBB222", state="claimed", expected_by=now + dt.timedelta(hours=1), delivery="none"
        )
        failed = ticket("CCC333", state="answered", expected_by=None, delivery="failed")
        session.add_all([late, soon, failed])
        session.flush()
        session.add_all([
            OutboxJob(kind="notify_staff", dedupe_key="a", ticket_id=late.id,
                      created_at=now - dt.timedelta(minutes=10), attempts=2),
            OutboxJob(kind="notify_staff", dedupe_key="b", ticket_id=soon.id, created_at=now),
            OutboxJob(kind="deliver_answer", dedupe_key="c", ticket_id=failed.id,
                      created_at=now - dt.timedelta(days=1), failed_at=now),
            OutboxJob(kind="deliver_answer", dedupe_key="d", ticket_id=failed.id,
                      created_at=now - dt.timedelta(days=2), done_at=now),
        ])  # fmt: skip
    engine.dispose()
    collector = DatabaseCollector(url)
    try:
        found = values(collector)
    finally:
        collector.close()
    assert found[("wegwijs_database_scrape_ok", ())] == 1.0
    assert found[("wegwijs_tickets_waiting", ())] == 2.0
    assert found[("wegwijs_tickets_overdue", ())] == 1.0
    assert found[("wegwijs_outbox_jobs_waiting", ("notify_staff",))] == 2.0
    assert ("wegwijs_outbox_jobs_waiting", ("deliver_answer",)) not in found
    assert 590 <= found[("wegwijs_outbox_oldest_job_age_seconds", ())] <= 660
    assert found[("wegwijs_outbox_jobs_retrying", ())] == 1.0
    assert found[("wegwijs_outbox_jobs_failed", ("deliver_answer",))] == 1.0
    assert found[("wegwijs_deliveries_failed", ())] == 1.0


def test_an_unreadable_database_is_reported_not_raised(tmp_path: Path) -> None:
    collector = DatabaseCollector(f"sqlite:///{tmp_path / 'never-migrated.db'}")
    try:
        assert values(collector) == {("wegwijs_database_scrape_ok", ()): 0.0}
    finally:
        collector.close()
