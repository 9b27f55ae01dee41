"""Long replies in parts that each fit one Telegram message."""

from __future__ import annotations

import re

MESSAGE_LIMIT = 4096  # Telegram's limit, counted in UTF-16 code units
PART_LIMIT = MESSAGE_LIMIT - 1


# From the widest boundary to the narrowest; each keeps its separator (captured) for rejoining.
_BOUNDARIES = (
    re.compile(r"(\n[ \t]*\n\s*)"),  # paragraphs
    re.compile(r"(\n)"),  # lines
    re.compile(r"(?<=[.!?…])([ \t]+)"),  # sentences
    re.compile(r"([ \t]+)"),  # words
)


def utf16_length(text: str) -> int:
    """Telegram measures text in UTF-16 code units: an emoji can count as two."""
    return len(text.encode("utf-16-le")) // 2


def split_message(text: str, *, limit: int = PART_LIMIT) -> list[str]:
    """Parts that each fit one Telegram message, cut at paragraphs, else lines, sentences,
    words, and only as a last resort inside a word."""
    return [part.strip() for part in _split(text.strip(), limit, 0) if part.strip()]


def _split(text: str, limit: int, level: int) -> list[str]:
    if utf16_length(text) <= limit:
        return [text]
    if level == len(_BOUNDARIES):
        return _hard_cut(text, limit)
    tokens = _BOUNDARIES[level].split(text)
    pieces, separators = tokens[0::2], ["", *tokens[1::2]]
    parts: list[str] = []
    current = ""
    for separator, piece in zip(separators, pieces, strict=True):
        joined = f"{current}{separator}{piece}" if current else piece
        if utf16_length(joined) <= limit:
            current = joined
            continue
        if current:
            parts.append(current)
        if utf16_length(piece) <= limit:
            current = piece
        else:
            parts.extend(_split(piece, limit, level + 1))
            current = ""
    if current:
        parts.append(current)
    return parts


def _hard_cut(text: str, limit: int) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    units = 0
    for char in text:
        size = utf16_length(char)
        if units + size > limit:
            parts.append("".join(current))
            current, units = [], 0
        current.append(char)
        units += size
    parts.append("".join(current))
    return parts
