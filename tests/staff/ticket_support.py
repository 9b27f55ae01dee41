"""Tickets and signed-in agents for the ticket page's tests (HTTP and browser)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import OutboxJob, Ticket
from bot.db.staff_models import AuditEntry
from bot.escalation import tickets
from bot.escalation.tickets import ExcerptLine
from bot.staff.roles import Role
from tests.staff.support import csrf_of, make_staff, sign_in

Sessions = async_sessionmaker[AsyncSession]
QUESTION_UK = "Де мені зареєструватися в Almere? Мій код K7MQ4X."
PREVIEWED = re.compile(r'name="previewed" value="([^"]*)"')


async def new_ticket(
    db: Sessions,
    *,
    question: str = QUESTION_UK,
    language: str = "uk",
    channel: str = "web",
    conversation_id: str = "we-1",
    urgent: bool = False,
) -> Ticket:
    async with db.begin() as session:
        return await tickets.create_ticket(
            session,
            conversation_id=conversation_id,
            channel=channel,
            language=language,
            question=question,
            topic="registration",
            urgent=urgent,
            excerpt=[
                ExcerptLine("newcomer", question),
                ExcerptLine("bot", "Я передам ваше питання працівнику."),
            ],
        )


async def agent_client(
    client: httpx.AsyncClient,
    db: Sessions,
    *,
    name: str = "Anna de Vries",
    email: str = "anna@almere.example",
    roles: Sequence[Role] = (Role.agent,),
    language: str = "nl",
) -> str:
    """Makes an account, signs `client` in; returns the session's CSRF token."""
    await make_staff(db, name=name, email=email, roles=roles, language=language)
    assert (await sign_in(client, email=email)).status_code == 303
    return csrf_of((await client.get("/staff/")).text)


async def ticket_now(db: Sessions, ticket_id: int) -> Ticket:
    async with db() as session:
        found = await session.get(Ticket, ticket_id)
        assert found is not None
        return found


async def jobs_of(db: Sessions, kind: str) -> list[OutboxJob]:
    async with db() as session:
        return list(await session.scalars(select(OutboxJob).where(OutboxJob.kind == kind)))


async def audit_actions(db: Sessions) -> list[tuple[str, str | None, str]]:
    """(action, target, detail as text) of every audit entry, oldest first."""
    async with db() as session:
        rows = await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(row.action, row.target, str(row.detail)) for row in rows]


def previewed_of(html: str) -> str:
    found = PREVIEWED.search(html)
    assert found is not None, "no preview on the page"
    return found.group(1)
