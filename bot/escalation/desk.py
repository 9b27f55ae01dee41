"""The staff desk: what staff may do with a ticket, whichever face they use (the Telegram
group, the staff CLI, the browser workspace).

Every function takes a session and leaves the transaction to the caller, so a check and the
change it allows happen in one transaction (the row is locked where the database can). A
change that cannot be done raises a `Refusal` that carries the ticket as it is, and who did
what when (a colleague's claim or answer), so each face can say it in its own words.

Staff identities are strings: the Telegram group's "Name @user [telegram:<id>]", the CLI's
plain "name", the browser's "Name #web<user id>". Two identities with the same id are the
same person, whatever their names say now.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Ticket
from bot.escalation import tickets

_IDENTITY_SUFFIX = re.compile(r"(?: \[telegram:(?P<telegram>-?\d+)\]| #web(?P<web>\d+))$")


# --- who staff are --------------------------------------------------------------------------


def staff_name(identity: str | None) -> str:
    """The name part of a staff identity (a plain name, as the CLI stores it, unchanged)."""
    return _IDENTITY_SUFFIX.sub("", identity or "")


def _person(identity: str | None) -> tuple[str, str] | None:
    match = _IDENTITY_SUFFIX.search(identity or "")
    if match is None:
        return None
    if match["telegram"] is not None:
        return ("telegram", match["telegram"])
    return ("web", match["web"])


def same_staff(first: str | None, second: str | None) -> bool:
    """The same person: the same id when both identities carry one, else the same string."""
    a, b = _person(first), _person(second)
    if a and b:
        return a == b
    return bool(first) and first == second


# --- refusals -------------------------------------------------------------------------------


class Refusal(Exception):
    """A staff action that cannot be done now. `ticket` is the ticket as it is (None when
    there is none); `who` and `when` name the colleague and moment that stand in the way
    (who claimed or answered it, when it was closed), where there is one."""

    def __init__(
        self,
        ticket: Ticket | None,
        *,
        who: str | None = None,
        when: dt.datetime | None = None,
        detail: str = "",
    ) -> None:
        code = tickets.display_code(ticket.code) if ticket is not None else "?"
        super().__init__(f"{type(self).__name__}: ticket {code}{detail}")
        self.ticket = ticket
        self.who = who
        self.when = when


class TicketMissing(Refusal):
    """No ticket has this code or id."""


class TicketClosed(Refusal):
    """The ticket is closed: nothing more can be done with it."""


class AlreadyAnswered(Refusal):
    """A colleague answered it (and the answer was not refused on delivery)."""


class ClaimedByOther(Refusal):
    """A colleague has claimed it (force takes it over where the face allows that)."""


class NotClaimed(Refusal):
    """Only a claimed ticket can be released."""


class EmptyAnswer(Refusal):
    """An answer without text."""


class StateChanged(Refusal):
    """The ticket's state does not allow the change (it moved while staff were deciding)."""


@dataclass(frozen=True)
class Claimed:
    ticket: Ticket
    changed: bool  # False when it was this staff member's claim already


# --- finding a ticket -----------------------------------------------------------------------


async def find(session: AsyncSession, *, code: str) -> Ticket:
    """The ticket with this code as a person typed it ("k7p-q4x"), locked for the change."""
    try:
        return await tickets.get_ticket(session, code, for_update=True)
    except tickets.TicketNotFound:
        raise TicketMissing(None, detail=f" ({tickets.normalize_code(code)[:12]})") from None


async def find_by_id(session: AsyncSession, *, ticket_id: int) -> Ticket:
    ticket = await session.scalar(select(Ticket).where(Ticket.id == ticket_id).with_for_update())
    if ticket is None:
        raise TicketMissing(None, detail=f" (id {ticket_id})")
    return ticket


# --- the rules ------------------------------------------------------------------------------


def check(ticket: Ticket, action: str, *, staff: str | None = None, force: bool = False) -> None:
    """Raises the refusal of `action` ("claim", "release", "answer", "close") on the ticket
    as it is, or returns when it may be done. A face may call it before asking staff for an
    answer's text; the change itself checks again."""
    if ticket.state == "closed":
        raise TicketClosed(ticket, when=ticket.closed_at)
    second_try = action == "answer" and tickets.awaits_resend(ticket)
    if action in ("claim", "answer") and ticket.state == "answered" and not second_try:
        raise AlreadyAnswered(ticket, who=ticket.answered_by, when=ticket.answered_at)
    taken = ticket.state == "claimed" and not same_staff(ticket.claimed_by, staff)
    if action in ("claim", "answer", "release") and taken and not force:
        raise ClaimedByOther(ticket, who=ticket.claimed_by, when=ticket.claimed_at)
    if action == "release" and ticket.state != "claimed":
        raise NotClaimed(ticket)


async def claim(
    session: AsyncSession, *, ticket_id: int, staff: str, force: bool = False
) -> Claimed:
    """Claims an open ticket, or takes over a colleague's claim with force."""
    ticket = await find_by_id(session, ticket_id=ticket_id)
    check(ticket, "claim", staff=staff, force=force)
    if ticket.state == "claimed" and ticket.claimed_by == staff:
        return Claimed(ticket=ticket, changed=False)
    await _apply(tickets.claim(session, code=ticket.code, staff=staff), ticket)
    return Claimed(ticket=ticket, changed=True)


async def release(
    session: AsyncSession, *, ticket_id: int, staff: str, force: bool = False
) -> Ticket:
    """Hands a claimed ticket back to the queue: one's own claim, or anyone's with force."""
    ticket = await find_by_id(session, ticket_id=ticket_id)
    check(ticket, "release", staff=staff, force=force)
    return await _apply(tickets.unclaim(session, code=ticket.code, staff=staff), ticket)


async def answer(
    session: AsyncSession,
    *,
    ticket_id: int,
    staff: str,
    text: str,
    original: str | None = None,
    source_language: str | None = None,
    machine_translated: bool = False,
    entry_id: str | None = None,
    force: bool = False,
) -> Ticket:
    """Stores the answer and queues its delivery (the deliver_answer job) in the caller's
    transaction. Answered once, unless the answer could never be delivered
    (tickets.awaits_resend); a colleague's claim stands in the way unless force (the Telegram
    group lets anyone in it answer). `original` is what staff wrote before translation."""
    ticket = await find_by_id(session, ticket_id=ticket_id)
    check(ticket, "answer", staff=staff, force=force)
    if not text.strip():
        raise EmptyAnswer(ticket)
    answered = await _apply(
        tickets.answer(session, code=ticket.code, staff=staff, text=text), ticket
    )
    answered.answer_original = original
    answered.answer_source_language = source_language
    answered.answer_machine_translated = machine_translated
    answered.answer_entry_id = entry_id
    return answered


async def close(
    session: AsyncSession, *, ticket_id: int, staff: str, reason: str | None = None
) -> Ticket:
    """Closes a ticket in any state but closed."""
    ticket = await find_by_id(session, ticket_id=ticket_id)
    check(ticket, "close", staff=staff)
    return await _apply(
        tickets.close(session, code=ticket.code, staff=staff, reason=reason), ticket
    )


async def _apply(change: Awaitable[Ticket], ticket: Ticket) -> Ticket:
    """A change from bot/escalation/tickets.py, its own refusal as the desk's."""
    try:
        return await change
    except tickets.TicketStateError as error:
        raise StateChanged(ticket, detail=f": {error}") from None
    except tickets.TicketError:
        raise EmptyAnswer(ticket) from None
