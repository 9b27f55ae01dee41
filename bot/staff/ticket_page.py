"""The ticket page (bot/staff/templates/ticket.html): what it shows, put together for the
routes in bot/staff/routes/ticket.py and answer.py. Only agents open it: it quotes a
newcomer, and every opening is in the audit log."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from bot.db.models import Ticket, utcnow
from bot.escalation import desk, tickets
from bot.escalation.answering import Preview
from bot.escalation.delivery import ticket_language
from bot.escalation.similar import SimilarTicket, similar_waiting
from bot.escalation.ticket_reading import read_ticket, shown_text
from bot.faq.entry_answer import UnknownEntry, entry_answer_text
from bot.faq.search import EntryHit, EntrySearch
from bot.semantics.embedder import shared_embedder
from bot.staff.deps import StaffForbidden, StaffPrincipal, current_staff, identity
from bot.staff.pages import render
from bot.staff.roles import Role
from bot.staff.state import staff_state
from bot.texts import Texts, load_texts
from bot.translation.base import Translator
from bot.translation.factory import translator_from_settings

CLOSE_REASONS = ("answered_elsewhere", "duplicate", "no_question", "unreachable", "other")
SIMILAR_SHOWN = 10
HITS_SHOWN = 6


async def agent_only(principal: StaffPrincipal = Depends(current_staff)) -> StaffPrincipal:  # noqa: B008
    """Tickets quote newcomers: only agents read and answer them."""
    if not principal.has(Role.agent):
        raise StaffForbidden("role")
    return principal


@dataclass
class TicketServices:
    """What the ticket pages use, made once per app on first use (never at import)."""

    translator: Translator
    texts: Texts
    zone: ZoneInfo


def services(request: Request) -> TicketServices:
    made: TicketServices | None = getattr(request.app.state, "ticket_services", None)
    if made is None:
        settings = staff_state(request).settings
        made = TicketServices(
            translator=translator_from_settings(settings),
            texts=load_texts(settings.project_root, settings.municipality),
            zone=settings.zone,
        )
        request.app.state.ticket_services = made
    return made


def entry_search(request: Request) -> EntrySearch | None:
    return getattr(request.app.state, "entry_search", None)


def wake_outbox(request: Request) -> None:
    """Deliver at once (the gateway's dispatcher; absent in a workspace-only app)."""
    dispatcher = getattr(request.app.state, "outbox", None)
    if dispatcher is not None:
        dispatcher.wake()


async def similar_of(
    session: Any, ticket: Ticket, search: EntrySearch | None
) -> list[SimilarTicket] | None:
    """Waiting tickets that ask the same thing; None while the entry index is still being
    built (the page says so and offers to look again)."""
    if ticket.state not in tickets.WAITING and not tickets.awaits_resend(ticket):
        return []
    if search is None or not search.built:
        if search is not None:
            search.start_building()
        return None
    return await similar_waiting(
        session, ticket, shared_embedder(), limit=SIMILAR_SHOWN, search=search
    )


async def not_offered(
    session: Any, ticket: Ticket, codes: frozenset[str], search: EntrySearch | None
) -> frozenset[str]:
    """The waiting tickets among `codes` that the page does not offer as the same question
    (measured without the entry index while it is still being built). An answer naming one
    is refused, so no crafted form sends it to anyone else. A ticket no longer waiting is
    not among them: answering skips it and says so."""
    if not codes:
        return frozenset()
    built = search if search is not None and search.built else None
    offered = await similar_waiting(
        session, ticket, shared_embedder(), limit=SIMILAR_SHOWN, search=built
    )
    outside = codes - {similar.ticket.code for similar in offered}
    if not outside:
        return frozenset()
    return await tickets.waiting_codes(session, outside)


async def entry_hits(request: Request, query: str, language: str) -> list[EntryHit] | None:
    """Entries for the employee's search, titled in their language; None while building."""
    search = entry_search(request)
    if not query.strip() or search is None:
        return []
    if not search.built:
        search.start_building()
        return None
    return await asyncio.to_thread(search.search, query, language=language, limit=HITS_SHOWN)


def refusal_values(refusal: desk.Refusal, zone: ZoneInfo) -> dict[str, str]:
    when = refusal.when.astimezone(zone).strftime("%d-%m %H:%M") if refusal.when else ""
    return {"name": desk.staff_name(refusal.who) or "?", "when": when}


def refusal_key(refusal: desk.Refusal) -> str:
    """ticket.refused_<kind>: AlreadyAnswered is ticket.refused_already_answered."""
    name = type(refusal).__name__
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
    return f"ticket.refused_{snake}"


async def render_ticket(
    request: Request,
    principal: StaffPrincipal,
    ticket: Ticket,
    *,
    session: Any,
    status_code: int = 200,
    query: str = "",
    draft: str = "",
    preview: Preview | None = None,
    also: frozenset[str] = frozenset(),
    notice: str = "",
    notice_values: dict[str, str] | None = None,
    error: str = "",
    error_values: dict[str, str] | None = None,
) -> HTMLResponse:
    made = services(request)
    now = utcnow()
    reading = await read_ticket(
        session, ticket, translator=made.translator, reader_language=principal.language, now=now
    )
    similar = await similar_of(session, ticket, entry_search(request))
    similar_questions = await asyncio.gather(
        *(
            shown_text(made.translator, one.ticket.question, source=one.ticket.language,
                       target=principal.language)
            for one in similar or []
        )
    )  # fmt: skip
    hits = await entry_hits(request, query, principal.language)
    root = staff_state(request).settings.project_root
    language = ticket_language(ticket)
    me = identity(principal)
    return render(
        request,
        "ticket.html",
        principal=principal,
        status_code=status_code,
        reading=reading,
        ticket=ticket,
        code=tickets.display_code(ticket.code),
        newcomer_language=language,
        claimed_by=desk.staff_name(ticket.claimed_by),
        answered_by=desk.staff_name(ticket.answered_by),
        mine=desk.same_staff(ticket.claimed_by, me),
        can_answer=_may(ticket, "answer", me),
        can_claim=_may(ticket, "claim", me) and not desk.same_staff(ticket.claimed_by, me),
        can_release=ticket.state == "claimed",
        can_close=ticket.state != "closed",
        similar=similar,
        similar_questions=list(similar_questions),
        hits=hits,
        hit_answers=_hit_answers(
            root, hits or [], language, staff_state(request).settings.municipality
        ),
        query=query,
        draft=draft,
        preview=preview,
        also=also,
        notice=notice,
        notice_values=notice_values or {},
        error=error,
        error_values=error_values or {},
        close_reasons=CLOSE_REASONS,
        configured=made.translator.configured,
        when=lambda moment: _local(moment, made.zone),
    )


def _hit_answers(
    root: Any, hits: list[EntryHit], language: str, municipality: str
) -> dict[str, str]:
    """Each found entry as the newcomer would receive it."""
    found: dict[str, str] = {}
    for hit in hits:
        try:
            found[hit.entry_id] = entry_answer_text(
                root, hit.entry_id, language, municipality=municipality
            )
        except UnknownEntry:
            continue
    return found


def _may(ticket: Ticket, action: str, staff: str) -> bool:
    try:
        desk.check(ticket, action, staff=staff)
    except desk.Refusal:
        return False
    return True


def _local(moment: dt.datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return ""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    return aware.astimezone(zone).strftime("%d-%m-%Y %H:%M")
