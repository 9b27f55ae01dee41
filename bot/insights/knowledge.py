"""The knowledge base as the editors' pages read it: loaded once, and again after an edit of
faq/ (the files' sizes and modification times say so), without restarting the gateway."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from bot.faq.schema import KnowledgeBase, entry_paths, load_knowledge_base
from bot.faq.search import knowledge_base_dir

Version = tuple[tuple[str, int, int], ...]


@lru_cache(maxsize=4)
def _loaded(faq_dir: Path, _version: Version) -> KnowledgeBase:
    return load_knowledge_base(faq_dir)


def _version(faq_dir: Path) -> Version:
    stats = ((str(path.relative_to(faq_dir)), path.stat()) for path in entry_paths(faq_dir))
    return tuple((name, stat.st_mtime_ns, stat.st_size) for name, stat in stats)


def current_knowledge_base(root: Path) -> KnowledgeBase:
    """`root` is the project (holding faq/) or faq/ itself. Raises KnowledgeBaseError when
    faq/ does not pass its checks (make check-faq says why)."""
    faq_dir = knowledge_base_dir(root)
    return _loaded(faq_dir, _version(faq_dir))
