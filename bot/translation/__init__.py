"""Machine translation for the staff side: one Translator for the Telegram group, the CLI and
the browser. `translator_from_settings` picks the engine (TRANSLATION_URL) or NoTranslator."""

from __future__ import annotations

from bot.translation.base import (
    AUTO,
    LANGUAGES,
    NoTranslator,
    Translation,
    TranslationFailed,
    Translator,
)
from bot.translation.factory import load_terms, translator_from_settings

__all__ = [
    "AUTO",
    "LANGUAGES",
    "NoTranslator",
    "Translation",
    "TranslationFailed",
    "Translator",
    "load_terms",
    "translator_from_settings",
]
