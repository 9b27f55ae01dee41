"""The audit log: every sign-in, opening of a conversation, answer and role change.

The address is shortened before it is stored (IPv4 to its /24, IPv6 to its /48): enough to
see where a session came from, not enough to point at one household."""

from __future__ import annotations

import csv
import datetime as dt
import io
import ipaddress
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import as_utc
from bot.db.staff_models import AuditEntry, StaffUser


def short_address(host: str | None) -> str | None:
    if not host:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "unknown"
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


async def record(
    session: AsyncSession,
    *,
    actor_id: int | None,
    action: str,
    target: str | None = None,
    address: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Adds one entry in the caller's transaction (it is kept only if the action is)."""
    session.add(
        AuditEntry(
            actor_id=actor_id,
            action=action,
            target=target,
            address=short_address(address),
            detail=detail,
        )
    )


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    actor_id: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive


async def entries(
    session: AsyncSession, *, where: AuditFilter, limit: int | None = 500
) -> list[tuple[AuditEntry, str | None]]:
    """The newest entries matching `where`, each with its actor's name."""
    query = (
        select(AuditEntry, StaffUser.name)
        .outerjoin(StaffUser, StaffUser.id == AuditEntry.actor_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    if where.action:
        query = query.where(AuditEntry.action == where.action)
    if where.actor_id is not None:
        query = query.where(AuditEntry.actor_id == where.actor_id)
    if where.since:
        query = query.where(AuditEntry.at >= _midnight(where.since))
    if where.until:
        query = query.where(AuditEntry.at < _midnight(where.until + dt.timedelta(days=1)))
    if limit is not None:
        query = query.limit(limit)
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def known_actions(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(AuditEntry.action).distinct().order_by("action")))


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)


def as_csv(rows: list[tuple[AuditEntry, str | None]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["at", "actor_id", "actor", "action", "target", "address", "detail"])
    for entry, name in rows:
        writer.writerow(
            [
                as_utc(entry.at).isoformat(),
                entry.actor_id or "",
                _cell(name or ""),
                entry.action,
                _cell(entry.target or ""),
                entry.address or "",
                _cell(json.dumps(entry.detail, ensure_ascii=False) if entry.detail else ""),
            ]
        )
    return out.getvalue()


def _cell(value: str) -> str:
    """No formula injection when the export is opened in a spreadsheet."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
