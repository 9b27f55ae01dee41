"""The two translations every staff face makes (Telegram group, CLI, browser): the newcomer's
question into the staff member's language, and the staff answer into the newcomer's.

A failure never blocks staff: the question is shown as the newcomer wrote it, and the answer
goes as written, with the reason (for staff, never with the text) in `failure`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.config import Settings
from bot.language import Language
from bot.texts import Texts, load_texts
from bot.translation.base import AUTO, Translation, TranslationFailed, Translator
from bot.translation.factory import translator_from_settings

log = logging.getLogger("wegwijs.translation")


@dataclass(frozen=True)
class NewcomerAnswer:
    """What is stored as the answer and delivered (`text`: the translation with the machine
    translation notice and the original, or the original), and what it came from."""

    text: str
    original: str
    source_language: str | None
    machine_translated: bool
    failure: str | None = None


async def question_for_staff(
    translator: Translator, text: str, *, source: str, target: str
) -> Translation | None:
    """The question in the staff language, or None (not configured, same language, failed)."""
    if not translator.configured or source == target or not text.strip():
        return None
    try:
        translation = await translator.translate(text, source=source, target=target)
    except TranslationFailed as error:
        log.warning("translation: a question is shown as written (%s)", error)
        return None
    return translation if translation.machine else None


async def answer_for_newcomer(
    translator: Translator, text: str, *, language: Language, texts: Texts
) -> NewcomerAnswer:
    """Staff write nl or en (detected); the newcomer reads `language`, marked as a machine
    translation, with the original under it."""
    original = text.strip()
    if not translator.configured:
        return NewcomerAnswer(
            text=original, original=original, source_language=None, machine_translated=False
        )
    try:
        translation = await translator.translate(original, source=AUTO, target=language)
    except TranslationFailed as error:
        log.warning("translation: an answer goes as written (%s)", error)
        return NewcomerAnswer(
            text=original,
            original=original,
            source_language=None,
            machine_translated=False,
            failure=str(error),
        )
    if not translation.machine or translation.source == language:
        return NewcomerAnswer(
            text=original,
            original=original,
            source_language=translation.source,
            machine_translated=False,
        )
    shown = texts.gateway_text(
        "staff_answer_machine_translated",
        language,
        translation=translation.text,
        original=original,
    )
    return NewcomerAnswer(
        text=shown,
        original=original,
        source_language=translation.source,
        machine_translated=True,
    )


async def question_with_settings(
    settings: Settings, text: str, *, source: str, target: str
) -> Translation | None:
    """question_for_staff with the translator of the settings (the staff CLI)."""
    translator = translator_from_settings(settings)
    return await question_for_staff(translator, text, source=source, target=target)


async def answer_with_settings(
    settings: Settings, text: str, *, language: Language
) -> NewcomerAnswer:
    """answer_for_newcomer with the translator and texts of the settings (the staff CLI)."""
    translator = translator_from_settings(settings)
    texts = load_texts(settings.project_root, settings.municipality)
    return await answer_for_newcomer(translator, text, language=language, texts=texts)
