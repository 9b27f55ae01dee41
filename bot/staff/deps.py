"""FastAPI dependencies of the workspace: who is signed in, what they may do, and CSRF.

`current_staff` refuses a request without a valid session (pages are sent to the sign-in
page, XHR and event streams get 401), and checks the CSRF token on every method but GET,
HEAD and OPTIONS, so no state-changing route can forget it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.staff.roles import Role, parse_roles
from bot.staff.sessions import current, tokens_equal
from bot.staff.state import COOKIE, StaffState, staff_state

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class StaffPrincipal:
    id: int
    name: str
    email: str
    language: Literal["nl", "en"]
    roles: frozenset[Role]
    session_id: str
    csrf_token: str

    def has(self, role: Role) -> bool:
        return role in self.roles


class SignInRequired(Exception):
    """No valid session: a page is redirected to sign-in, anything else gets 401."""


class StaffForbidden(Exception):
    """403: outside the principal's role, or a missing or wrong CSRF token."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def identity(principal: StaffPrincipal) -> str:
    """The staff identity the desk records: "Name #web<user id>"."""
    return f"{principal.name} #web{principal.id}"


def sessionmaker_of(request: Request) -> async_sessionmaker[AsyncSession]:
    return request.app.state.sessions  # type: ignore[no-any-return]


async def submitted_csrf(request: Request) -> str:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else ""
    return ""


async def current_staff(request: Request) -> StaffPrincipal:
    state: StaffState = staff_state(request)
    raw_id = request.cookies.get(COOKIE)
    if not raw_id:
        raise SignInRequired()
    async with sessionmaker_of(request)() as session, session.begin():
        opened = await current(session, raw_id=raw_id, rules=state.rules)
    if opened is None:
        raise SignInRequired()
    if request.method not in SAFE_METHODS and not tokens_equal(
        await submitted_csrf(request), opened.csrf_token
    ):
        raise StaffForbidden("csrf")
    user = opened.user
    principal = StaffPrincipal(
        id=user.id,
        name=user.name,
        email=user.email,
        language="en" if user.language == "en" else "nl",
        roles=parse_roles(user.roles),
        session_id=opened.row.id_hash,
        csrf_token=opened.csrf_token,
    )
    request.state.staff = principal
    return principal


async def csrf_protect(principal: StaffPrincipal = Depends(current_staff)) -> StaffPrincipal:  # noqa: B008
    """The CSRF check by name, for routes that want to say it (current_staff does it)."""
    return principal


def require_role(role: Role) -> Callable[..., Awaitable[StaffPrincipal]]:
    """A dependency that lets only principals with `role` through (403 otherwise)."""

    async def check(principal: StaffPrincipal = Depends(current_staff)) -> StaffPrincipal:  # noqa: B008
        if role not in principal.roles:
            raise StaffForbidden("role")
        return principal

    return check
