"""Invitations: a one-time link where a new employee sets a password."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.__main__ import main
from bot.db.staff_models import AuditEntry, StaffInvite, StaffUser
from bot.staff.accounts import AccountError, check_new_password, create_user, password_matches
from bot.staff.state import COOKIE
from tests.staff.support import PASSWORD, form_token_of, shift_times, sign_in

Sessions = async_sessionmaker[AsyncSession]


async def new_invite(db: Sessions, email: str = "nina@almere.example") -> str:
    async with db() as session, session.begin():
        made = await create_user(session, email=email, name="Nina Bakker", roles=["agent"])
    return made.path()


async def accept(
    client: httpx.AsyncClient, path: str, password: str, repeated: str | None = None
) -> httpx.Response:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return await client.post(
        path,
        data={
            "password": password,
            "repeated": password if repeated is None else repeated,
            "csrf_token": form_token_of(page.text),
        },
    )


async def test_accepting_sets_the_password_and_signs_in(
    db: Sessions, client: httpx.AsyncClient
) -> None:
    path = await new_invite(db)
    answer = await accept(client, path, PASSWORD)
    assert answer.status_code == 303
    assert COOKIE in client.cookies
    assert "Welkom, Nina Bakker." in (await client.get("/staff/")).text
    async with db() as session:
        user = await session.scalar(select(StaffUser))
        assert user is not None
        assert (user.password_hash or "").startswith("$argon2id$")
        assert password_matches(user.password_hash, PASSWORD)
        audited = list(await session.scalars(select(AuditEntry.action)))
    assert audited == ["invite_accepted", "sign_in"]


async def test_an_invitation_works_once(db: Sessions, client: httpx.AsyncClient) -> None:
    path = await new_invite(db)
    assert (await accept(client, path, PASSWORD)).status_code == 303
    again = await client.get(path)
    assert again.status_code == 410
    assert "al gebruikt" in again.text


async def test_an_expired_invitation_is_refused(db: Sessions, client: httpx.AsyncClient) -> None:
    path = await new_invite(db)
    await shift_times(db, StaffInvite, "expires_at", -dt.timedelta(hours=73))
    refused = await client.get(path)
    assert refused.status_code == 410
    assert "verlopen" in refused.text
    assert (await client.get("/staff/invite/not-a-token")).status_code == 410


@pytest.mark.parametrize(
    ("password", "repeated", "message"),
    [
        ("kort", None, "korter dan 12 tekens"),
        ("wachtwoord123", None, "te gewoon"),
        ("aaaaaaaaaaaaaaaa", None, "te gewoon"),
        (PASSWORD, PASSWORD + "!", "niet gelijk"),
    ],
)
async def test_weak_or_mismatched_passwords_are_refused(
    db: Sessions, client: httpx.AsyncClient, password: str, repeated: str | None, message: str
) -> None:
    path = await new_invite(db)
    answer = await accept(client, path, password, repeated)
    assert answer.status_code == 422
    assert message in answer.text
    assert (await client.get(path)).status_code == 200  # still usable


def test_password_rules() -> None:
    check_new_password(PASSWORD, email="a@b.nl", name="A")
    for weak in ("password1234", "Wachtwoord1234", "a@b.nl.a@b.nl"[:6]):
        with pytest.raises(AccountError):
            check_new_password(weak, email="a@b.nl", name="A")


async def test_a_new_invitation_replaces_the_old(db: Sessions, client: httpx.AsyncClient) -> None:
    from bot.staff.accounts import invite

    first = await new_invite(db)
    async with db() as session, session.begin():
        user = await session.scalar(select(StaffUser))
        assert user is not None
        second = (await invite(session, user=user, hours=1)).path()
    assert (await client.get(first)).status_code == 410
    assert (await accept(client, second, PASSWORD)).status_code == 303


async def test_the_cli_creates_the_first_admin_and_prints_a_working_link(
    client: httpx.AsyncClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'staff.db'}")  # the app's db
    monkeypatch.setenv("STAFF_LANGUAGE", "en")
    create = ["staff-user", "create", "--email", "Eva@Almere.example", "--name", "Eva"]
    assert await asyncio.to_thread(main, [*create, "--role", "admin", "--role", "agent"]) == 0
    assert await asyncio.to_thread(main, [*create, "--role", "admin"]) == 1
    printed = capsys.readouterr().out
    assert "Account created for Eva <eva@almere.example> (roles: admin,agent)." in printed
    assert "There already is an account with this e-mail address." in printed
    link = next(line for line in printed.splitlines() if "/staff/invite/" in line)
    assert link.startswith("http://localhost:8000/staff/invite/")
    assert (await accept(client, link[link.index("/staff/invite/") :], PASSWORD)).status_code == 303
    client.cookies.clear()
    assert (await sign_in(client, email="eva@almere.example")).status_code == 303
