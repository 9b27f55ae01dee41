"""One term for each thing: the glossary in faq/glossary.yml, checked against answers and titles."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field

from bot.language import SUPPORTED as LANGUAGES


class InLanguages(Protocol):
    def get(self, language: Any) -> str: ...


class Worded(Protocol):
    """What the glossary reads of an entry (bot/faq/schema.py's Entry)."""

    @property
    def title(self) -> InLanguages: ...

    @property
    def answer(self) -> InLanguages: ...


# (file, field, what to write instead): bot/faq/schema.py turns each into a Problem.
Found = tuple[Path, str, str]

GLOSSARY_FILE = "glossary.yml"


class Term(BaseModel):
    model_config = ConfigDict(extra="forbid")
    use: str = Field(min_length=1)
    avoid: list[str] = Field(min_length=1)


class Concept(BaseModel):
    model_config = ConfigDict(extra="forbid")
    concept: str = Field(min_length=2)
    uk: Term | None = None
    en: Term | None = None
    nl: Term | None = None


class Glossary(BaseModel):
    model_config = ConfigDict(extra="forbid")
    terms: list[Concept]


def load_glossary(path: Path) -> Glossary:
    return Glossary.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def glossary_problems(
    glossary: Glossary, entries: Iterable[tuple[Path, Worded]]
) -> Iterable[Found]:
    """Every avoided term in an answer or title, with the term to write instead."""
    for path, entry in entries:
        for language in LANGUAGES:
            fields = {
                f"answer.{language}": entry.answer.get(language),
                f"title.{language}": entry.title.get(language),
            }
            for concept in glossary.terms:
                term: Term | None = getattr(concept, language)
                if term is None:
                    continue
                for field, text in fields.items():
                    lowered = text.lower()
                    for avoided in term.avoid:
                        if avoided.lower() in lowered:
                            yield (
                                path,
                                field,
                                f"uses '{avoided}': write '{term.use}' "
                                f"({concept.concept}; see faq/{GLOSSARY_FILE})",
                            )
