"""Answering a ticket from the workspace (bot/escalation/answering.py does the work):

- POST /staff/tickets/{code}/preview: the answer in the newcomer's language and that
  translated back into the employee's, to check before sending;
- POST /staff/tickets/{code}/answer: sends it, as previewed (a changed text is previewed
  again), to this ticket and to the similar ones ticked (`also`), each in its language;
- POST /staff/tickets/{code}/answer-entry: sends a knowledge-base entry (with an optional
  personal line) in each newcomer's own language.

The audit log records who answered which ticket, how, and with which engine; never the text.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from bot.db.models import Ticket
from bot.escalation import answering, desk, tickets
from bot.faq.entry_answer import UnknownEntry
from bot.staff.audit import record
from bot.staff.deps import StaffPrincipal, identity, sessionmaker_of
from bot.staff.routes.auth import address_of
from bot.staff.routes.ticket import missing, ticket_url
from bot.staff.state import staff_state
from bot.staff.ticket_page import (
    agent_only,
    entry_search,
    not_offered,
    refusal_key,
    refusal_values,
    render_ticket,
    services,
    wake_outbox,
)

router = APIRouter(prefix="/tickets", tags=["staff"])
AGENT = Depends(agent_only)
MAX_TOGETHER = 20  # similar tickets answered at once
MAX_PERSONAL = 600


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _also(form: FormData, own: str) -> frozenset[str]:
    codes = {tickets.normalize_code(v) for v in form.getlist("also") if isinstance(v, str)}
    return frozenset(sorted(c for c in codes if c and c != own)[:MAX_TOGETHER])


async def _strangers(
    request: Request, session: AsyncSession, ticket: Ticket, also: frozenset[str]
) -> bool:
    """Whether `also` names a waiting ticket the page does not offer with this one."""
    return bool(await not_offered(session, ticket, also, entry_search(request)))


async def _together(session: AsyncSession, codes: frozenset[str]) -> list[Ticket]:
    found: list[Ticket] = []
    for code in sorted(codes):
        try:
            found.append(await tickets.get_ticket(session, code))
        except tickets.TicketNotFound:
            continue
    return found


async def _refused(
    request: Request, principal: StaffPrincipal, session: AsyncSession, ticket: Ticket,
    refusal: desk.Refusal, *, draft: str = "", also: frozenset[str] = frozenset(),
) -> Response:  # fmt: skip
    return await render_ticket(
        request, principal, ticket, session=session, status_code=409, draft=draft, also=also,
        error=refusal_key(refusal), error_values=refusal_values(refusal, services(request).zone),
    )  # fmt: skip


@router.post("/{code}/preview", include_in_schema=False)
async def preview(request: Request, code: str, principal: StaffPrincipal = AGENT) -> Response:
    form = await request.form()
    text = _text(form, "text")
    async with sessionmaker_of(request)() as session, session.begin():
        try:
            ticket = await tickets.get_ticket(session, code)
        except tickets.TicketNotFound:
            return missing(request, principal)
        also = _also(form, ticket.code)
        if not text:
            return await render_ticket(
                request, principal, ticket, session=session, status_code=422, also=also,
                error="ticket.refused_empty_answer",
            )  # fmt: skip
        if len(text) > answering.MAX_ANSWER:
            return await render_ticket(
                request, principal, ticket, session=session, status_code=422, draft=text,
                also=also, error="ticket.answer_too_long",
            )  # fmt: skip
        made = await answering.preview_answer(
            services(request).translator, text,
            newcomer_language=ticket.language, staff_language=principal.language,
        )  # fmt: skip
        await record(
            session, actor_id=principal.id, action="answer_previewed",
            target=f"ticket:{ticket.code}", address=address_of(request),
            detail={"engine": made.engine, "characters": len(text), "failed": bool(made.failure)},
        )  # fmt: skip
        return await render_ticket(
            request, principal, ticket, session=session, draft=text, preview=made, also=also
        )


@router.post("/{code}/answer", include_in_schema=False)
async def answer(request: Request, code: str, principal: StaffPrincipal = AGENT) -> Response:
    form = await request.form()
    text = _text(form, "text")
    made = services(request)
    staff = identity(principal)
    async with sessionmaker_of(request)() as session:
        try:
            ticket = await tickets.get_ticket(session, code)
        except tickets.TicketNotFound:
            return missing(request, principal)
        also = _also(form, ticket.code)
        try:  # checked before translating; checked again when stored
            desk.check(ticket, "answer", staff=staff)
            if not text:
                raise desk.EmptyAnswer(ticket)
        except desk.Refusal as refusal:
            return await _refused(
                request, principal, session, ticket, refusal, draft=text, also=also
            )
        if len(text) > answering.MAX_ANSWER:
            return await render_ticket(
                request, principal, ticket, session=session, status_code=422, draft=text,
                also=also, error="ticket.answer_too_long",
            )  # fmt: skip
        if await _strangers(request, session, ticket, also):
            return await render_ticket(
                request, principal, ticket, session=session, status_code=409, draft=text,
                error="ticket.also_not_similar",
            )  # fmt: skip
        if made.translator.configured and _text(form, "previewed") != answering.fingerprint(text):
            checked = await answering.preview_answer(
                made.translator, text,
                newcomer_language=ticket.language, staff_language=principal.language,
            )  # fmt: skip
            return await render_ticket(
                request, principal, ticket, session=session, draft=text, preview=checked,
                also=also, error="ticket.preview_first",
            )  # fmt: skip
        together = [ticket, *await _together(session, also)]
        languages = [t.language for t in together]
    answers = await answering.answers_by_language(made.translator, made.texts, text, languages)
    async with sessionmaker_of(request)() as session, session.begin():
        try:
            outcome = await answering.answer_in_own_words(
                session, together, staff=staff, answers=answers
            )
        except desk.Refusal as refusal:
            return await _refused(
                request, principal, session, ticket, refusal, draft=text, also=also
            )
        for answered in outcome.answered:
            await record(
                session, actor_id=principal.id, action="ticket_answered",
                target=f"ticket:{answered.code}", address=address_of(request),
                detail={"engine": made.translator.engine, "together": len(outcome.answered),
                        "machine_translated": answered.answer_machine_translated},
            )  # fmt: skip
    wake_outbox(request)
    return _answered_redirect(code, outcome)


@router.post("/{code}/answer-entry", include_in_schema=False)
async def answer_entry(request: Request, code: str, principal: StaffPrincipal = AGENT) -> Response:
    form = await request.form()
    entry_id = _text(form, "entry_id")
    personal = _text(form, "personal")
    made = services(request)
    staff = identity(principal)
    root = staff_state(request).settings.project_root
    async with sessionmaker_of(request)() as session:
        try:
            ticket = await tickets.get_ticket(session, code)
        except tickets.TicketNotFound:
            return missing(request, principal)
        also = _also(form, ticket.code)
        try:
            desk.check(ticket, "answer", staff=staff)
        except desk.Refusal as refusal:
            return await _refused(request, principal, session, ticket, refusal, also=also)
        if not entry_id or len(personal) > MAX_PERSONAL:
            key = "ticket.entry_missing" if not entry_id else "ticket.personal_too_long"
            return await render_ticket(
                request, principal, ticket, session=session, status_code=422, also=also, error=key
            )
        if await _strangers(request, session, ticket, also):
            return await render_ticket(
                request, principal, ticket, session=session, status_code=409,
                error="ticket.also_not_similar",
            )  # fmt: skip
        together = [ticket, *await _together(session, also)]
        languages = [t.language for t in together]
    lines = (
        await answering.answers_by_language(made.translator, made.texts, personal, languages)
        if personal
        else None
    )
    async with sessionmaker_of(request)() as session, session.begin():
        try:
            outcome = await answering.answer_with_entry(
                session,
                together,
                staff=staff,
                root=root,
                entry_id=entry_id,
                personal=lines,
                municipality=staff_state(request).settings.municipality,
            )
        except UnknownEntry:  # raised before any ticket changed
            return await render_ticket(
                request, principal, ticket, session=session, status_code=422, also=also,
                error="ticket.entry_unknown",
            )  # fmt: skip
        except desk.Refusal as refusal:
            return await _refused(request, principal, session, ticket, refusal, also=also)
        for answered in outcome.answered:
            await record(
                session, actor_id=principal.id, action="ticket_answered",
                target=f"ticket:{answered.code}", address=address_of(request),
                detail={"entry": entry_id, "together": len(outcome.answered),
                        "personal_line": bool(personal),
                        "machine_translated": answered.answer_machine_translated},
            )  # fmt: skip
    wake_outbox(request)
    return _answered_redirect(code, outcome)


def _answered_redirect(code: str, outcome: answering.Outcome) -> Response:
    count = len(outcome.answered)
    done = "answered_many" if count > 1 else "answered"
    url = ticket_url(code, done=done, count=count if count > 1 else 0)
    if outcome.refused:
        url += f"&skipped={len(outcome.refused)}"
    return RedirectResponse(url, status_code=303)
