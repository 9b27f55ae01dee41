"""An entry's answer as the bot sends it, for staff who answer a ticket with an entry: written
by the editors in the newcomer's language, with its sources and review date, so no machine
translation is needed. The text is the one bot/faq/render.py makes for actions/faq.py."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from bot.faq.layers import knowledge_base_files
from bot.faq.render import answer_text
from bot.faq.schema import KnowledgeBase, load_knowledge_base
from bot.faq.search import knowledge_base_dir
from bot.language import SUPPORTED as LANGUAGES
from bot.language import Language
from bot.municipality import DEFAULT_MUNICIPALITY
from bot.texts import load_texts


class UnknownEntry(LookupError):
    """No entry has this id."""


@lru_cache(maxsize=2)
def _knowledge_base(
    faq_dir: Path, municipality: str, _version: tuple[tuple[str, int, int], ...]
) -> KnowledgeBase:
    return load_knowledge_base(faq_dir, municipality=municipality)


def _version(faq_dir: Path, municipality: str) -> tuple[tuple[str, int, int], ...]:
    """Reloads after an edit of faq/ without restarting (an editor's fix reaches staff)."""
    stats = ((path, path.stat()) for path in knowledge_base_files(faq_dir, municipality))
    return tuple((str(path), stat.st_mtime_ns, stat.st_size) for path, stat in stats)


def entry_answer_text(
    root: Path, entry_id: str, language: str, *, municipality: str = DEFAULT_MUNICIPALITY
) -> str:
    """`root` is the project (or its faq/); `language` the newcomer's (uk, en or nl);
    the entry as the municipality's layer has it."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    shown: Language = language
    faq_dir = knowledge_base_dir(root)
    kb = _knowledge_base(faq_dir, municipality, _version(faq_dir, municipality))
    entry = kb.by_id().get(entry_id)
    if entry is None:
        raise UnknownEntry(entry_id)
    return answer_text(entry, shown, load_texts(faq_dir.parent, municipality))
