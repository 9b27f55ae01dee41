"""Staff accounts: creating them with a one-time invitation, setting and checking passwords.

Shared by the CLI (`wegwijs staff-user`) and the admin pages; callers own the transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import as_utc, utcnow
from bot.db.staff_models import StaffInvite, StaffSession, StaffUser
from bot.staff.roles import Role, store_roles

MIN_PASSWORD_LENGTH = 12
COMMON_PASSWORDS = Path(__file__).parent / "common_passwords.txt"


class AccountError(Exception):
    """A refusal with a text key (texts/staff_web/auth.yml) the page or CLI shows."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    """argon2id with the library's defaults (RFC 9106's second recommended option)."""
    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return hasher().hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    """Checks a password; without a stored hash it still spends the same time."""
    try:
        return hasher().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


def check_new_password(password: str, *, email: str, name: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password_too_short")
    lowered = password.lower()
    if (
        lowered in _common_passwords()
        or lowered == email.lower()
        or lowered == name.lower()
        or len(set(lowered)) < 4
    ):
        raise AccountError("password_too_common")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normal_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class Invitation:
    user: StaffUser
    token: str
    expires_at: dt.datetime

    def path(self) -> str:
        return f"/staff/invite/{self.token}"


async def find_by_email(session: AsyncSession, *, email: str) -> StaffUser | None:
    found: StaffUser | None = await session.scalar(
        select(StaffUser).where(func.lower(StaffUser.email) == normal_email(email))
    )
    return found


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    roles: Iterable[Role | str],
    language: str = "nl",
    invite_hours: float = 72.0,
) -> Invitation:
    """A new account without a password, and its invitation link."""
    if "@" not in email or not name.strip():
        raise AccountError("invalid_account")
    if await find_by_email(session, email=email) is not None:
        raise AccountError("email_taken")
    user = StaffUser(
        email=normal_email(email),
        name=name.strip(),
        roles=store_roles(roles),
        language=language if language in ("nl", "en") else "nl",
        active=True,
    )
    session.add(user)
    await session.flush()
    return await invite(session, user=user, hours=invite_hours)


async def invite(session: AsyncSession, *, user: StaffUser, hours: float) -> Invitation:
    """A fresh one-time link for `user` (earlier unused ones stop working)."""
    now = utcnow()
    for earlier in await session.scalars(
        select(StaffInvite).where(StaffInvite.user_id == user.id, StaffInvite.used_at.is_(None))
    ):
        earlier.used_at = now
    token = secrets.token_urlsafe(32)
    expires_at = now + dt.timedelta(hours=hours)
    session.add(StaffInvite(user_id=user.id, token_hash=token_hash(token), expires_at=expires_at))
    await session.flush()
    return Invitation(user=user, token=token, expires_at=expires_at)


async def open_invite(session: AsyncSession, *, token: str) -> tuple[StaffInvite, StaffUser]:
    """The invitation behind `token` if it can still be used, else AccountError."""
    found = await session.scalar(
        select(StaffInvite).where(StaffInvite.token_hash == token_hash(token))
    )
    if found is None:
        raise AccountError("invite_unknown")
    if found.used_at is not None:
        raise AccountError("invite_used")
    if as_utc(found.expires_at) <= utcnow():
        raise AccountError("invite_expired")
    user = await session.get(StaffUser, found.user_id)
    if user is None or not user.active:
        raise AccountError("invite_unknown")
    return found, user


async def accept_invite(
    session: AsyncSession, *, token: str, password: str, repeated: str
) -> StaffUser:
    found, user = await open_invite(session, token=token)
    if password != repeated:
        raise AccountError("passwords_differ")
    check_new_password(password, email=user.email, name=user.name)
    user.password_hash = hash_password(password)
    found.used_at = utcnow()
    return user


async def all_users(session: AsyncSession) -> list[StaffUser]:
    return list(await session.scalars(select(StaffUser).order_by(StaffUser.name)))


async def user_by_id(session: AsyncSession, *, user_id: int) -> StaffUser:
    user = await session.get(StaffUser, user_id)
    if user is None:
        raise AccountError("user_missing")
    return user


async def set_roles(
    session: AsyncSession, *, user_id: int, roles: Iterable[Role | str], by: int
) -> tuple[str, str]:
    """Gives `user_id` exactly `roles`; an admin cannot take admin away from themselves
    (so there is always one). Returns the roles before and after."""
    user = await user_by_id(session, user_id=user_id)
    after = store_roles(roles)
    if user_id == by and Role.admin.value not in after.split(","):
        raise AccountError("own_admin")
    before, user.roles = user.roles, after
    return before, after


async def set_active(session: AsyncSession, *, user_id: int, active: bool, by: int) -> StaffUser:
    """(De)activates an account; a deactivated one is signed out everywhere."""
    if user_id == by and not active:
        raise AccountError("own_account")
    user = await user_by_id(session, user_id=user_id)
    user.active = active
    if not active:
        await end_sessions_of(session, user_id=user_id)
    return user


async def end_sessions_of(session: AsyncSession, *, user_id: int) -> None:
    """Signs a user out everywhere (a deactivated account)."""
    await session.execute(delete(StaffSession).where(StaffSession.user_id == user_id))


async def set_language(session: AsyncSession, *, user_id: int, language: str) -> None:
    if language not in ("nl", "en"):
        raise AccountError("invalid_account")
    (await user_by_id(session, user_id=user_id)).language = language
