"""Admin pages: only admins get in; role changes, deactivation, invitations and every
reading or export of the audit log are audited."""

from __future__ import annotations

import csv
import io

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.staff_models import AuditEntry, StaffUser
from bot.staff.roles import Role
from bot.staff.state import COOKIE
from tests.staff.support import PASSWORD, make_staff, sign_in, signed_in_csrf

Sessions = async_sessionmaker[AsyncSession]
ADMIN = "eva@almere.example"
AGENT = "anna@almere.example"


async def actions(db: Sessions) -> list[str]:
    async with db() as session:
        return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


async def admin_and_agent(db: Sessions) -> tuple[StaffUser, StaffUser]:
    admin = await make_staff(db, email=ADMIN, name="Eva", roles=[Role.admin])
    agent = await make_staff(db, email=AGENT, name="Anna", roles=[Role.agent])
    return admin, agent


async def test_an_agent_gets_403_and_no_data_on_every_admin_page(
    db: Sessions, client: httpx.AsyncClient
) -> None:
    _admin, agent = await admin_and_agent(db)
    csrf = await signed_in_csrf(client, email=AGENT)
    home = await client.get("/staff/")
    assert "/staff/admin/users" not in home.text
    for path in ("/staff/admin/users", "/staff/admin/audit", "/staff/admin/audit.csv"):
        refused = await client.get(path)
        assert refused.status_code == 403, path
        assert ADMIN not in refused.text
        assert "sign_in" not in refused.text
    for path in (
        "/staff/admin/users",
        f"/staff/admin/users/{agent.id}/roles",
        f"/staff/admin/users/{agent.id}/active",
    ):
        answer = await client.post(path, data={"csrf_token": csrf, "roles": "admin"})
        assert answer.status_code == 403, path
    async with db() as session:
        assert (await session.get(StaffUser, agent.id)).roles == "agent"  # type: ignore[union-attr]


async def test_admin_invites_changes_roles_and_deactivates(
    db: Sessions, client: httpx.AsyncClient
) -> None:
    _admin, agent = await admin_and_agent(db)
    csrf = await signed_in_csrf(client, email=ADMIN)
    listed = await client.get("/staff/admin/users")
    assert listed.status_code == 200
    assert AGENT in listed.text
    invited = await client.post(
        "/staff/admin/users",
        data={
            "csrf_token": csrf,
            "name": "Sem",
            "email": "sem@almere.example",
            "roles": ["agent", "editor"],
            "language": "en",
        },
    )
    assert invited.status_code == 200
    assert "/staff/invite/" in invited.text
    changed = await client.post(
        f"/staff/admin/users/{agent.id}/roles",
        data={"csrf_token": csrf, "roles": ["agent", "editor"]},
    )
    assert changed.status_code == 303
    # Anna signs in elsewhere; deactivating her ends that session at once.
    other = httpx.AsyncClient(
        transport=client._transport, base_url="http://127.0.0.1", headers={"accept": "text/html"}
    )
    await sign_in(other, email=AGENT, password=PASSWORD)
    assert (await other.get("/staff/")).status_code == 200
    off = await client.post(
        f"/staff/admin/users/{agent.id}/active", data={"csrf_token": csrf, "active": "0"}
    )
    assert off.status_code == 303
    assert (await other.get("/staff/")).status_code == 303
    await other.aclose()
    async with db() as session:
        anna = await session.get(StaffUser, agent.id)
        assert anna is not None
        assert anna.roles == "agent,editor"
        assert not anna.active
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "roles_changed"))
        assert entry is not None
        assert entry.detail == {"before": "agent", "after": "agent,editor"}
        assert entry.address == "203.0.113.0"  # shortened
    assert [a for a in await actions(db) if a.startswith(("user_", "roles_"))] == [
        "user_created",
        "roles_changed",
        "user_deactivated",
    ]


async def test_an_admin_cannot_lock_themselves_out(db: Sessions, client: httpx.AsyncClient) -> None:
    admin, _agent = await admin_and_agent(db)
    csrf = await signed_in_csrf(client, email=ADMIN)
    roles = await client.post(
        f"/staff/admin/users/{admin.id}/roles", data={"csrf_token": csrf, "roles": "agent"}
    )
    assert roles.status_code == 422
    off = await client.post(
        f"/staff/admin/users/{admin.id}/active", data={"csrf_token": csrf, "active": "0"}
    )
    assert off.status_code == 422
    assert (await client.get("/staff/admin/users")).status_code == 200


async def test_an_unknown_user_gets_a_clear_refusal_not_an_error(
    db: Sessions, client: httpx.AsyncClient
) -> None:
    await admin_and_agent(db)
    csrf = await signed_in_csrf(client, email=ADMIN)
    before = await actions(db)
    for path, data in (
        ("/staff/admin/users/9999/invite", {}),
        ("/staff/admin/users/9999/roles", {"roles": "agent"}),
        ("/staff/admin/users/9999/active", {"active": "0"}),
    ):
        refused = await client.post(path, data={"csrf_token": csrf, **data})
        assert refused.status_code == 422, path
        assert "Dit account bestaat niet." in refused.text or "does not exist" in refused.text
    assert await actions(db) == before  # nothing was done, so nothing is audited as done


async def test_audit_log_filters_and_export_are_audited(
    db: Sessions, client: httpx.AsyncClient
) -> None:
    await admin_and_agent(db)
    await sign_in(client, email=AGENT, password="wrong password here")
    await signed_in_csrf(client, email=ADMIN)
    page = await client.get("/staff/admin/audit", params={"action": "sign_in_failed"})
    assert page.status_code == 200
    assert "sign_in_failed" in page.text
    assert "<td>sign_in</td>" not in page.text
    export = await client.get("/staff/admin/audit.csv", params={"action": "sign_in"})
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [row["action"] for row in rows] == ["sign_in"]
    assert rows[0]["actor"] == "Eva"
    assert (await actions(db))[-2:] == ["audit_viewed", "audit_exported"]


async def test_profile_language_changes_the_pages(db: Sessions, client: httpx.AsyncClient) -> None:
    await make_staff(db, email=AGENT)
    csrf = await signed_in_csrf(client, email=AGENT)
    assert "Profiel" in (await client.get("/staff/profile")).text
    saved = await client.post("/staff/profile", data={"csrf_token": csrf, "language": "en"})
    assert saved.status_code == 303
    assert "Welcome," in (await client.get("/staff/")).text
    refused = await client.post("/staff/profile", data={"csrf_token": csrf, "language": "uk"})
    assert refused.status_code == 422
    assert (await client.post("/staff/profile", data={"language": "nl"})).status_code == 403
    assert COOKIE in client.cookies
