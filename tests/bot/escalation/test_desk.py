"""The staff desk on a real database: every rule and every refusal, as the Telegram group,
the CLI and the browser workspace meet them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import OutboxJob, Ticket
from bot.escalation import desk, tickets
from bot.escalation.delivery import mark_delivered
from bot.escalation.tickets import ExcerptLine, display_code

Sessions = async_sessionmaker[AsyncSession]
ANNA = "Anna de Vries @anna [telegram:101]"
ANNA_RENAMED = "Anna Jansen [telegram:101]"
PIET = "Piet [telegram:202]"
WEB_ANNA = "Anna #web7"


async def new_ticket(sessions: Sessions) -> Ticket:
    async with sessions.begin() as session:
        return await tickets.create_ticket(
            session,
            conversation_id="we-1",
            channel="web",
            language="uk",
            question="Where can I live?",
            excerpt=[ExcerptLine("newcomer", "Where can I live?")],
        )


async def claimed_by(sessions: Sessions, staff: str) -> Ticket:
    ticket = await new_ticket(sessions)
    async with sessions.begin() as session:
        await desk.claim(session, ticket_id=ticket.id, staff=staff)
    return ticket


async def stored(sessions: Sessions, ticket_id: int) -> Ticket:
    async with sessions() as session:
        found = await session.get(Ticket, ticket_id)
        assert found is not None
        return found


async def delivery_jobs(sessions: Sessions, ticket_id: int) -> list[str]:
    async with sessions() as session:
        keys = await session.scalars(
            select(OutboxJob.dedupe_key)
            .where(OutboxJob.ticket_id == ticket_id, OutboxJob.kind == "deliver_answer")
            .order_by(OutboxJob.id)
        )
        return list(keys)


# --- who staff are --------------------------------------------------------------------------


def test_the_same_person_is_known_by_the_id_whatever_the_name() -> None:
    assert desk.same_staff(ANNA, ANNA_RENAMED)
    assert not desk.same_staff(ANNA, PIET)
    assert desk.same_staff(WEB_ANNA, "Anna Jansen #web7")
    assert not desk.same_staff(WEB_ANNA, "Anna #web8")
    assert not desk.same_staff("Anna [telegram:7]", WEB_ANNA)  # two systems, two people
    assert desk.same_staff("anna", "anna")  # the CLI's plain names
    assert not desk.same_staff("anna", "Anna")
    assert not desk.same_staff(None, None)
    assert not desk.same_staff("", "")


def test_a_name_is_the_identity_without_its_id() -> None:
    assert desk.staff_name(ANNA) == "Anna de Vries @anna"
    assert desk.staff_name(WEB_ANNA) == "Anna"
    assert desk.staff_name("anna (cli)") == "anna (cli)"
    assert desk.staff_name(None) == ""


# --- finding --------------------------------------------------------------------------------


async def test_a_ticket_is_found_by_its_code_as_typed_and_by_its_id(sessions: Sessions) -> None:
    ticket = await new_ticket(sessions)
    async with sessions() as session:
        by_code = await desk.find(session, code=display_code(ticket.code).lower())
        by_id = await desk.find_by_id(session, ticket_id=ticket.id)
    assert by_code.id == by_id.id == ticket.id


async def test_an_unknown_code_or_id_is_refused_without_a_ticket(sessions: Sessions) -> None:
    async with sessions() as session:
        with pytest.raises(desk.TicketMissing) as missing:
            await desk.find(session, code="AAA-AAA")
        assert missing.value.ticket is None
        with pytest.raises(desk.TicketMissing):
            await desk.find_by_id(session, ticket_id=999_999)
        with pytest.raises(desk.TicketMissing):
            await desk.claim(session, ticket_id=999_999, staff=ANNA)
    assert isinstance(missing.value, desk.Refusal)


# --- claiming -------------------------------------------------------------------------------


async def test_an_open_ticket_is_claimed_once(sessions: Sessions) -> None:
    ticket = await new_ticket(sessions)
    async with sessions.begin() as session:
        first = await desk.claim(session, ticket_id=ticket.id, staff=ANNA)
    async with sessions.begin() as session:
        again = await desk.claim(session, ticket_id=ticket.id, staff=ANNA)
    assert (first.changed, again.changed) == (True, False)
    now = await stored(sessions, ticket.id)
    assert (now.state, now.claimed_by) == ("claimed", ANNA)


async def test_a_colleagues_claim_is_refused_with_who_and_when(sessions: Sessions) -> None:
    ticket = await claimed_by(sessions, ANNA)
    async with sessions.begin() as session:
        with pytest.raises(desk.ClaimedByOther) as refused:
            await desk.claim(session, ticket_id=ticket.id, staff=PIET)
        assert refused.value.who == ANNA
        assert refused.value.when is not None
        assert refused.value.ticket is not None
        assert refused.value.ticket.id == ticket.id
    assert (await stored(sessions, ticket.id)).claimed_by == ANNA


async def test_force_takes_over_a_claim(sessions: Sessions) -> None:
    ticket = await claimed_by(sessions, ANNA)
    async with sessions.begin() as session:
        taken = await desk.claim(session, ticket_id=ticket.id, staff=PIET, force=True)
    assert taken.changed
    assert (await stored(sessions, ticket.id)).claimed_by == PIET


async def test_a_renamed_colleague_keeps_the_claim(sessions: Sessions) -> None:
    ticket = await claimed_by(sessions, ANNA)
    async with sessions.begin() as session:
        await desk.claim(session, ticket_id=ticket.id, staff=ANNA_RENAMED)
    assert (await stored(sessions, ticket.id)).claimed_by == ANNA_RENAMED


async def test_an_answered_or_closed_ticket_cannot_be_claimed(sessions: Sessions) -> None:
    answered = await new_ticket(sessions)
    closed = await new_ticket(sessions)
    async with sessions.begin() as session:
        await desk.answer(session, ticket_id=answered.id, staff=ANNA, text="Ask the COA.")
        await desk.close(session, ticket_id=closed.id, staff=ANNA)
    async with sessions.begin() as session:
        with pytest.raises(desk.AlreadyAnswered) as refused:
            await desk.claim(session, ticket_id=answered.id, staff=PIET, force=True)
        assert refused.value.who == ANNA
        assert refused.value.when is not None
        with pytest.raises(desk.TicketClosed) as shut:
            await desk.claim(session, ticket_id=closed.id, staff=PIET, force=True)
        assert shut.value.when is not None


# --- releasing ------------------------------------------------------------------------------


async def test_ones_own_claim_is_released(sessions: Sessions) -> None:
    ticket = await claimed_by(sessions, ANNA)
    async with sessions.begin() as session:
        released = await desk.release(session, ticket_id=ticket.id, staff=ANNA_RENAMED)
    assert (released.state, released.claimed_by) == ("open", None)


async def test_a_colleagues_claim_is_released_only_with_force(sessions: Sessions) -> None:
    ticket = await claimed_by(sessions, ANNA)
    async with sessions.begin() as session:
        with pytest.raises(desk.ClaimedByOther) as refused:
            await desk.release(session, ticket_id=ticket.id, staff=PIET)
        assert refused.value.who == ANNA
    async with sessions.begin() as session:
        await desk.release(session, ticket_id=ticket.id, staff="", force=True)
    assert (await stored(sessions, ticket.id)).state == "open"


async def test_only_a_claimed_ticket_is_released(sessions: Sessions) -> None:
    ticket = await new_ticket(sessions)
    async with sessions.begin() as session:
        with pytest.raises(desk.NotClaimed) as refused:
            await desk.release(session, ticket_id=ticket.id, staff=ANNA, force=True)
        assert refused.value.ticket is not None
        assert refused.value.ticket.state == "open"
        await desk.close(session, ticket_id=ticket.id, staff=ANNA)
    async with sessions.begin() as session:
        with pytest.raises(desk.TicketClosed):
            await desk.release(session, ticket_id=ticket.id, staff=ANNA, force=True)


# --- answering ------------------------------------------------------------------------------


async def test_an_answer_is_stored_with_its_delivery_job(sessions: Sessions) -> None:
    ticket = await new_ticket(sessions)
    async with sessions.begin() as session:
        answered = await desk.answer(
            session,
            ticket_id=ticket.id,
            staff=WEB_ANNA,
            text="  Ask the COA.  ",
            original="Vraag het COA.",
            source_language="nl",
            machine_translated=True,
            entry_id="housing/coa",
        )
    assert (answered.state, answered.answer, answered.answered_by) == (
        "answered",
        "Ask the COA.",
        WEB_ANNA,
    )
    assert answered.claimed_by == WEB_ANNA  # answering an open ticket claims it too
    assert await delivery_jobs(sessions, ticket.id) == [f"deliver_answer:{ticket.id}:1"]


async def test_a_failed_transaction_stores_neither_answer_nor_job(sessions: Sessions) -> None:
    ticket = await new_ticket(sessions)

    async def answer_then_fail() -> None:
        async with sessions.begin() as session:
            await desk.answer(session, ticket_id=ticket.id, staff=ANNA, text="Ask the COA.")
            raise RuntimeError("the caller's transaction fails")

    with pytest.raises(RuntimeError):
        await answer_then_fail()
    assert (await stored(sessions, ticket.id)).state == "open"
    assert await delivery_jobs(sessions, ticket.id) == []


async def test_a_ticket_is_answered_once(sessions: Sessions) -> None:
    ticket = await new_ticket(sessions)
    async with sessions.begin() as session:
        await desk.answer(session, ticket_id=ticket.id, staff=ANNA, text="Ask the COA.")
    async with sessions.begin() as session:
        with pytest.raises(desk.AlreadyAnswered) as refused:
            await desk.answer(
                session, ticket_id=ticket.id, staff=PIET, text="Ask the town.", force=True
            )
        assert refused.value.who == ANNA
        assert refused.value.when is not None
    assert (await stored(sessions, ticket.id)).answer == "Ask the COA."
    assert len(await delivery_jobs(sessions, ticket.id)) == 1


async def test_an_undeliverable_answer_may_be_sent_again(sessions: Sessions) -> None:
    ticket = await new_ticket(sessions)
    async with sessions.begin() as session:
        await desk.answer(session, ticket_id=ticket.id, staff=ANNA, text="Ask the COA.")
    async with sessions.begin() as session:
        await mark_delivered(ticket.id, state="failed")(session)
    async with sessions.begin() as session:
        again = await desk.answer(session, ticket_id=ticket.id, staff=PIET, text="Ask the town.")
    assert (again.answer, again.answered_by, again.delivery_state) == (
        "Ask the town.",
        PIET,
        "pending",
    )
    assert await delivery_jobs(sessions, ticket.id) == [
        f"deliver_answer:{ticket.id}:1",
        f"deliver_answer:{ticket.id}:2",
    ]


async def test_a_colleagues_claim_stands_in_the_way_of_an_answer_unless_forced(
    sessions: Sessions,
) -> None:
    ticket = await claimed_by(sessions, ANNA)
    async with sessions.begin() as session:
        with pytest.raises(desk.ClaimedByOther) as refused:
            await desk.answer(session, ticket_id=ticket.id, staff=PIET, text="Ask the COA.")
        assert refused.value.who == ANNA
    async with sessions.begin() as session:
        await desk.answer(session, ticket_id=ticket.id, staff=PIET, text="Ask the COA.", force=True)
    assert (await stored(sessions, ticket.id)).answered_by == PIET


async def test_an_empty_answer_is_refused(sessions: Sessions) -> None:
    ticket = await new_ticket(sessions)
    async with sessions.begin() as session:
        with pytest.raises(desk.EmptyAnswer) as refused:
            await desk.answer(session, ticket_id=ticket.id, staff=ANNA, text=" \n\t ")
        assert refused.value.ticket is not None
    assert await delivery_jobs(sessions, ticket.id) == []


async def test_a_closed_ticket_takes_no_answer(sessions: Sessions) -> None:
    ticket = await new_ticket(sessions)
    async with sessions.begin() as session:
        await desk.close(session, ticket_id=ticket.id, staff=ANNA, reason="duplicate")
    async with sessions.begin() as session:
        with pytest.raises(desk.TicketClosed) as refused:
            await desk.answer(session, ticket_id=ticket.id, staff=ANNA, text="Ask the COA.")
        assert refused.value.when is not None


# --- closing, and a state that moved ----------------------------------------------------------


async def test_a_ticket_is_closed_once(sessions: Sessions) -> None:
    ticket = await claimed_by(sessions, ANNA)
    async with sessions.begin() as session:
        closed = await desk.close(session, ticket_id=ticket.id, staff=PIET)
    assert closed.state == "closed"
    assert closed.closed_at is not None
    async with sessions.begin() as session:
        with pytest.raises(desk.TicketClosed):
            await desk.close(session, ticket_id=ticket.id, staff=PIET)


async def test_a_change_the_states_do_not_allow_is_refused_as_state_changed(
    sessions: Sessions,
) -> None:
    """What tickets.py refuses past the desk's own checks (a state moved under a change)."""
    ticket = await new_ticket(sessions)
    async with sessions.begin() as session:
        await desk.close(session, ticket_id=ticket.id, staff=ANNA)
    async with sessions.begin() as session:
        current = await desk.find_by_id(session, ticket_id=ticket.id)
        with pytest.raises(desk.StateChanged) as refused:
            await desk._apply(tickets.unclaim(session, code=current.code), current)
        assert refused.value.ticket is current


def test_check_answers_before_any_change() -> None:
    ticket = Ticket(code="ACDEFG", state="claimed", claimed_by=ANNA, delivery_state="none")
    desk.check(ticket, "answer", staff=ANNA_RENAMED)
    desk.check(ticket, "answer", staff=PIET, force=True)
    with pytest.raises(desk.ClaimedByOther):
        desk.check(ticket, "answer", staff=PIET)
    desk.check(ticket, "close", staff=PIET)  # anyone may close
