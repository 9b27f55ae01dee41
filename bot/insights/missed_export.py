"""The groups of missed questions as CSV (GET /staff/insights/missed.csv): one row per group,
safe to open in a spreadsheet (no cell is read as a formula) and with a byte-order mark, so
Excel reads the Ukrainian as UTF-8."""

from __future__ import annotations

import csv
import io
from typing import Final

from bot.insights.missed import MissedReport
from bot.language import SUPPORTED as LANGUAGES

BOM: Final = "\ufeff"
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
SEPARATOR: Final = " | "


def spreadsheet_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a quote."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def missed_csv(report: MissedReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["group", "size", *LANGUAGES, "examples", "entries_offered", "staff_answers"])
    for number, group in enumerate(report.groups, start=1):
        counts = dict(group.languages)
        writer.writerow(
            [
                number,
                group.size,
                *(counts.get(language, 0) for language in LANGUAGES),
                spreadsheet_cell(SEPARATOR.join(example.text for example in group.examples)),
                spreadsheet_cell(
                    SEPARATOR.join(f"{e.title} ({e.entry_id}) x{e.count}" for e in group.entries)
                ),
                spreadsheet_cell(SEPARATOR.join(answer.text for answer in group.answers)),
            ]
        )
    return BOM + out.getvalue()
