"""An FAQ answer as the user sees it: audience note, answer, sources and review date."""

from __future__ import annotations

import datetime as dt

from bot.faq.schema import Entry
from bot.language import Language
from bot.texts import Texts


def format_date(day: dt.date, language: Language, texts: Texts) -> str:
    month = texts.faq_labels["months"][language][day.month - 1]
    return f"{day.day} {month} {day.year}"


def answer_text(entry: Entry, language: Language, texts: Texts) -> str:
    labels = texts.faq_labels
    parts: list[str] = []
    notes = [labels["audience"][a][language] for a in entry.audiences if a != "everyone"]
    if notes:
        parts.append(" ".join(notes))
    parts.append(entry.answer.get(language).strip())
    sources = "\n".join(
        f"- {source.name}: {source.url}" for source in entry.sources if source.shown_in(language)
    )
    parts.append(f"{labels['sources'][language]}\n{sources}")
    reviewed = labels["reviewed"][language].format(
        date=format_date(entry.reviewed, language, texts)
    )
    parts.append(reviewed)
    return "\n\n".join(parts)
