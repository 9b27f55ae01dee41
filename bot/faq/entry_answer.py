"""An entry's answer as the bot sends it, for staff who answer a ticket with an entry: written
by the editors in the newcomer's language, with its sources and review date, so no machine
translation is needed. The text is the one bot/faq/render.py makes for actions/faq.py."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from bot.faq.render import answer_text
from bot.faq.schema import KnowledgeBase, entry_paths, load_knowledge_base
from bot.faq.search import knowledge_base_dir
from bot.language import SUPPORTED as LANGUAGES
from bot.language import Language
from bot.texts import load_texts


class UnknownEntry(LookupError):
    """No entry has this id."""


@lru_cache(maxsize=2)
def _knowledge_base(faq_dir: Path, _version: tuple[tuple[str, int, int], ...]) -> KnowledgeBase:
    return load_knowledge_base(faq_dir)


def _version(faq_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """Reloads after an edit of faq/ without restarting (an editor's fix reaches staff)."""
    stats = ((path.name, path.stat()) for path in entry_paths(faq_dir))
    return tuple((name, stat.st_mtime_ns, stat.st_size) for name, stat in stats)


def entry_answer_text(root: Path, entry_id: str, language: str) -> str:
    """`root` is the project (or its faq/); `language` the newcomer's (uk, en or nl)."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    shown: Language = language
    faq_dir = knowledge_base_dir(root)
    entry = _knowledge_base(faq_dir, _version(faq_dir)).by_id().get(entry_id)
    if entry is None:
        raise UnknownEntry(entry_id)
    return answer_text(entry, shown, load_texts(faq_dir.parent))
