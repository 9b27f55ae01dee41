"""What the staff CLI prints: the ticket list, one ticket, a refusal of the desk, ages and
dates, all in the staff language; a newcomer's text without control characters."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.db.models import as_utc

if TYPE_CHECKING:
    from bot.db.models import Ticket
    from bot.translation import Translation

from bot.staff_cli.texts import Refused, StaffTexts

DATE_FORMAT = "%Y-%m-%d %H:%M"
DURATION = re.compile(r"^\s*(\d+)\s*([mhud]|w)\s*$", re.IGNORECASE)
DURATION_UNITS = {"m": 60, "h": 3600, "u": 3600, "d": 86400, "w": 7 * 86400}  # "u": uur
NAME_LIMIT = 80  # Ticket.claimed_by / answered_by
PREVIEW_MIN = 20


def shown_code(typed: str) -> str:
    from bot.escalation.tickets import CODE_LENGTH, display_code, normalize_code

    code = normalize_code(typed)
    return display_code(code) if len(code) == CODE_LENGTH else printable(typed.strip())


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
    """Why `action` cannot be done to the ticket now (None when it can), by the desk's rules
    (bot/escalation/desk.py): the state, who and when, and what to do instead."""
    from bot.escalation import desk

    try:
        desk.check(ticket, action, staff=staff, force=force)
    except desk.Refusal as refused:
        return explain(refused, texts, zone=zone or ZoneInfo("Europe/Amsterdam"))
    return None


def explain(refused: Exception, texts: StaffTexts, *, zone: ZoneInfo) -> str:
    """A refusal of the desk in the staff language."""
    from bot.escalation import desk
    from bot.escalation.tickets import display_code

    ticket = refused.ticket if isinstance(refused, desk.Refusal) else None
    if ticket is None:
        return texts("error_not_found", code="?")
    code = display_code(ticket.code)
    assert isinstance(refused, desk.Refusal)
    who = refused.who or texts("unknown")
    if isinstance(refused, desk.TicketClosed):
        return texts("error_closed", code=code, date=moment_text(refused.when, zone, texts))
    if isinstance(refused, desk.AlreadyAnswered):
        return texts(
            "error_already_answered",
            code=code,
            who=who,
            date=moment_text(refused.when, zone, texts),
        )
    if isinstance(refused, desk.ClaimedByOther):
        return texts(
            "error_claimed_by_other",
            code=code,
            who=who,
            date=moment_text(refused.when, zone, texts),
        )
    if isinstance(refused, desk.NotClaimed):
        return texts("error_not_claimed", code=code, state=texts.section("states", ticket.state))
    if isinstance(refused, desk.EmptyAnswer):
        return texts("error_empty_answer")
    return texts("error_state", code=code, state=texts.section("states", ticket.state))


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
            printable(ticket.answered_by or ticket.claimed_by or "-"),
            " ".join(printable(ticket.question).split()),
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
            f"{moment_text(ticket.created_at, zone, texts)} "
            f"({texts('ago', age=format_age(now - as_utc(ticket.created_at), texts))})",
        ),
    ]
    if ticket.expected_by is not None:
        expected = moment_text(ticket.expected_by, zone, texts)
        if ticket.state in ("open", "claimed") and as_utc(ticket.expected_by) < now:
            expected += " " + texts("overdue")
        fields.append((texts("field_expected"), expected))
    fields.append(
        (texts("field_claimed"), by_on(ticket.claimed_by, ticket.claimed_at, zone, texts))
    )
    fields.append(
        (texts("field_answered"), by_on(ticket.answered_by, ticket.answered_at, zone, texts))
    )
    fields.append(
        (
            texts("field_delivery"),
            texts.section(
                "delivery",
                ticket.delivery_state,
                date=moment_text(ticket.delivered_at, zone, texts),
            ),
        )
    )
    if ticket.state in ("answered", "closed") or ticket.solved is not None:
        solved = {True: texts("yes"), False: texts("no"), None: texts("not_asked")}[ticket.solved]
        fields.append((texts("field_solved"), solved))
    if ticket.closed_at is not None:
        fields.append((texts("field_closed"), moment_text(ticket.closed_at, zone, texts)))

    width = max(len(label) for label, _ in fields) + 1
    lines = [title, "=" * len(title)]
    lines += [f"{(label + ':').ljust(width)} {value}" for label, value in fields]
    if translation is not None:
        lines += ["", texts("section_question_translated") + ":", indent(translation.text)]
    lines += ["", texts("section_question") + ":", indent(ticket.question)]
    lines += ["", texts("section_excerpt") + ":"]
    excerpt = excerpt_from_json(ticket.excerpt)
    if not excerpt:
        lines.append("  " + texts("no_excerpt"))
    for line in excerpt:
        sender = texts.section("senders", line.sender)
        lines.append(indent(line.text, first=f"  {sender}: ", rest="    "))
    if ticket.answer:
        lines += ["", texts("section_answer") + ":", indent(ticket.answer)]
    if ticket.state == "open":
        lines += ["", texts("next_open", code=code)]
    elif ticket.state == "claimed":
        lines += ["", texts("next_claimed", code=code)]
    return "\n".join(lines)


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


def by_on(who: str | None, when: dt.datetime | None, zone: ZoneInfo, texts: StaffTexts) -> str:
    if not who:
        return texts("nobody")
    return texts("by_on", who=printable(who), date=moment_text(when, zone, texts))


def moment_text(moment: dt.datetime | None, zone: ZoneInfo, texts: StaffTexts) -> str:
    if moment is None:
        return texts("unknown")
    return as_utc(moment).astimezone(zone).strftime(DATE_FORMAT)


def printable(text: str, keep: str = "\n") -> str:
    """Without control characters: a newcomer's text must not drive the staff terminal."""
    return "".join(ch if unicodedata.category(ch)[0] != "C" or ch in keep else " " for ch in text)


def indent(text: str, *, first: str = "  ", rest: str = "  ") -> str:
    lines = printable(text).strip().splitlines() or [""]
    return "\n".join([first + lines[0], *(rest + line for line in lines[1:])])
