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
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import yaml

from bot.config import PROJECT_ROOT, Settings, load_settings
from bot.db.models import as_utc

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.db.models import Ticket
    from bot.translation import Translation

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_DATABASE = 2
STATE_CHOICES = ("open", "claimed", "answered", "closed", "all")
NAME_LIMIT = 80  # Ticket.claimed_by / answered_by
LIST_LIMIT = 200
PREVIEW_MIN = 20
DATE_FORMAT = "%Y-%m-%d %H:%M"
DURATION = re.compile(r"^\s*(\d+)\s*([mhud]|w)\s*$", re.IGNORECASE)
DURATION_UNITS = {"m": 60, "h": 3600, "u": 3600, "d": 86400, "w": 7 * 86400}  # "u": uur
T = TypeVar("T")


class Refused(Exception):
    """The command cannot be done; the message (in the staff language) says what to do."""


@cache
def _table(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((root / "texts" / "staff_cli.yml").read_text("utf-8"))
    return data


@dataclass(frozen=True)
class StaffTexts:
    """texts/staff_cli.yml in one staff language (nl or en)."""

    language: str
    table: dict[str, Any]

    @classmethod
    def load(cls, language: str, root: Path = PROJECT_ROOT) -> StaffTexts:
        return cls(language=language if language in ("nl", "en") else "nl", table=_table(root))

    def __call__(self, key: str, **values: object) -> str:
        template = self.table["messages"][key][self.language]
        return str(template).format(**values) if values else str(template)

    def section(self, section: str, key: str, **values: object) -> str:
        entry = self.table[section].get(key)
        if entry is None:
            return key
        return str(entry[self.language]).format(**values) if values else str(entry[self.language])

    def header(self) -> list[str]:
        return [str(cell) for cell in self.table["messages"]["table_header"][self.language]]


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
    """Runs `work` in one session (one transaction when it writes) on a fresh engine."""
    from bot.db.session import make_engine, make_sessionmaker

    async def main() -> T:
        engine = make_engine(settings.effective_database_url)
        try:
            sessions = make_sessionmaker(engine)
            if write:
                async with sessions.begin() as session:
                    return await work(session)
            async with sessions() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(main())


async def _find(session: AsyncSession, code: str, texts: StaffTexts) -> Ticket:
    from bot.escalation import tickets

    try:
        return await tickets.get_ticket(session, code, for_update=True)
    except tickets.TicketNotFound:
        raise Refused(texts("error_not_found", code=_shown_code(code))) from None


def _shown_code(typed: str) -> str:
    from bot.escalation.tickets import CODE_LENGTH, display_code, normalize_code

    code = normalize_code(typed)
    return display_code(code) if len(code) == CODE_LENGTH else _printable(typed.strip())


def _staff_name(args: argparse.Namespace, texts: StaffTexts) -> str:
    name = " ".join(
        _printable(args.staff_name or os.environ.get("WEGWIJS_STAFF_NAME") or "").split()
    )
    if not name:
        raise Refused(texts("error_no_name"))
    if len(name) > NAME_LIMIT:
        raise Refused(texts("error_name_too_long", limit=NAME_LIMIT))
    return name


# --- what can be done with a ticket, in the staff language -----------------------------------


def refusal(
    ticket: Ticket,
    action: str,
    texts: StaffTexts,
    *,
    staff: str | None = None,
    force: bool = False,
    zone: ZoneInfo | None = None,
) -> str | None:
    """Why `action` cannot be done to the ticket now (None when it can): the state, who and
    when, and what to do instead."""
    from bot.escalation.tickets import display_code

    code = display_code(ticket.code)
    zone = zone or ZoneInfo("Europe/Amsterdam")
    if ticket.state == "closed":
        return texts("error_closed", code=code, date=_date(ticket.closed_at, zone, texts))
    from bot.escalation.tickets import awaits_resend

    second_try = action == "answer" and awaits_resend(ticket)
    if action in ("claim", "answer") and ticket.state == "answered" and not second_try:
        return texts(
            "error_already_answered",
            code=code,
            who=ticket.answered_by or texts("unknown"),
            date=_date(ticket.answered_at, zone, texts),
        )
    if (
        action in ("claim", "answer")
        and ticket.state == "claimed"
        and ticket.claimed_by != staff
        and not force
    ):
        return texts(
            "error_claimed_by_other",
            code=code,
            who=ticket.claimed_by or texts("unknown"),
            date=_date(ticket.claimed_at, zone, texts),
        )
    if action == "unclaim" and ticket.state != "claimed":
        return texts("error_not_claimed", code=code, state=texts.section("states", ticket.state))
    return None


def _refuse_if_needed(
    ticket: Ticket,
    action: str,
    texts: StaffTexts,
    settings: Settings,
    *,
    staff: str | None = None,
    force: bool = False,
) -> None:
    why = refusal(ticket, action, texts, staff=staff, force=force, zone=_zone(settings))
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


def format_table(found: Sequence[Ticket], texts: StaffTexts, *, now: dt.datetime) -> str:
    """One line per ticket; the question preview takes the width that is left."""
    from bot.escalation.tickets import display_code

    rows = [
        [
            ("!" if ticket.urgent else " ") + display_code(ticket.code),
            texts.section("states", ticket.state),
            ticket.language,
            ticket.topic or "-",
            format_age(now - as_utc(ticket.created_at), texts),
            _printable(ticket.answered_by or ticket.claimed_by or "-"),
            " ".join(_printable(ticket.question).split()),
        ]
        for ticket in found
    ]
    header = texts.header()
    header[0] = " " + header[0]  # the codes have a column for the urgent mark
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    used = sum(widths) + 2 * len(widths)
    room = max(PREVIEW_MIN, shutil.get_terminal_size((120, 24)).columns - used - 1)
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        question = row[-1] if len(row[-1]) <= room else row[-1][: room - 1] + "…"
        lines.append("  ".join([*cells, question]).rstrip())
    return "\n".join(lines)


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
    translates = bool(settings.translation_url.strip())
    print(
        format_ticket(
            ticket,
            texts,
            zone=_zone(settings),
            now=_now(),
            translation=translation,
            translated_answers=translates,
        )
    )
    return EXIT_OK


def format_ticket(
    ticket: Ticket,
    texts: StaffTexts,
    *,
    zone: ZoneInfo,
    now: dt.datetime,
    translation: Translation | None = None,
    translated_answers: bool = False,
) -> str:
    """Everything staff need to answer: the language first, then the question and context."""
    from bot.escalation.tickets import display_code, excerpt_from_json

    code = display_code(ticket.code)
    title = texts("show_title", code=code, state=texts.section("states", ticket.state))
    if ticket.urgent:
        title += f"   [{texts('urgent')}]"
    language_name = texts.section("languages", ticket.language)
    fields: list[tuple[str, str]] = [
        (
            texts("field_language"),
            texts(
                "language_note_translated" if translated_answers else "language_note",
                name=language_name,
                code=ticket.language,
            ),
        ),
        (texts("field_channel"), texts.section("channels", ticket.channel)),
        (texts("field_topic"), ticket.topic or "-"),
        (
            texts("field_asked"),
            f"{_date(ticket.created_at, zone, texts)} "
            f"({texts('ago', age=format_age(now - as_utc(ticket.created_at), texts))})",
        ),
    ]
    if ticket.expected_by is not None:
        expected = _date(ticket.expected_by, zone, texts)
        if ticket.state in ("open", "claimed") and as_utc(ticket.expected_by) < now:
            expected += " " + texts("overdue")
        fields.append((texts("field_expected"), expected))
    fields.append(
        (texts("field_claimed"), _by_on(ticket.claimed_by, ticket.claimed_at, zone, texts))
    )
    fields.append(
        (texts("field_answered"), _by_on(ticket.answered_by, ticket.answered_at, zone, texts))
    )
    fields.append(
        (
            texts("field_delivery"),
            texts.section(
                "delivery", ticket.delivery_state, date=_date(ticket.delivered_at, zone, texts)
            ),
        )
    )
    if ticket.state in ("answered", "closed") or ticket.solved is not None:
        solved = {True: texts("yes"), False: texts("no"), None: texts("not_asked")}[ticket.solved]
        fields.append((texts("field_solved"), solved))
    if ticket.closed_at is not None:
        fields.append((texts("field_closed"), _date(ticket.closed_at, zone, texts)))

    width = max(len(label) for label, _ in fields) + 1
    lines = [title, "=" * len(title)]
    lines += [f"{(label + ':').ljust(width)} {value}" for label, value in fields]
    if translation is not None:
        lines += ["", texts("section_question_translated") + ":", _indent(translation.text)]
    lines += ["", texts("section_question") + ":", _indent(ticket.question)]
    lines += ["", texts("section_excerpt") + ":"]
    excerpt = excerpt_from_json(ticket.excerpt)
    if not excerpt:
        lines.append("  " + texts("no_excerpt"))
    for line in excerpt:
        sender = texts.section("senders", line.sender)
        lines.append(_indent(line.text, first=f"  {sender}: ", rest="    "))
    if ticket.answer:
        lines += ["", texts("section_answer") + ":", _indent(ticket.answer)]
    if ticket.state == "open":
        lines += ["", texts("next_open", code=code)]
    elif ticket.state == "claimed":
        lines += ["", texts("next_claimed", code=code)]
    return "\n".join(lines)


def _claim(settings: Settings, args: argparse.Namespace, texts: StaffTexts) -> int:
    from bot.escalation import tickets

    staff = _staff_name(args, texts)

    async def work(session: AsyncSession) -> tuple[str, bool]:
        ticket = await _find(session, args.code, texts)
        _refuse_if_needed(ticket, "claim", texts, settings, staff=staff, force=args.force)
        if ticket.state == "claimed" and ticket.claimed_by == staff:
            return ticket.code, False
        await _apply(tickets.claim(session, code=ticket.code, staff=staff), ticket, texts)
        return ticket.code, True

    code, changed = _with_session(settings, work, write=True)
    key = "claimed" if changed else "already_yours"
    print(texts(key, code=tickets.display_code(code), who=staff))
    return EXIT_OK


def _unclaim(settings: Settings, args: argparse.Namespace, texts: StaffTexts) -> int:
    from bot.escalation import tickets

    return _change_state(settings, args, texts, "unclaim", tickets.unclaim, done="unclaimed")


def _close(settings: Settings, args: argparse.Namespace, texts: StaffTexts) -> int:
    from bot.escalation import tickets

    return _change_state(settings, args, texts, "close", tickets.close, done="closed")


def _change_state(
    settings: Settings,
    args: argparse.Namespace,
    texts: StaffTexts,
    action: str,
    change: Callable[..., Awaitable[Ticket]],
    *,
    done: str,
) -> int:
    """A state change that needs no name and no text (unclaim, close): checked, applied, said."""
    from bot.escalation.tickets import display_code

    async def work(session: AsyncSession) -> str:
        ticket = await _find(session, args.code, texts)
        _refuse_if_needed(ticket, action, texts, settings)
        await _apply(change(session, code=ticket.code), ticket, texts)
        return ticket.code

    code = _with_session(settings, work, write=True)
    print(texts(done, code=display_code(code)))
    return EXIT_OK


def _answer(settings: Settings, args: argparse.Namespace, texts: StaffTexts) -> int:
    """Checks first (so nobody writes an answer for nothing), then takes the text, then
    stores it and its delivery job in one transaction, checking again (a colleague may have
    answered meanwhile)."""
    from bot.escalation import tickets

    staff = _staff_name(args, texts)

    async def check(session: AsyncSession) -> Ticket:
        ticket = await _find(session, args.code, texts)
        _refuse_if_needed(ticket, "answer", texts, settings, staff=staff, force=args.force)
        return ticket

    ticket = _with_session(settings, check)
    from bot.escalation.delivery import ticket_language
    from bot.translation.staff import answer_with_settings

    text = _answer_text(args, ticket, texts)
    newcomer = asyncio.run(answer_with_settings(settings, text, language=ticket_language(ticket)))
    text = newcomer.text

    async def store(session: AsyncSession) -> Ticket:
        current = await _find(session, ticket.code, texts)
        _refuse_if_needed(current, "answer", texts, settings, staff=staff, force=args.force)
        return await _apply(
            tickets.answer(session, code=current.code, staff=staff, text=text), current, texts
        )

    answered = _with_session(settings, store, write=True)
    print(
        texts(
            "answered",
            code=tickets.display_code(answered.code),
            language=texts.section("languages", answered.language),
        )
    )
    if newcomer.failure is not None:
        print(texts("answer_not_translated"))
    elif newcomer.machine_translated:
        print(texts("answer_translated") + "\n" + _indent(newcomer.text))
    return EXIT_OK


async def _apply(change: Awaitable[T], ticket: Ticket, texts: StaffTexts) -> T:
    """A change from bot/escalation/tickets.py; its refusal (a race the checks above did
    not see) in the staff language."""
    from bot.escalation.tickets import TicketError, display_code

    try:
        return await change
    except TicketError:
        raise Refused(
            texts(
                "error_state",
                code=display_code(ticket.code),
                state=texts.section("states", ticket.state),
            )
        ) from None


def _answer_text(args: argparse.Namespace, ticket: Ticket, texts: StaffTexts) -> str:
    """--text, else stdin when it is not a terminal, else the staff member's editor."""
    from bot.escalation.tickets import display_code

    code = display_code(ticket.code)
    if args.text is not None and args.text != "-":
        text = args.text
    elif args.text == "-" or not sys.stdin.isatty():
        text = sys.stdin.read()
    else:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not editor:
            raise Refused(texts("error_no_text_source", code=code))
        text = _from_editor(editor, ticket, texts)
    cleaned = _printable(text, keep="\n\t").strip()
    if not cleaned:
        raise Refused(texts("error_empty_answer"))
    return cleaned


def _from_editor(editor: str, ticket: Ticket, texts: StaffTexts) -> str:
    from bot.escalation.tickets import display_code

    question = "\n".join("#   " + line for line in _printable(ticket.question).splitlines())
    template = texts(
        "editor_template",
        code=display_code(ticket.code),
        language=texts.section("languages", ticket.language),
        question=question,
    )
    with tempfile.TemporaryDirectory(prefix="wegwijs-answer-") as folder:
        path = Path(folder) / f"answer-{ticket.code}.txt"
        path.write_text(template + "\n\n", encoding="utf-8")
        result = subprocess.run([*shlex.split(editor), str(path)], check=False)
        if result.returncode != 0:
            raise Refused(texts("error_editor", editor=editor))
        written = path.read_text(encoding="utf-8")
    return "\n".join(line for line in written.splitlines() if not line.startswith("#"))


# --- formatting ------------------------------------------------------------------------------


def parse_age(value: str, texts: StaffTexts) -> dt.timedelta:
    """ "30m", "2h" (or "2u"), "3d", "1w"."""
    match = DURATION.match(value)
    if match is None or int(match[1]) <= 0:
        raise Refused(texts("error_older_than", value=value))
    return dt.timedelta(seconds=int(match[1]) * DURATION_UNITS[match[2].lower()])


def format_age(age: dt.timedelta, texts: StaffTexts) -> str:
    units = texts.table["units"][texts.language]
    minutes = max(0, int(age.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}{units['m']}"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}{units['h']} {minutes:02d}{units['m']}"
    days, hours = divmod(hours, 24)
    return f"{days}{units['d']} {hours}{units['h']}"


def _by_on(who: str | None, when: dt.datetime | None, zone: ZoneInfo, texts: StaffTexts) -> str:
    if not who:
        return texts("nobody")
    return texts("by_on", who=_printable(who), date=_date(when, zone, texts))


def _date(moment: dt.datetime | None, zone: ZoneInfo, texts: StaffTexts) -> str:
    if moment is None:
        return texts("unknown")
    return as_utc(moment).astimezone(zone).strftime(DATE_FORMAT)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _zone(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.timezone)


def _printable(text: str, keep: str = "\n") -> str:
    """Without control characters: a newcomer's text must not drive the staff terminal."""
    return "".join(ch if unicodedata.category(ch)[0] != "C" or ch in keep else " " for ch in text)


def _indent(text: str, *, first: str = "  ", rest: str = "  ") -> str:
    lines = _printable(text).strip().splitlines() or [""]
    return "\n".join([first + lines[0], *(rest + line for line in lines[1:])])
