"""Signed-in sessions and sign-in throttling, both in the database so that they hold across
several gateways.

The browser's cookie holds a random session id; the server keeps only its SHA-256, so a
copy of the database does not sign anyone in. The CSRF token is derived from the id (one
way), so it needs no column and changes with the session."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.db.models import as_utc, utcnow
from bot.db.staff_models import SignInAttempt, StaffSession, StaffUser
from bot.staff.accounts import find_by_email, normal_email, password_matches
from bot.staff.audit import record, short_address

# Sessions seen again within this long do not rewrite last_seen_at (fewer writes).
TOUCH_SECONDS = 30.0
ADDRESS_FACTOR = 4  # an address may fail this many times as often as one account


@dataclass(frozen=True)
class SessionRules:
    idle: dt.timedelta
    lifetime: dt.timedelta
    failures: int
    window: dt.timedelta


@dataclass(frozen=True)
class Opened:
    """A session that is valid now: its row, its user, and the cookie's raw id."""

    row: StaffSession
    user: StaffUser
    raw_id: str

    @property
    def csrf_token(self) -> str:
        return csrf_for(self.raw_id)


class SignInRefused(Exception):
    """Wrong e-mail or password (`wait_minutes` 0), or throttled (`wait_minutes` > 0)."""

    def __init__(self, *, wait_minutes: int = 0) -> None:
        super().__init__("throttled" if wait_minutes else "wrong")
        self.wait_minutes = wait_minutes


def id_hash(raw_id: str) -> str:
    return hashlib.sha256(raw_id.encode()).hexdigest()


def csrf_for(raw_id: str) -> str:
    return hashlib.sha256(f"csrf:{raw_id}".encode()).hexdigest()


def tokens_equal(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode(), b.encode())


def _account_key(email: str) -> str:
    return hashlib.sha256(normal_email(email).encode()).hexdigest()


async def _wait_minutes(
    session: AsyncSession,
    *,
    column: InstrumentedAttribute[str],
    value: str,
    limit: int,
    rules: SessionRules,
) -> int:
    since = utcnow() - rules.window
    failures = (
        await session.scalars(
            select(SignInAttempt.at)
            .where(column == value, SignInAttempt.at > since, SignInAttempt.succeeded.is_(False))
            .order_by(SignInAttempt.at.desc())
            .limit(limit)
        )
    ).all()
    if len(failures) < limit:
        return 0
    free_at = as_utc(failures[-1]) + rules.window
    return max(1, math.ceil((free_at - utcnow()).total_seconds() / 60))


async def sign_in(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    address: str | None,
    rules: SessionRules,
    previous_raw_id: str | None = None,
) -> Opened:
    """Checks the password (unless throttled) and opens a NEW session; the one the browser
    had before, if any, is deleted (no session fixation). Failures are recorded and audited
    by the caller committing the transaction even on SignInRefused."""
    account = _account_key(email)
    where = short_address(address) or "unknown"
    wait = max(
        await _wait_minutes(
            session,
            column=SignInAttempt.account,
            value=account,
            limit=rules.failures,
            rules=rules,
        ),
        await _wait_minutes(
            session,
            column=SignInAttempt.address,
            value=where,
            limit=rules.failures * ADDRESS_FACTOR,
            rules=rules,
        ),
    )
    if wait:
        await record(
            session, actor_id=None, action="sign_in_throttled", address=address, detail=None
        )
        raise SignInRefused(wait_minutes=wait)
    user = await find_by_email(session, email=email)
    stored = user.password_hash if user is not None and user.active else None
    if not password_matches(stored, password) or user is None:
        session.add(SignInAttempt(account=account, address=where, succeeded=False))
        await record(
            session,
            actor_id=user.id if user is not None else None,
            action="sign_in_failed",
            address=address,
        )
        raise SignInRefused()
    session.add(SignInAttempt(account=account, address=where, succeeded=True))
    opened = await open_session(
        session, user=user, address=address, rules=rules, previous_raw_id=previous_raw_id
    )
    await record(session, actor_id=user.id, action="sign_in", address=address)
    return opened


async def open_session(
    session: AsyncSession,
    *,
    user: StaffUser,
    address: str | None,
    rules: SessionRules,
    previous_raw_id: str | None = None,
) -> Opened:
    """A new session for `user` (also used by OpenID Connect sign-in)."""
    if previous_raw_id:
        await session.execute(
            delete(StaffSession).where(StaffSession.id_hash == id_hash(previous_raw_id))
        )
    raw_id = secrets.token_urlsafe(32)
    now = utcnow()
    row = StaffSession(
        id_hash=id_hash(raw_id),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + rules.lifetime,
        address=short_address(address),
    )
    session.add(row)
    await session.flush()
    return Opened(row=row, user=user, raw_id=raw_id)


async def current(session: AsyncSession, *, raw_id: str, rules: SessionRules) -> Opened | None:
    """The session behind a cookie if it is still valid; an idle, expired or deactivated
    one is deleted."""
    row = await session.get(StaffSession, id_hash(raw_id))
    if row is None:
        return None
    now = utcnow()
    user = await session.get(StaffUser, row.user_id)
    if (
        user is None
        or not user.active
        or as_utc(row.expires_at) <= now
        or as_utc(row.last_seen_at) + rules.idle <= now
    ):
        await session.delete(row)
        return None
    if (now - as_utc(row.last_seen_at)).total_seconds() > TOUCH_SECONDS:
        row.last_seen_at = now
    return Opened(row=row, user=user, raw_id=raw_id)


async def sign_out(session: AsyncSession, *, raw_id: str) -> None:
    await session.execute(delete(StaffSession).where(StaffSession.id_hash == id_hash(raw_id)))


async def forget_old_attempts(session: AsyncSession, *, rules: SessionRules) -> int:
    """Attempts older than the window are no longer needed for throttling."""
    result = await session.execute(
        delete(SignInAttempt).where(SignInAttempt.at < utcnow() - rules.window)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def count_sessions(session: AsyncSession, *, user_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(StaffSession).where(StaffSession.user_id == user_id)
        )
        or 0
    )
