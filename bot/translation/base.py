"""The one interface every part of the staff side translates through (Telegram group, CLI,
browser): a Translator turns a text from one language into another, or says why it cannot.

An engine that is not configured (NoTranslator) hands the text back unchanged and says so
(machine=False), so callers can tell the reader that the text goes as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

# The languages the staff side translates between: newcomers write uk, en or nl (Russian is
# answered in Ukrainian), staff write nl or en.
LANGUAGES: Final = ("uk", "en", "nl")
AUTO: Final = "auto"


@dataclass(frozen=True)
class Translation:
    """What a Translator made: the text, the languages it went between (source is the
    detected language when "auto" was asked), the engine, and whether a machine changed it."""

    text: str
    source: str
    target: str
    engine: str
    machine: bool


class TranslationFailed(Exception):
    """The engine could not translate (down, too slow, a language it lacks, a protected part
    lost). The message is a reason for logs and staff, and never holds the text itself."""


class Translator(Protocol):
    engine: str
    configured: bool

    async def translate(self, text: str, *, source: str, target: str) -> Translation: ...


class NoTranslator:
    """No engine configured: every text is returned as written (machine=False)."""

    engine = "none"
    configured = False

    async def translate(self, text: str, *, source: str, target: str) -> Translation:
        return Translation(
            text=text, source=source, target=target, engine=self.engine, machine=False
        )


def unchanged(text: str, *, language: str, engine: str) -> Translation:
    """Same source and target: nothing to translate."""
    return Translation(text=text, source=language, target=language, engine=engine, machine=False)
