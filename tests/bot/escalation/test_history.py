"""A ticket's history on a real database: every step through the desk leaves an event, in
order, with who took it; the live updates read what came after an id."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.escalation import desk, history
from bot.escalation.delivery import mark_delivered
from tests.bot.escalation.test_desk import ANNA, PIET, new_ticket

Sessions = async_sessionmaker[AsyncSession]


async def steps(sessions: Sessions, ticket_id: int) -> list[tuple[str, str | None, str | None]]:
    async with sessions() as session:
        events = await history.history_of(session, ticket_id)
        return [(event.kind, event.actor, event.detail) for event in events]


async def test_every_step_is_an_event_with_its_actor(sessions: Sessions) -> None:
    ticket = await new_ticket(sessions)
    async with sessions.begin() as session:
        await desk.claim(session, ticket_id=ticket.id, staff=ANNA)
    async with sessions.begin() as session:
        await desk.release(session, ticket_id=ticket.id, staff=ANNA)
    async with sessions.begin() as session:
        await desk.answer(session, ticket_id=ticket.id, staff=PIET, text="Bel de gemeente.")
    async with sessions.begin() as session:
        await mark_delivered(ticket.id)(session)
    async with sessions.begin() as session:
        await desk.close(session, ticket_id=ticket.id, staff=PIET, reason="beantwoord")

    assert await steps(sessions, ticket.id) == [
        ("created", None, None),
        ("claimed", ANNA, None),
        ("released", ANNA, None),
        ("answered", PIET, None),
        ("delivered", None, None),
        ("closed", PIET, "beantwoord"),
    ]


async def test_a_refused_step_leaves_no_event(sessions: Sessions) -> None:
    ticket = await new_ticket(sessions)
    async with sessions.begin() as session:
        await desk.claim(session, ticket_id=ticket.id, staff=ANNA)
    try:
        async with sessions.begin() as session:
            await desk.claim(session, ticket_id=ticket.id, staff=PIET)
    except desk.ClaimedByOther:
        pass
    assert [kind for kind, _, _ in await steps(sessions, ticket.id)] == ["created", "claimed"]


async def test_live_updates_read_what_came_after_an_id(sessions: Sessions) -> None:
    first = await new_ticket(sessions)
    async with sessions() as session:
        seen = await history.last_event_id(session)
    second = await new_ticket(sessions)
    async with sessions.begin() as session:
        await desk.claim(session, ticket_id=first.id, staff=ANNA)
    async with sessions() as session:
        after = await history.events_after(session, seen)
    assert [(event.ticket_id, event.kind) for event in after] == [
        (second.id, "created"),
        (first.id, "claimed"),
    ]
