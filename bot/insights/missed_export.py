"""The groups of missed questions as CSV (GET /staff/insights/missed.csv): one row per group,
safe to open in a spreadsheet (no cell is read as a formula) and with a byte-order mark, so
Excel reads the Ukrainian as UTF-8."""

from __future__ import annotations

from typing import Final

from bot.insights.export import Cell, csv_text
from bot.insights.missed import MissedReport
from bot.language import SUPPORTED as LANGUAGES

SEPARATOR: Final = " | "


def missed_csv(report: MissedReport) -> str:
    header = ["group", "size", *LANGUAGES, "examples", "entries_offered", "staff_answers"]
    rows: list[list[Cell]] = []
    for number, group in enumerate(report.groups, start=1):
        counts = dict(group.languages)
        rows.append([
            number,
            group.size,
            *(counts.get(language, 0) for language in LANGUAGES),
            SEPARATOR.join(example.text for example in group.examples),
            SEPARATOR.join(f"{e.title} ({e.entry_id}) x{e.count}" for e in group.entries),
            SEPARATOR.join(answer.text for answer in group.answers),
        ])  # fmt: skip
    return csv_text(header, rows)
