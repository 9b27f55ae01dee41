"""The editors' tables as CSV: safe to open in a spreadsheet (a text cell that starts like a
formula gets a quote in front, so it is shown, never run) and with a byte-order mark, so
Excel reads Ukrainian and Dutch letters as UTF-8. Column names are stable identifiers (a
spreadsheet or script that reads them does not change with the employee's language).

Only counts, ids, titles and dates: no newcomer's words are in these tables."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Final

from bot.insights.entry_stats import EntryReport
from bot.insights.review_due import ReviewReport

BOM: Final = "\ufeff"
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | dt.date | None

ENTRY_COLUMNS: Final = (
    "entry_id", "topic", "title", "answered", "offered", "chosen", "helpful", "not_helpful",
    "not_helpful_percent", "escalated_after", "in_knowledge_base",
)  # fmt: skip
REVIEW_COLUMNS: Final = (
    "kind", "entry_id", "topic", "title", "file", "reviewed", "review_due", "days_overdue",
    "source_name", "source_url", "source_review", "source_seen", "dead_links", "link_status",
    "link_error", "link_checked_at",
)  # fmt: skip


def spreadsheet_cell(value: Cell) -> str | int | float:
    """Numbers stay numbers (a negative count of days is no formula); text that starts like
    a formula gets a quote; a date is written as YYYY-MM-DD; nothing is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_cell(value) for value in row])
    return BOM + out.getvalue()


def entries_csv(report: EntryReport) -> str:
    """The table as the page sorts it."""
    return csv_text(
        ENTRY_COLUMNS,
        (
            (
                row.entry_id,
                row.topic,
                row.title,
                row.answered,
                row.offered,
                row.chosen,
                row.helpful,
                row.not_helpful,
                row.not_helpful_share,
                row.escalated_after,
                row.in_knowledge_base,
            )
            for row in report.rows
        ),
    )


def review_csv(report: ReviewReport) -> str:
    """The entries due first (kind "entry"), then the sources to check (kind "source"), then
    the sources that did not answer at the last link check (kind "dead_link"). An entry's
    `dead_links` is empty when no link check has ever been saved."""
    check = report.link_check
    checked_at = check.checked_at.isoformat(timespec="seconds") if check else None
    rows: list[Sequence[Cell]] = []
    for due in report.entries:
        dates: list[Cell] = [due.reviewed, due.due, due.days_overdue]
        dead: Cell = due.dead_links if check else None
        rows.append(["entry", due.entry_id, due.topic, due.title, due.file, *dates,
                     None, None, None, None, dead, None, None, None])  # fmt: skip
    for source in report.sources:
        checked: list[Cell] = [source.name, source.url, source.review, source.seen]
        rows.append(["source", source.entry_id, source.topic, source.title, source.file,
                     None, None, None, *checked, None, None, None, None])  # fmt: skip
    for link in report.dead_links:
        answer: list[Cell] = [link.status, link.error or None, checked_at]
        rows.append(["dead_link", link.entry_id, link.topic, link.title, link.file,
                     None, None, None, link.name, link.url, None, None, None, *answer])  # fmt: skip
    return csv_text(REVIEW_COLUMNS, rows)
