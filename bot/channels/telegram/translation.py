"""The seam for machine translation of staff answers (replaced by bot/translation/)."""

from __future__ import annotations

from typing import Protocol

from bot.language import Language

# --- the seam for machine translation -------------------------------------------------------


class Translator(Protocol):
    """Turns what staff wrote (Dutch or English) into the newcomer's language. Called before
    the answer is stored, so what is stored is what the newcomer reads."""

    async def for_newcomer(self, text: str, *, language: Language) -> str: ...


class NoTranslation:
    """Today's translator: staff's words reach the newcomer unchanged (out of scope, issue 4)."""

    async def for_newcomer(self, text: str, *, language: Language) -> str:
        return text
