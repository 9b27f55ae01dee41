"""The knowledge base as the editors' pages read it: the national entries with the
municipality's layer (faq/local/<municipality>/), loaded once and again after an edit of any
of its files (their sizes and modification times say so), without restarting the gateway."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from bot.faq.layers import knowledge_base_files, national_paths
from bot.faq.schema import KnowledgeBase, load_knowledge_base
from bot.faq.search import knowledge_base_dir
from bot.municipality import DEFAULT_MUNICIPALITY, layers_dir

Version = tuple[tuple[str, int, int], ...]


@lru_cache(maxsize=4)
def _loaded(faq_dir: Path, municipality: str, _version: Version) -> KnowledgeBase:
    return load_knowledge_base(faq_dir, municipality=municipality)


def _version(faq_dir: Path, municipality: str) -> Version:
    stats = ((path, path.stat()) for path in knowledge_base_files(faq_dir, municipality))
    return tuple((str(path), stat.st_mtime_ns, stat.st_size) for path, stat in stats)


def current_knowledge_base(root: Path, municipality: str = DEFAULT_MUNICIPALITY) -> KnowledgeBase:
    """`root` is the project (holding faq/) or faq/ itself. Raises KnowledgeBaseError when
    faq/ does not pass its checks (make check-faq says why)."""
    faq_dir = knowledge_base_dir(root)
    return _loaded(faq_dir, municipality, _version(faq_dir, municipality))


def entry_files(root: Path, municipality: str = DEFAULT_MUNICIPALITY) -> dict[str, str]:
    """Each entry's file as an editor opens it, from the project root: the municipality's
    own (faq/local/<municipality>/<topic>/<id>.yml) where it has one, else the national."""
    faq_dir = knowledge_base_dir(root)
    local = sorted((layers_dir(faq_dir) / municipality).glob("*/*.yml"))
    return {
        path.stem: str(path.relative_to(faq_dir.parent))
        for path in [*national_paths(faq_dir), *local]  # a local file replaces a national one
    }
