"""What the staff workspace keeps only as long as it is needed: ended sessions, sign-in
attempts past the throttling window, used or expired invitations, and audit entries older
than AUDIT_RETENTION_DAYS. Part of the purge (bot/privacy/erasure.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, or_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.staff_models import AuditEntry, SignInAttempt, StaffInvite, StaffSession


@dataclass(frozen=True)
class StaffRetention:
    session_idle: dt.timedelta
    sign_in_window: dt.timedelta
    audit: dt.timedelta

    @classmethod
    def of(cls, settings: Settings) -> StaffRetention:
        return cls(
            session_idle=dt.timedelta(minutes=settings.staff_session_idle_minutes),
            sign_in_window=dt.timedelta(minutes=settings.staff_sign_in_window_minutes),
            audit=dt.timedelta(days=settings.audit_retention_days),
        )


async def purge_staff_records(
    session: AsyncSession, *, retention: StaffRetention, moment: dt.datetime
) -> int:
    """Deletes what has run out; returns how many rows went."""
    statements = (
        delete(StaffSession).where(
            or_(
                StaffSession.expires_at < moment,
                StaffSession.last_seen_at < moment - retention.session_idle,
            )
        ),
        delete(SignInAttempt).where(SignInAttempt.at < moment - retention.sign_in_window),
        delete(StaffInvite).where(
            or_(StaffInvite.used_at.is_not(None), StaffInvite.expires_at < moment)
        ),
        delete(AuditEntry).where(AuditEntry.at < moment - retention.audit),
    )
    deleted = 0
    for statement in statements:
        result = await session.execute(statement)
        deleted += int(getattr(result, "rowcount", 0) or 0)
    return deleted
