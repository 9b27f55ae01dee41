"""Signing in and out on a real SQLite database, through the workspace's real routes."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from fastapi import Depends, FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.staff_models import AuditEntry, SignInAttempt, StaffSession, StaffUser
from bot.staff import sessions
from bot.staff.deps import StaffPrincipal, require_role
from bot.staff.roles import Role
from bot.staff.state import COOKIE
from tests.staff.support import (
    PASSWORD,
    csrf_of,
    form_token_of,
    make_staff,
    shift_times,
    sign_in,
    signed_in_csrf,
)

Sessions = async_sessionmaker[AsyncSession]
EMAIL = "anna@almere.example"


async def actions(db: Sessions) -> list[str]:
    async with db() as session:
        return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


async def session_rows(db: Sessions) -> int:
    async with db() as session:
        return int(await session.scalar(select(func.count()).select_from(StaffSession)) or 0)


async def test_sign_in_sets_a_protected_cookie_and_shows_the_home_page(
    db: Sessions, client: httpx.AsyncClient
) -> None:
    await make_staff(db, email=EMAIL, name="Anna de Vries")
    answer = await sign_in(client, email="Anna@Almere.example")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/staff/"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(COOKIE))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/staff" in cookie
    home = await client.get("/staff/")
    assert home.status_code == 200
    assert "Welkom, Anna de Vries." in home.text
    assert home.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in home.headers["content-security-policy"]
    assert await actions(db) == ["sign_in"]


async def test_cookies_are_secure_unless_local_http(tmp_path: object) -> None:
    from bot.config import Settings

    assert Settings(PUBLIC_URL="https://werkplek.almere.nl").staff_cookies_secure
    assert not Settings(PUBLIC_URL="http://localhost:8000").staff_cookies_secure
    assert Settings(
        PUBLIC_URL="http://localhost:8000", STAFF_COOKIE_SECURE=True
    ).staff_cookies_secure


async def test_wrong_password_and_unknown_address_get_the_same_generic_refusal(
    db: Sessions, client: httpx.AsyncClient
) -> None:
    await make_staff(db, email=EMAIL)
    wrong = await sign_in(client, email=EMAIL, password="not the right one at all")
    unknown = await sign_in(client, email="nobody@almere.example")
    for answer in (wrong, unknown):
        assert answer.status_code == 401
        assert "E-mailadres of wachtwoord klopt niet." in answer.text
        assert f"{COOKIE}=" not in answer.headers.get("set-cookie", "")
    assert (await client.get("/staff/")).status_code == 303
    assert await actions(db) == ["sign_in_failed", "sign_in_failed"]


async def test_throttled_per_account_after_repeated_wrong_passwords(
    db: Sessions, client: httpx.AsyncClient
) -> None:
    await make_staff(db, email=EMAIL)
    for _ in range(5):
        assert (
            await sign_in(client, email=EMAIL, password="wrong password 123")
        ).status_code == 401
    throttled = await sign_in(client, email=EMAIL)  # even the right password now waits
    assert throttled.status_code == 429
    assert "Wacht 15 minuten" in throttled.text
    assert (await client.get("/staff/")).status_code == 303
    # The window passes: the right password works again.
    await shift_times(db, SignInAttempt, "at", -dt.timedelta(minutes=16))
    assert (await sign_in(client, email=EMAIL)).status_code == 303
    assert (await actions(db))[-2:] == ["sign_in_throttled", "sign_in"]


async def test_throttled_per_address_across_accounts(
    db: Sessions, client: httpx.AsyncClient
) -> None:
    await make_staff(db, email=EMAIL)
    for n in range(20):  # 4 x 5: many accounts tried from one address
        answer = await sign_in(client, email=f"guess{n}@almere.example", password="x" * 12)
        assert answer.status_code == 401
    assert (await sign_in(client, email=EMAIL)).status_code == 429


async def test_the_sign_in_form_needs_its_token(db: Sessions, client: httpx.AsyncClient) -> None:
    await make_staff(db, email=EMAIL)
    await client.get("/staff/sign-in")
    refused = await client.post(
        "/staff/sign-in", data={"email": EMAIL, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert refused.status_code == 403
    assert f"{COOKIE}=" not in refused.headers.get("set-cookie", "")


async def test_no_session_redirects_pages_and_refuses_scripts(client: httpx.AsyncClient) -> None:
    page = await client.get("/staff/")
    assert page.status_code == 303
    assert page.headers["location"] == "/staff/sign-in"
    script = await client.get("/staff/", headers={"accept": "application/json"})
    assert script.status_code == 401
    assert script.json() == {"error": "sign_in_required"}
    client.cookies.set(COOKIE, "made-up", domain="127.0.0.1", path="/staff")
    forged = await client.get("/staff/")
    assert forged.status_code == 303


async def test_session_fixation_a_planted_cookie_is_never_the_session(
    db: Sessions, client: httpx.AsyncClient
) -> None:
    await make_staff(db, email=EMAIL)
    planted = "chosen-by-an-attacker"
    client.cookies.set(COOKIE, planted, domain="127.0.0.1", path="/staff")
    assert (await sign_in(client, email=EMAIL)).status_code == 303
    after = client.cookies[COOKIE]
    assert after != planted
    attacker = httpx.AsyncClient(transport=client._transport, base_url="http://127.0.0.1")
    attacker.cookies.set(COOKIE, planted, domain="127.0.0.1", path="/staff")
    assert (await attacker.get("/staff/", headers={"accept": "text/html"})).status_code == 303
    await attacker.aclose()


async def test_signing_in_again_replaces_the_earlier_session(db: Sessions, app: FastAPI) -> None:
    user = await make_staff(db, email=EMAIL)
    rules = app.state.staff.rules
    async with db() as session, session.begin():
        first = await sessions.sign_in(
            session, email=EMAIL, password=PASSWORD, address="203.0.113.7", rules=rules
        )
    async with db() as session, session.begin():
        second = await sessions.sign_in(
            session,
            email=EMAIL,
            password=PASSWORD,
            address="203.0.113.7",
            rules=rules,
            previous_raw_id=first.raw_id,
        )
    assert second.raw_id != first.raw_id
    assert second.csrf_token != first.csrf_token
    async with db() as session, session.begin():
        assert await sessions.current(session, raw_id=first.raw_id, rules=rules) is None
        assert await sessions.current(session, raw_id=second.raw_id, rules=rules) is not None
        assert await sessions.count_sessions(session, user_id=user.id) == 1
        stored = await session.scalar(select(StaffSession.id_hash))
    assert stored == sessions.id_hash(second.raw_id) != second.raw_id


async def test_idle_sessions_expire(db: Sessions, client: httpx.AsyncClient) -> None:
    await make_staff(db, email=EMAIL)
    await sign_in(client, email=EMAIL)
    assert (await client.get("/staff/")).status_code == 200
    await shift_times(db, StaffSession, "last_seen_at", -dt.timedelta(minutes=31))
    assert (await client.get("/staff/")).status_code == 303
    assert await session_rows(db) == 0


async def test_absolute_expiry_even_when_active(db: Sessions, client: httpx.AsyncClient) -> None:
    await make_staff(db, email=EMAIL)
    await sign_in(client, email=EMAIL)
    await shift_times(db, StaffSession, "expires_at", -dt.timedelta(hours=11))
    assert (await client.get("/staff/")).status_code == 303


async def test_sign_out_ends_the_session_on_the_server(
    db: Sessions, client: httpx.AsyncClient
) -> None:
    await make_staff(db, email=EMAIL)
    csrf = await signed_in_csrf(client, email=EMAIL)
    old = client.cookies[COOKIE]
    answer = await client.post("/staff/sign-out", data={"csrf_token": csrf})
    assert answer.status_code == 303
    assert await session_rows(db) == 0
    client.cookies.set(
        COOKIE, old, domain="127.0.0.1", path="/staff"
    )  # a copy of the old cookie is refused
    assert (await client.get("/staff/")).status_code == 303
    assert (await actions(db))[-1] == "sign_out"


async def test_missing_or_wrong_csrf_token_is_refused(
    db: Sessions, client: httpx.AsyncClient
) -> None:
    await make_staff(db, email=EMAIL)
    csrf = await signed_in_csrf(client, email=EMAIL)
    assert (await client.post("/staff/sign-out")).status_code == 403
    wrong = await client.post(
        "/staff/sign-out", data={"csrf_token": csrf[:-1] + ("1" if csrf.endswith("0") else "0")}
    )
    assert wrong.status_code == 403
    assert "Dit formulier is verlopen" in wrong.text
    assert (
        await client.post("/staff/sign-out", headers={"x-csrf-token": "nope"})
    ).status_code == 403
    assert await session_rows(db) == 1
    assert (await client.post("/staff/sign-out", headers={"x-csrf-token": csrf})).status_code == 303


async def test_a_deactivated_account_is_signed_out(db: Sessions, client: httpx.AsyncClient) -> None:
    await make_staff(db, email=EMAIL)
    await sign_in(client, email=EMAIL)
    async with db() as session, session.begin():
        await session.execute(update(StaffUser).values(active=False))
    assert (await client.get("/staff/")).status_code == 303
    assert (await sign_in(client, email=EMAIL)).status_code == 401


async def test_require_role_gives_403_and_no_data(
    db: Sessions, app: FastAPI, client: httpx.AsyncClient
) -> None:
    @app.get("/staff/test-admin-only")
    async def secret(
        principal: StaffPrincipal = Depends(require_role(Role.admin)),  # noqa: B008
    ) -> dict[str, str]:
        return {"secret": "admin data"}

    await make_staff(db, email=EMAIL, roles=[Role.agent])
    await sign_in(client, email=EMAIL)
    refused = await client.get("/staff/test-admin-only")
    assert refused.status_code == 403
    assert "admin data" not in refused.text
    assert "Geen toegang" in refused.text
    await make_staff(db, email="boss@almere.example", name="Boss", roles=[Role.admin])
    client.cookies.clear()
    await sign_in(client, email="boss@almere.example")
    assert (await client.get("/staff/test-admin-only")).json() == {"secret": "admin data"}


async def test_english_profile_gets_english_pages(db: Sessions, client: httpx.AsyncClient) -> None:
    await make_staff(db, email=EMAIL, name="Olena", language="en")
    await sign_in(client, email=EMAIL)
    home = await client.get("/staff/")
    assert '<html lang="en">' in home.text
    assert "Welcome, Olena." in home.text
    assert csrf_of(home.text)


@pytest.mark.parametrize("accept_language", ["en-GB,en;q=0.9", "nl-NL"])
async def test_sign_in_page_speaks_the_browsers_language(
    client: httpx.AsyncClient, accept_language: str
) -> None:
    page = await client.get("/staff/sign-in", headers={"accept-language": accept_language})
    assert ("Sign in" if accept_language.startswith("en") else "Aanmelden") in page.text
    assert form_token_of(page.text)
