"""The translator the settings ask for: LibreTranslate at TRANSLATION_URL, or none."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.config import Settings
from bot.municipality import DEFAULT_MUNICIPALITY, read_layer
from bot.translation.base import NoTranslator, Translator
from bot.translation.libretranslate import LibreTranslate

TERMS_FILE = Path("texts") / "translation_keep.yml"


def load_terms(root: Path, municipality: str = DEFAULT_MUNICIPALITY) -> tuple[str, ...]:
    """Names of organisations, places and services that stay as written in every language:
    the national ones (texts/translation_keep.yml) and the municipality's own (its places:
    `keep:` in faq/local/<municipality>/municipality.yml)."""
    data = yaml.safe_load((root / TERMS_FILE).read_text(encoding="utf-8")) or {}
    terms = data.get("keep", [])
    if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
        raise ValueError(f"{TERMS_FILE}: 'keep' must be a list of names")
    local = read_layer(root / "faq", municipality).municipality.keep
    return (*local, *(term for term in terms if term not in local))


def translator_from_settings(settings: Settings) -> Translator:
    if not settings.translation_url.strip():
        return NoTranslator()
    key = settings.translation_api_key
    return LibreTranslate(
        url=settings.translation_url.strip(),
        api_key=key.get_secret_value() if key else None,
        timeout_seconds=settings.translation_timeout_seconds,
        terms=load_terms(settings.project_root, settings.municipality),
    )
