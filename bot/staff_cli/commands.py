"""The staff command line: `wegwijs staff list | show | claim | unclaim | answer | close`.

What the staff Telegram group does, without Telegram: it works on the database directly
(SQLite or PostgreSQL, DATABASE_URL), so it needs no running gateway. An answer is written
with its delivery job in one transaction (bot/escalation/tickets.py); the gateway's outbox
then delivers it. Staff read and write in Dutch or English (STAFF_LANGUAGE); every text is in
texts/staff_cli.yml. Exit codes: 0 done, 1 refused (a wrong code, state or input: the message
says what to do next), 2 the database could not be used.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from bot.config import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.db.models import Ticket

from bot.staff_cli.answer_text import answer_text
from bot.staff_cli.texts import Refused, StaffTexts
from bot.staff_cli.views import (
    NAME_LIMIT,
    explain,
    format_table,
    format_ticket,
    indent,
    parse_age,
    printable,
    refusal,
    shown_code,
)

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_DATABASE = 2
STATE_CHOICES = ("open", "claimed", "answered", "closed", "all")
LIST_LIMIT = 200
T = TypeVar("T")


# --- arguments -------------------------------------------------------------------------------


def _help_language() -> str:
    try:
        return load_settings().staff_language
    except Exception:  # a broken setting is reported when the command runs, not in --help
        return "nl"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`wegwijs staff`'s subcommands (called by bot/__main__.py)."""
    texts = StaffTexts.load(_help_language())

    def helped(key: str) -> str:
        return texts.section("help", key)

    parser.description = helped("staff")
    sub = parser.add_subparsers(dest="staff_command", required=True, metavar="COMMAND")

    listing = sub.add_parser("list", help=helped("list"), description=helped("list"))
    listing.add_argument(
        "--state", action="append", choices=STATE_CHOICES, default=None, help=helped("state")
    )
    listing.add_argument("--language", choices=("uk", "en", "nl"), help=helped("language"))
    listing.add_argument("--topic", help=helped("topic"))
    listing.add_argument("--older-than", metavar="AGE", help=helped("older_than"))

    for name in ("show", "claim", "unclaim", "answer", "close"):
        command = sub.add_parser(name, help=helped(name), description=helped(name))
        command.add_argument("code", metavar="CODE", help=helped("code"))
        if name in ("claim", "answer"):
            command.add_argument("--as", dest="staff_name", metavar="NAME", help=helped("as"))
            command.add_argument("--force", action="store_true", help=helped("force"))
        if name == "answer":
            command.add_argument("--text", help=helped("text"))


# --- running ---------------------------------------------------------------------------------


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Runs one staff command; prints the outcome; returns the exit code."""
    from sqlalchemy.exc import SQLAlchemyError

    texts = StaffTexts.load(settings.staff_language, settings.project_root)
    commands: dict[str, Callable[[Settings, argparse.Namespace, StaffTexts], int]] = {
        "list": _list,
        "show": _show,
        "claim": _claim,
        "unclaim": _unclaim,
        "answer": _answer,
        "close": _close,
    }
    try:
        return commands[args.staff_command](settings, args, texts)
    except Refused as refusal:
        print(str(refusal), file=sys.stderr)
        return EXIT_REFUSED
    except (SQLAlchemyError, OSError) as error:
        print(texts("error_database", url=_safe_url(settings)), file=sys.stderr)
        print(f"  ({type(error).__name__}: {str(error).splitlines()[0][:200]})", file=sys.stderr)
        return EXIT_DATABASE


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(settings.effective_database_url).render_as_string(hide_password=True)
    except Exception:
        return "DATABASE_URL"


def _with_session(
    settings: Settings, work: Callable[[AsyncSession], Awaitable[T]], *, write: bool = False
) -> T:
    from bot.db.session import run_session

    return run_session(settings.effective_database_url, work, write=write)


async def _find(session: AsyncSession, code: str, texts: StaffTexts) -> Ticket:
    from bot.escalation import desk

    try:
        return await desk.find(session, code=code)
    except desk.TicketMissing:
        raise Refused(texts("error_not_found", code=shown_code(code))) from None


def _staff_name(args: argparse.Namespace, texts: StaffTexts) -> str:
    name = " ".join(
        printable(args.staff_name or os.environ.get("WEGWIJS_STAFF_NAME") or "").split()
    )
    if not name:
        raise Refused(texts("error_no_name"))
    if len(name) > NAME_LIMIT:
        raise Refused(texts("error_name_too_long", limit=NAME_LIMIT))
    return name


def _refuse_if_needed(
    ticket: Ticket,
    action: str,
    texts: StaffTexts,
    settings: Settings,
    *,
    staff: str | None = None,
    force: bool = False,
) -> None:
    why = refusal(ticket, action, texts, staff=staff, force=force, zone=settings.zone)
    if why is not None:
        raise Refused(why)


# --- the commands ----------------------------------------------------------------------------


def _list(settings: Settings, args: argparse.Namespace, texts: StaffTexts) -> int:
    from bot.escalation import tickets

    states: Sequence[str] = args.state or tickets.WAITING
    if "all" in states:
        states = ()
    older = parse_age(args.older_than, texts) if args.older_than else None

    async def work(session: AsyncSession) -> list[Ticket]:
        return await tickets.list_tickets(
            session,
            states=states,
            language=args.language,
            topic=args.topic,
            older_than=older,
            limit=LIST_LIMIT + 1,
        )

    found = _with_session(settings, work)
    if not found:
        print(texts("none_found"))
        return EXIT_OK
    shown = found[:LIST_LIMIT]
    print(format_table(shown, texts, now=_now()))
    print()
    print(texts("count", count=len(shown)), end="")
    if any(ticket.urgent for ticket in shown):
        print("  " + texts("urgent_mark"), end="")
    print()
    if len(found) > LIST_LIMIT:
        print(texts("truncated", count=LIST_LIMIT))
    return EXIT_OK


def _show(settings: Settings, args: argparse.Namespace, texts: StaffTexts) -> int:
    async def work(session: AsyncSession) -> Ticket:
        return await _find(session, args.code, texts)

    ticket = _with_session(settings, work)
    from bot.translation.staff import question_with_settings

    translation = asyncio.run(
        question_with_settings(
            settings, ticket.question, source=ticket.language, target=texts.language
        )
    )
    print(
        format_ticket(
            ticket,
            texts,
            zone=settings.zone,
            now=_now(),
            translation=translation,
            translated_answers=bool(settings.translation_url.strip()),
        )
    )
    return EXIT_OK


def _claim(settings: Settings, args: argparse.Namespace, texts: StaffTexts) -> int:
    from bot.escalation import desk
    from bot.escalation.tickets import display_code

    staff = _staff_name(args, texts)

    async def work(session: AsyncSession) -> desk.Claimed:
        ticket = await _find(session, args.code, texts)
        return await _decided(
            desk.claim(session, ticket_id=ticket.id, staff=staff, force=args.force),
            texts,
            settings,
        )

    claimed = _with_session(settings, work, write=True)
    key = "claimed" if claimed.changed else "already_yours"
    print(texts(key, code=display_code(claimed.ticket.code), who=staff))
    return EXIT_OK


def _unclaim(settings: Settings, args: argparse.Namespace, texts: StaffTexts) -> int:
    """Anyone may hand a ticket back from the command line (a colleague who is away)."""
    from bot.escalation import desk

    def release(session: AsyncSession, ticket: Ticket) -> Awaitable[Ticket]:
        return desk.release(session, ticket_id=ticket.id, staff=_cli_staff(args), force=True)

    return _change_state(settings, args, texts, release, done="unclaimed")


def _close(settings: Settings, args: argparse.Namespace, texts: StaffTexts) -> int:
    from bot.escalation import desk

    def close(session: AsyncSession, ticket: Ticket) -> Awaitable[Ticket]:
        return desk.close(session, ticket_id=ticket.id, staff=_cli_staff(args))

    return _change_state(settings, args, texts, close, done="closed")


def _cli_staff(args: argparse.Namespace) -> str:
    """The name for a change that needs none (unclaim, close): --as or WEGWIJS_STAFF_NAME
    where given."""
    given = getattr(args, "staff_name", None) or os.environ.get("WEGWIJS_STAFF_NAME") or ""
    return " ".join(printable(given).split())[:NAME_LIMIT]


def _change_state(
    settings: Settings,
    args: argparse.Namespace,
    texts: StaffTexts,
    change: Callable[[AsyncSession, Ticket], Awaitable[Ticket]],
    *,
    done: str,
) -> int:
    """A state change that needs no text (unclaim, close): checked, applied, said."""
    from bot.escalation.tickets import display_code

    async def work(session: AsyncSession) -> str:
        ticket = await _find(session, args.code, texts)
        changed = await _decided(change(session, ticket), texts, settings)
        return changed.code

    code = _with_session(settings, work, write=True)
    print(texts(done, code=display_code(code)))
    return EXIT_OK


def _answer(settings: Settings, args: argparse.Namespace, texts: StaffTexts) -> int:
    """Checks first (so nobody writes an answer for nothing), then takes the text, then
    stores it and its delivery job in one transaction, where the desk checks again (a
    colleague may have answered meanwhile)."""
    from bot.escalation import desk
    from bot.escalation.tickets import display_code

    staff = _staff_name(args, texts)

    async def check(session: AsyncSession) -> Ticket:
        ticket = await _find(session, args.code, texts)
        _refuse_if_needed(ticket, "answer", texts, settings, staff=staff, force=args.force)
        return ticket

    ticket = _with_session(settings, check)
    text = answer_text(args, ticket, texts)
    from bot.escalation.delivery import ticket_language
    from bot.translation.staff import answer_with_settings

    newcomer = asyncio.run(answer_with_settings(settings, text, language=ticket_language(ticket)))
    text = newcomer.text

    async def store(session: AsyncSession) -> Ticket:
        current = await _find(session, ticket.code, texts)
        return await _decided(
            desk.answer(session, ticket_id=current.id, staff=staff, text=text, force=args.force),
            texts,
            settings,
        )

    answered = _with_session(settings, store, write=True)
    print(
        texts(
            "answered",
            code=display_code(answered.code),
            language=texts.section("languages", answered.language),
        )
    )
    if newcomer.failure is not None:
        print(texts("answer_not_translated"))
    elif newcomer.machine_translated:
        print(texts("answer_translated") + "\n" + indent(newcomer.text))
    return EXIT_OK


async def _decided(change: Awaitable[T], texts: StaffTexts, settings: Settings) -> T:
    """A change by the desk; its refusal in the staff language (said while the session still
    holds the ticket)."""
    from bot.escalation import desk

    try:
        return await change
    except desk.Refusal as refused:
        raise Refused(explain(refused, texts, zone=settings.zone)) from None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
