"""The privacy statement page, rendered from texts/privacy.yml (every string escaped)."""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path
from typing import Any

from bot.language import Language
from bot.municipality import DEFAULT_MUNICIPALITY
from bot.texts import municipality_slots, read_filled

URL = re.compile(r"https://[^\s<]+[^\s<.,;:!?)]")
PLACEHOLDER = re.compile(r"\[\[([a-z_]+)\]\]")


def read_privacy(root: Path, municipality: str = DEFAULT_MUNICIPALITY) -> dict[str, Any]:
    """texts/privacy.yml, naming the municipality of the layer (its slots filled; raises
    bot.texts.TextsError)."""
    loaded: dict[str, Any] = read_filled(root, "privacy", municipality_slots(root, municipality))
    return loaded


@cache
def load_privacy(root: Path, municipality: str = DEFAULT_MUNICIPALITY) -> dict[str, Any]:
    return read_privacy(root, municipality)


def _paragraph(text: str, links: dict[str, str]) -> str:
    filled = PLACEHOLDER.sub(lambda m: links.get(m[1], m[0]), text)
    escaped = html.escape(filled)
    return URL.sub(lambda m: f'<a href="{m[0]}">{m[0]}</a>', escaped)


def render_privacy(
    root: Path,
    language: Language,
    links: dict[str, str],
    municipality: str = DEFAULT_MUNICIPALITY,
) -> str:
    page = load_privacy(root, municipality)
    title = html.escape(page["title"][language])
    sections = "\n".join(
        f"<h2>{html.escape(section['heading'][language])}</h2>\n"
        f"<p>{_paragraph(section['text'][language], links)}</p>"
        for section in page["sections"]
    )
    switch = " · ".join(
        f'<a href="/privacy?lang={code}" lang="{code}">{name}</a>'
        for code, name in (("nl", "Nederlands"), ("en", "English"), ("uk", "Українська"))
    )
    return f"""<!doctype html>
<html lang="{language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;
padding:0 1.25rem;line-height:1.6;color:#1a1a1a}}
a{{color:#00467f}} nav{{margin-bottom:1.5rem}}</style></head>
<body><nav aria-label="Language">{switch}</nav><main><h1>{title}</h1>
{sections}
</main></body></html>"""
