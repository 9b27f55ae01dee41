"""A municipality's layer: faq/local/<municipality>/municipality.yml, and its {{slots}}.

National text (faq/ entries and texts/*.yml) names no municipality. Where it must, it writes a
slot, `{{name}}` or `{{municipality}}`, filled from the chosen municipality's layer when the
text is loaded or built, so neither Rasa nor the gateway ever sees one. A slot may take
filters: `{{name|lower}}` (as a newcomer types it), `{{municipality|capital}}` (at the start
of a sentence), or a language, `{{name|nl}}` (its Dutch form inside a Ukrainian question).

Slots use double braces, so they never collide with the gateway's runtime links
(`[[privacy_url]]`, bot/config.py `links()`) nor with `{code}` in texts/gateway.yml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator

DEFAULT_MUNICIPALITY = "almere"
LOCAL_DIR = "local"
MUNICIPALITY_FILE = "municipality.yml"
SLOT = re.compile(r"\{\{\s*([a-z][a-z0-9_]*)((?:\|[a-z]+)*)\s*\}\}")
SLOT_LANGUAGES = ("uk", "en", "nl", "ru")  # ru: held-out questions in Russian
CASE_FILTERS = ("lower", "capital")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class SlotForms(BaseModel):
    """A slot's form in each language; ru (held-out questions in Russian) falls back to uk."""

    model_config = ConfigDict(extra="forbid")
    uk: str = Field(min_length=1)
    en: str = Field(min_length=1)
    nl: str = Field(min_length=1)
    ru: str | None = None

    def form(self, language: str) -> str:
        if language == "ru":
            return self.ru or self.uk
        return str(getattr(self, language))


class Municipality(BaseModel):
    """What municipality.yml says: the slots, and the municipality's defaults."""

    model_config = ConfigDict(extra="forbid")
    slots: dict[str, str | SlotForms] = Field(min_length=1)
    website: HttpUrl
    contact_url: HttpUrl
    office_hours: str | None = None  # the default of OFFICE_HOURS
    keep: list[str] = Field(default_factory=list)  # names machine translation keeps
    sources: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)

    @field_validator("website", "contact_url")
    @classmethod
    def _https_only(cls, url: HttpUrl) -> HttpUrl:
        if url.scheme != "https":
            raise ValueError("must start with https://")
        return url

    @field_validator("slots")
    @classmethod
    def _slot_names(cls, slots: dict[str, str | SlotForms]) -> dict[str, str | SlotForms]:
        for name in slots:
            if not ID_PATTERN.match(name):
                raise ValueError(f"slot '{name}' must be snake_case")
        return slots

    def all_slots(self) -> dict[str, str | SlotForms]:
        """The slots, with `website` and `contact_url` as slots too."""
        return {"website": str(self.website), "contact_url": str(self.contact_url), **self.slots}


@dataclass(frozen=True)
class SlotProblem:
    """A slot that cannot be filled: where (a dotted field path) and why."""

    field: str
    message: str


def shown_path(path: Path) -> Path:
    """A path from faq/ on, as an editor sees it in the repository."""
    for parent in path.parents:
        if parent.name == "faq":
            return path.relative_to(parent.parent)
    return path


class MunicipalityError(Exception):
    def __init__(self, path: Path, problems: list[SlotProblem]) -> None:
        self.path = path
        self.problems = problems
        shown = shown_path(path)
        super().__init__("\n".join(f"{shown}: {p.field}: {p.message}" for p in problems))


@dataclass(frozen=True)
class Layer:
    """A municipality's folder, and what its municipality.yml says."""

    id: str
    folder: Path
    municipality: Municipality

    @property
    def file(self) -> Path:
        return self.folder / MUNICIPALITY_FILE


def layers_dir(faq_dir: Path) -> Path:
    return faq_dir / LOCAL_DIR


def known_municipalities(faq_dir: Path) -> list[str]:
    """Every municipality with a layer (a folder under faq/local/ with a municipality.yml)."""
    folder = layers_dir(faq_dir)
    if not folder.is_dir():
        return []
    return sorted(p.parent.name for p in folder.glob(f"*/{MUNICIPALITY_FILE}"))


def _dotted(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(file)"


def read_layer(faq_dir: Path, municipality: str) -> Layer:
    """Reads faq/local/<municipality>/municipality.yml; raises MunicipalityError saying what
    to fix (an unknown municipality names the known ones)."""
    folder = layers_dir(faq_dir) / municipality
    path = folder / MUNICIPALITY_FILE
    if not ID_PATTERN.match(municipality) or not path.is_file():
        known = ", ".join(known_municipalities(faq_dir)) or "none"
        raise MunicipalityError(
            path,
            [
                SlotProblem(
                    "(file)",
                    f"no layer for municipality '{municipality}' (MUNICIPALITY); known: {known}",
                )
            ],
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise MunicipalityError(
            path, [SlotProblem("(yaml)", str(error).replace("\n", " "))]
        ) from None
    try:
        parsed = Municipality.model_validate(raw)
    except ValidationError as error:
        found = [SlotProblem(_dotted(d["loc"]), d["msg"]) for d in error.errors()]
        raise MunicipalityError(path, found) from None
    return Layer(id=municipality, folder=folder, municipality=parsed)


@cache
def load_layer(faq_dir: Path, municipality: str) -> Layer:
    """read_layer, once per process (texts and settings defaults read it)."""
    return read_layer(faq_dir, municipality)


def _language_of(path: tuple[str, ...]) -> str | None:
    """The nearest language named in a field path: `questions.uk.3` is Ukrainian."""
    for part in reversed(path):
        if part in SLOT_LANGUAGES:
            return part
    return None


def _apply(text: str, filters: list[str]) -> str:
    for name in filters:
        if name == "lower":
            text = text.lower()
        elif name == "capital":
            text = text[:1].upper() + text[1:]
    return text


def fill_text(
    text: str, slots: dict[str, str | SlotForms], language: str | None
) -> tuple[str, list[str]]:
    """The text with its slots filled, and a message for each slot it could not fill."""
    problems: list[str] = []

    def one(match: re.Match[str]) -> str:
        name, filters = match[1], [f for f in match[2].split("|") if f]
        value = slots.get(name)
        if value is None:
            known = ", ".join(sorted(slots))
            problems.append(f"unknown slot '{{{{{name}}}}}' (slots: {known})")
            return match[0]
        chosen = language
        for item in filters:
            if item in SLOT_LANGUAGES:
                chosen = item
            elif item not in CASE_FILTERS:
                problems.append(
                    f"'{{{{{match[1]}{match[2]}}}}}': unknown filter '{item}' "
                    f"(use {', '.join(CASE_FILTERS)} or a language)"
                )
                return match[0]
        if isinstance(value, str):
            form = value
        elif chosen is None:
            problems.append(f"slot '{{{{{name}}}}}' differs by language; write it in a language")
            return match[0]
        else:
            form = value.form(chosen)
        return _apply(form, filters)

    filled = SLOT.sub(one, text)
    if not problems and ("{{" in filled or "}}" in filled):
        problems.append("has '{{' or '}}' that is not a slot: write a slot as {{name}}")
    return filled, problems


def fill_data(
    data: Any, slots: dict[str, str | SlotForms], path: tuple[str, ...] = ()
) -> tuple[Any, list[SlotProblem]]:
    """Fills every string in a loaded YAML document; the language of each string is the
    nearest language key above it (`answer.uk`, `questions.nl.3`, `text.en`)."""
    problems: list[SlotProblem] = []

    def walk(value: Any, where: tuple[str, ...]) -> Any:
        if isinstance(value, str):
            filled, found = fill_text(value, slots, _language_of(where))
            problems.extend(SlotProblem(_dotted(where), message) for message in found)
            return filled
        if isinstance(value, dict):
            return {key: walk(item, (*where, str(key))) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item, (*where, str(number))) for number, item in enumerate(value)]
        return value

    return walk(data, path), problems
