"""The workspace's UI text: texts/staff_web/<area>.yml, each key with nl and en side by side.
Keys are used as "<area>.<key>" (texts/staff_web/auth.yml `title` is `auth.title`)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import yaml

LANGUAGES = ("nl", "en")


def staff_text_files(root: Path) -> list[Path]:
    return sorted((root / "texts" / "staff_web").glob("*.yml"))


@lru_cache(maxsize=8)
def _all_texts(root: Path) -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for path in staff_text_files(root):
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, by_language in entries.items():
            merged[f"{path.stem}.{key}"] = {
                language: str(text) for language, text in by_language.items()
            }
    return merged


def staff_texts(root: Path, language: str) -> Mapping[str, str]:
    """Every UI text in `language` (nl or en; anything else gets nl)."""
    chosen = language if language in LANGUAGES else "nl"
    return {key: texts[chosen] for key, texts in _all_texts(root).items()}
