"""The purge also ends what the staff workspace no longer needs: ended sessions, sign-in
attempts past the throttling window, used or expired invitations, old audit entries; and keeps
what is still in use."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot.db.staff_models import AuditEntry, SignInAttempt, StaffInvite, StaffSession, StaffUser
from bot.privacy import erasure
from bot.privacy.staff_records import StaffRetention

from .conftest import Stores

NOW = dt.datetime(2026, 12, 4, 12, 0)
RETENTION = StaffRetention(
    session_idle=dt.timedelta(minutes=30),
    sign_in_window=dt.timedelta(minutes=15),
    audit=dt.timedelta(days=365),
)


async def rows(stores: Stores, table: type) -> list[str]:
    async with stores.sessions() as session:
        column = {
            StaffSession: StaffSession.id_hash,
            SignInAttempt: SignInAttempt.account,
            StaffInvite: StaffInvite.token_hash,
            AuditEntry: AuditEntry.action,
        }[table]
        return sorted(await session.scalars(select(column)))


async def test_purge_removes_only_what_ran_out(stores: Stores) -> None:
    ago = lambda **delta: NOW - dt.timedelta(**delta)  # noqa: E731
    later = NOW + dt.timedelta(days=1)
    async with stores.sessions.begin() as session:
        user = StaffUser(name="Eva", email="eva@almere.example", roles="admin")
        session.add(user)
        await session.flush()
        session.add_all(
            [
                StaffSession(id_hash="live", user_id=user.id, last_seen_at=ago(minutes=5),
                             expires_at=NOW + dt.timedelta(hours=4)),
                StaffSession(id_hash="idle", user_id=user.id, last_seen_at=ago(hours=1),
                             expires_at=NOW + dt.timedelta(hours=4)),
                StaffSession(id_hash="expired", user_id=user.id, last_seen_at=ago(minutes=1),
                             expires_at=ago(minutes=1)),
                SignInAttempt(account="recent", address="a", at=ago(minutes=5)),
                SignInAttempt(account="old", address="a", at=ago(hours=2)),
                StaffInvite(token_hash="open", user_id=user.id, expires_at=later),
                StaffInvite(token_hash="used", user_id=user.id, expires_at=later,
                            used_at=ago(hours=1)),
                StaffInvite(token_hash="lapsed", user_id=user.id, expires_at=ago(hours=1)),
                AuditEntry(action="ticket_read", at=ago(days=30)),
                AuditEntry(action="ticket_read_long_ago", at=ago(days=400)),
            ]
        )  # fmt: skip
    purged = await erasure.purge(
        stores.sessions, stores.tracker, conversation_days=28, closed_ticket_days=90,
        staff=RETENTION, now=NOW,
    )  # fmt: skip
    assert purged.staff_records == 6
    assert await rows(stores, StaffSession) == ["live"]
    assert await rows(stores, SignInAttempt) == ["recent"]
    assert await rows(stores, StaffInvite) == ["open"]
    assert await rows(stores, AuditEntry) == ["ticket_read"]
    async with stores.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(StaffUser)) == 1


async def test_without_staff_retention_nothing_of_the_staff_is_touched(stores: Stores) -> None:
    async with stores.sessions.begin() as session:
        session.add(AuditEntry(action="ticket_read", at=NOW - dt.timedelta(days=4000)))
    purged = await erasure.purge(
        stores.sessions, stores.tracker, conversation_days=28, closed_ticket_days=90, now=NOW
    )
    assert purged.staff_records == 0
    assert await rows(stores, AuditEntry) == ["ticket_read"]
