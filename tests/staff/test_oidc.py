"""OpenID Connect sign-in end to end against a real provider on 127.0.0.1
(tests/staff/oidc_provider.py, Authlib's server side), not a mock of our client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.staff_models import AuditEntry
from bot.staff.roles import Role
from bot.staff.state import COOKIE, OIDC_COOKIE
from tests.staff.oidc_provider import Provider, ProviderUser, running_provider
from tests.staff.support import make_staff, staff_app, staff_settings

Sessions = async_sessionmaker[AsyncSession]
OURS = "http://127.0.0.1"
EMAIL = "eva@almere.example"


@pytest.fixture
def provider() -> Iterator[Provider]:
    with running_provider(redirect_uri=f"{OURS}/staff/oidc/callback") as running:
        running.user = ProviderUser(sub="u-123", email=EMAIL)
        yield running


@pytest.fixture
async def oidc_client(
    db: Sessions, tmp_path: Path, provider: Provider
) -> AsyncIterator[httpx.AsyncClient]:
    settings = staff_settings(
        tmp_path,
        PUBLIC_URL=OURS,
        STAFF_OIDC_ISSUER=provider.issuer,
        STAFF_OIDC_CLIENT_ID=provider.client.client_id,
        STAFF_OIDC_CLIENT_SECRET=provider.client.client_secret,
    )
    transport = httpx.ASGITransport(app=staff_app(db, settings), client=("203.0.113.7", 1))
    async with httpx.AsyncClient(
        transport=transport, base_url=OURS, headers={"accept": "text/html"}
    ) as made:
        yield made


async def through_provider(client: httpx.AsyncClient, provider: Provider) -> str:
    """Starts sign-in, lets the browser visit the real provider; returns where it sends back."""
    start = await client.get("/staff/oidc/start")
    assert start.status_code == 303
    authorize = start.headers["location"]
    assert authorize.startswith(f"{provider.issuer}/authorize?")
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"][0]
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(authorize)
    assert answer.status_code == 302, answer.text
    back = answer.headers["location"]
    assert back.startswith(f"{OURS}/staff/oidc/callback?")
    return back[len(OURS) :]


async def test_sign_in_with_the_identity_provider(
    db: Sessions, oidc_client: httpx.AsyncClient, provider: Provider
) -> None:
    await make_staff(db, email=EMAIL, name="Eva", roles=[Role.admin])
    page = await oidc_client.get("/staff/sign-in")
    assert "Aanmelden met uw account van de organisatie" in page.text
    back = await through_provider(oidc_client, provider)
    signed = await oidc_client.get(back)
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == "/staff/"
    assert COOKIE in oidc_client.cookies
    assert "Welkom, Eva." in (await oidc_client.get("/staff/")).text
    assert provider.tokens_issued == 1
    # The same answer again (a replayed code, the flow cookie gone) signs nobody in.
    oidc_client.cookies.clear()
    assert (await oidc_client.get(back)).status_code == 401
    async with db() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "sign_in"))
    assert entry is not None
    assert entry.detail == {"via": "oidc"}


async def test_a_wrong_state_is_refused(
    db: Sessions, oidc_client: httpx.AsyncClient, provider: Provider
) -> None:
    await make_staff(db, email=EMAIL)
    back = await through_provider(oidc_client, provider)
    forged = back.replace("state=", "state=x")
    refused = await oidc_client.get(forged)
    assert refused.status_code == 401
    assert "niet gelukt" in refused.text
    assert COOKIE not in oidc_client.cookies


async def test_a_tampered_flow_cookie_is_refused(
    db: Sessions, oidc_client: httpx.AsyncClient, provider: Provider
) -> None:
    await make_staff(db, email=EMAIL)
    back = await through_provider(oidc_client, provider)
    sealed = oidc_client.cookies[OIDC_COOKIE]
    oidc_client.cookies.clear()
    oidc_client.cookies.set(OIDC_COOKIE, "A" + sealed[1:], domain="127.0.0.1", path="/staff/oidc")
    assert (await oidc_client.get(back)).status_code == 401


async def test_a_wrong_nonce_in_the_id_token_is_refused(
    db: Sessions, oidc_client: httpx.AsyncClient, provider: Provider
) -> None:
    await make_staff(db, email=EMAIL)
    provider.nonce_override = "not-the-nonce-we-sent"
    back = await through_provider(oidc_client, provider)
    assert (await oidc_client.get(back)).status_code == 401
    assert COOKIE not in oidc_client.cookies


async def test_no_account_no_self_registration(
    db: Sessions, oidc_client: httpx.AsyncClient, provider: Provider
) -> None:
    provider.user = ProviderUser(sub="u-9", email="stranger@almere.example")
    back = await through_provider(oidc_client, provider)
    refused = await oidc_client.get(back)
    assert refused.status_code == 401
    assert "geen actief account" in refused.text


async def test_an_unverified_email_is_refused(
    db: Sessions, oidc_client: httpx.AsyncClient, provider: Provider
) -> None:
    await make_staff(db, email=EMAIL)
    provider.user = ProviderUser(sub="u-123", email=EMAIL, email_verified=False)
    back = await through_provider(oidc_client, provider)
    refused = await oidc_client.get(back)
    assert refused.status_code == 401
    assert "bevestigd e-mailadres" in refused.text


async def test_without_configuration_there_is_no_oidc(client: httpx.AsyncClient) -> None:
    assert (await client.get("/staff/oidc/start")).status_code == 404
    assert "van de organisatie" not in (await client.get("/staff/sign-in")).text
