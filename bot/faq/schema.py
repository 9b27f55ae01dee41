"""The schema of a knowledge-base entry, with errors an editor can act on."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator

from bot.faq.glossary import glossary_problems, load_glossary
from bot.faq.layers import (
    Override,
    fill_entry,
    local_paths,
    merge_layer,
    national_paths,
    scope_problems,
)
from bot.language import SUPPORTED as LANGUAGES
from bot.language import Language
from bot.municipality import DEFAULT_MUNICIPALITY, Layer, MunicipalityError, read_layer

Topic = Literal[
    "housing",
    "language",
    "work",
    "legal",
    "health",
    "education",
    "money",
    "registration",
    "community",
]
TOPICS: tuple[str, ...] = get_args(Topic)
AUDIENCES = ("everyone", "ukrainians", "status_holders", "asylum_seekers")
MIN_QUESTIONS = 8
MIN_HELDOUT = 2
MAX_TITLE = 60
MAX_ANSWER = 1500
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
RUSSIAN_ONLY_LETTERS = re.compile(r"[ыэъё]", re.IGNORECASE)
LANGUAGE_ROOT = re.compile(r"^[a-z]{2}(-[a-z]{2})?$")


class Trilingual(BaseModel):
    model_config = ConfigDict(extra="forbid")
    uk: str = Field(min_length=1)
    en: str = Field(min_length=1)
    nl: str = Field(min_length=1)

    def get(self, language: Language) -> str:
        return str(getattr(self, language))


class Questions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    uk: list[str] = Field(min_length=MIN_QUESTIONS)
    en: list[str] = Field(min_length=MIN_QUESTIONS)
    nl: list[str] = Field(min_length=MIN_QUESTIONS)


class Heldout(BaseModel):
    model_config = ConfigDict(extra="forbid")
    uk: list[str] = Field(min_length=MIN_HELDOUT)
    en: list[str] = Field(min_length=MIN_HELDOUT)
    nl: list[str] = Field(min_length=MIN_HELDOUT)
    ru: list[str] = Field(default_factory=list)


class Source(BaseModel):
    """An official page; `seen` is the date an editor saw it say what the answer says."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=2)
    url: HttpUrl
    seen: dt.date | None = None
    review: Literal["homepage", "unconfirmed"] | None = None  # not yet confirmed from the page
    languages: list[Language] | None = None  # shown only to these readers (an English page)

    def shown_in(self, language: Language) -> bool:
        return self.languages is None or language in self.languages

    @property
    def is_homepage(self) -> bool:
        """The site's front page, or its front page in one language (ind.nl/en)."""
        path = (self.url.path or "").strip("/")
        return not self.url.query and (path == "" or LANGUAGE_ROOT.match(path) is not None)

    @field_validator("url")
    @classmethod
    def _https_only(cls, url: HttpUrl) -> HttpUrl:
        if url.scheme != "https":
            raise ValueError("must start with https://")
        return url


class Entry(BaseModel):
    """One answer in the knowledge base: `faq/<topic>/<id>.yml` (national), or
    `faq/local/<municipality>/<topic>/<id>.yml` (one municipality's; bot/faq/layers.py)."""

    model_config = ConfigDict(extra="forbid")
    id: str
    topic: Topic
    scope: Literal["national", "local"]
    overrides: Override | None = None  # a local entry replacing the national one
    audience: str | list[str] = "everyone"
    reviewed: dt.date
    sources: list[Source] = Field(min_length=1)
    title: Trilingual
    questions: Questions
    heldout: Heldout
    answer: Trilingual

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError("must be snake_case: lower-case letters, digits and _")
        return value

    @field_validator("audience")
    @classmethod
    def _known_audience(cls, value: str | list[str]) -> str | list[str]:
        for item in [value] if isinstance(value, str) else value:
            if item not in AUDIENCES:
                raise ValueError(f"'{item}' is not one of {', '.join(AUDIENCES)}")
        return value

    @property
    def audiences(self) -> list[str]:
        return [self.audience] if isinstance(self.audience, str) else list(self.audience)


@dataclass(frozen=True)
class Problem:
    """A problem in one file, said so that an editor can find and fix it."""

    path: Path
    field: str
    message: str

    def __str__(self) -> str:
        shown = self.path
        for parent in self.path.parents:
            if parent.name == "faq":
                shown = self.path.relative_to(parent.parent)
                break
        return f"{shown}: {self.field}: {self.message}"


@dataclass(frozen=True)
class KnowledgeBase:
    entries: tuple[Entry, ...]
    municipality: str = DEFAULT_MUNICIPALITY

    def by_id(self) -> dict[str, Entry]:
        return {entry.id: entry for entry in self.entries}

    def in_topic(self, topic: str) -> list[Entry]:
        return [entry for entry in self.entries if entry.topic == topic]

    def sources_for_review(self) -> list[Source]:
        """Sources marked for review: a homepage, or a deep link nobody has confirmed yet."""
        return [source for entry in self.entries for source in entry.sources if source.review]


class KnowledgeBaseError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(file)"


def _content_problems(path: Path, entry: Entry) -> Iterable[Problem]:
    if entry.id != path.stem:
        yield Problem(path, "id", f"'{entry.id}' must equal the file name '{path.stem}'")
    if entry.topic != path.parent.name:
        yield Problem(path, "topic", f"'{entry.topic}' must equal the folder '{path.parent.name}'")
    if not entry.id.startswith(f"{entry.topic}_"):
        yield Problem(path, "id", f"must start with '{entry.topic}_'")
    for language in LANGUAGES:
        title = entry.title.get(language)
        if len(title) > MAX_TITLE:
            yield Problem(
                path, f"title.{language}", f"{len(title)} characters, at most {MAX_TITLE}"
            )
        answer = entry.answer.get(language).strip()
        if len(answer) > MAX_ANSWER:
            yield Problem(
                path, f"answer.{language}", f"{len(answer)} characters, at most {MAX_ANSWER}"
            )
        if "<" in answer and ">" in answer:
            yield Problem(path, f"answer.{language}", "looks like HTML: answers are plain text")
        if "**" in answer or "](" in answer:
            yield Problem(path, f"answer.{language}", "looks like Markdown: answers are plain text")
        if language != "uk" and CYRILLIC.search(answer):
            yield Problem(path, f"answer.{language}", "contains Cyrillic letters")
        if language == "uk" and RUSSIAN_ONLY_LETTERS.search(answer + title):
            yield Problem(
                path, f"answer.{language}", "contains ы, э, ъ or ё: Russian, not Ukrainian"
            )
        trained = {q.strip().lower() for q in getattr(entry.questions, language)}
        for question in getattr(entry.heldout, language):
            if question.strip().lower() in trained:
                yield Problem(
                    path, f"heldout.{language}", f"'{question}' is also a training question"
                )
    if entry.reviewed > dt.date.today():
        yield Problem(path, "reviewed", f"{entry.reviewed} is in the future")
    for number, source in enumerate(entry.sources):
        field = f"sources.{number}"
        if source.is_homepage and source.review != "homepage":
            yield Problem(
                path,
                field,
                f"{source.url} is a homepage: link the page itself, or mark it "
                "'review: homepage' until someone finds it",
            )
        if not source.is_homepage and source.review == "homepage":
            yield Problem(path, field, f"{source.url} is not a homepage: remove 'review: homepage'")
        if source.seen is not None and source.seen > dt.date.today():
            yield Problem(path, field, f"seen {source.seen} is in the future")
    for language in LANGUAGES:
        if not any(source.shown_in(language) for source in entry.sources):
            yield Problem(path, "sources", f"no source is shown in {language}")


def load_entry(path: Path, layer: Layer | None = None) -> tuple[Entry | None, list[Problem]]:
    """One entry file, checked; with a layer, its slots are filled from it first."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        return None, [Problem(path, "(yaml)", str(error).replace("\n", " "))]
    if not isinstance(raw, dict):
        return None, [Problem(path, "(file)", "must be a YAML mapping of fields")]
    problems: list[Problem] = []
    if layer is not None:
        raw, slot_problems = fill_entry(raw, layer)
        problems.extend(Problem(path, found.field, found.message) for found in slot_problems)
    try:
        entry = Entry.model_validate(raw)
    except ValidationError as error:
        return None, problems + [
            Problem(path, _location(detail["loc"]), detail["msg"]) for detail in error.errors()
        ]
    return entry, problems + list(_content_problems(path, entry))


def entry_paths(root: Path) -> list[Path]:
    """The national entries (faq/<topic>/<id>.yml); never faq/local/ nor faq/drafts/."""
    return national_paths(root)


def _load_all(
    paths: list[Path], layer: Layer | None
) -> tuple[list[tuple[Path, Entry]], list[Problem]]:
    located: list[tuple[Path, Entry]] = []
    problems: list[Problem] = []
    for path in paths:
        entry, entry_problems = load_entry(path, layer)
        problems.extend(entry_problems)
        if entry is not None:
            located.append((path, entry))
    return located, problems


def load_knowledge_base(root: Path, *, municipality: str = DEFAULT_MUNICIPALITY) -> KnowledgeBase:
    """The national entries and the municipality's layer (faq/local/<municipality>/), slots
    filled; raises KnowledgeBaseError listing every problem."""
    try:
        layer = read_layer(root, municipality)
    except MunicipalityError as error:  # without its slots, every entry would be wrong
        raise KnowledgeBaseError(
            [Problem(error.path, p.field, p.message) for p in error.problems]
        ) from None
    problems: list[Problem] = []
    national, found = _load_all(entry_paths(root), layer)
    problems.extend(found)
    for path, entry in national:
        problems.extend(Problem(*one) for one in scope_problems(path, entry, local=False))
    local, found = _load_all(local_paths(layer), layer)
    problems.extend(found)
    located, merge_found = merge_layer(root, national, local)
    problems.extend(Problem(*one) for one in merge_found)
    # In the order of the folders, national and local alike: the built files keep their order
    # whichever layer an entry comes from.
    located = sorted(located, key=lambda one: (one[1].topic, one[1].id))
    problems.extend(_cross_entry_problems(root, located))
    glossary_path = root / "glossary.yml"
    if glossary_path.exists():
        found_terms = glossary_problems(load_glossary(glossary_path), located)
        problems.extend(Problem(*one) for one in found_terms)
    if problems:
        raise KnowledgeBaseError(problems)
    return KnowledgeBase(
        entries=tuple(entry for _path, entry in located), municipality=municipality
    )


def _cross_entry_problems(root: Path, located: list[tuple[Path, Entry]]) -> Iterable[Problem]:
    seen: dict[tuple[str, str], str] = {}
    entries = [entry for _path, entry in located]
    for path, entry in located:
        for language in LANGUAGES:
            for question in getattr(entry.questions, language):
                key = (language, " ".join(question.lower().split()))
                other = seen.setdefault(key, entry.id)
                if other != entry.id:
                    yield Problem(
                        path,
                        f"questions.{language}",
                        f"'{question}' is also a question of {other}",
                    )
    for topic in TOPICS:
        if entries and not any(entry.topic == topic for entry in entries):
            yield Problem(root / topic, "(topic)", "has no entries")
