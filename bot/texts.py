"""User-facing text, loaded from texts/*.yml (never written in Python).

Texts name no municipality: `{{municipality}}`, `{{name}}` and the other slots are filled from
the chosen municipality's layer (faq/local/<municipality>/municipality.yml, bot/municipality.py)
as the texts are loaded, so greetings and the privacy notice always name the right one."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.language import SUPPORTED as LANGUAGES
from bot.language import Language
from bot.municipality import (
    DEFAULT_MUNICIPALITY,
    MunicipalityError,
    SlotForms,
    fill_data,
    read_layer,
)


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Texts:
    """The trilingual text tables under texts/."""

    root: Path
    responses: dict[str, dict[str, Any]]
    messages: dict[str, dict[str, Any]]
    buttons: dict[str, dict[str, Any]]
    button_groups: dict[str, list[str]]
    gateway: dict[str, dict[str, str]]
    faq_labels: dict[str, Any]
    widget: dict[str, dict[str, str]] = field(default_factory=dict)
    municipality: str = DEFAULT_MUNICIPALITY

    def gateway_text(self, key: str, language: Language, **values: object) -> str:
        template = self.gateway[key][language]
        return template.format(**values) if values else template

    def button(self, name: str, language: Language) -> Button:
        spec = self.buttons[name]
        return Button(title=spec["title"][language], payload=spec["payload"])

    def message(self, key: str, language: Language) -> tuple[str, list[Button]]:
        """A message an action sends: its text and buttons in one language."""
        spec = self.messages[key]
        names = self.expand_buttons(spec.get("buttons", []))
        return spec["text"][language], [self.button(name, language) for name in names]

    def expand_buttons(self, names: str | list[str]) -> list[str]:
        """A response's `buttons:` is a group name, or a list of button and group names."""
        expanded: list[str] = []
        for name in [names] if isinstance(names, str) else names:
            expanded.extend(self.button_groups.get(name, [name]))
        return expanded


class TextsError(ValueError):
    """A slot in texts/ that the municipality's layer cannot fill (or no such layer)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def _read(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def municipality_slots(root: Path, municipality: str) -> dict[str, str | SlotForms]:
    """The slots of faq/local/<municipality>/municipality.yml (raises TextsError)."""
    try:
        return read_layer(root / "faq", municipality).municipality.all_slots()
    except MunicipalityError as error:
        raise TextsError(str(error).splitlines()) from None


def read_filled(root: Path, name: str, slots: dict[str, str | SlotForms]) -> Any:
    """texts/<name>.yml with the slots filled; raises TextsError naming the file and field of
    every slot it cannot fill."""
    filled, problems = fill_data(_read(root / "texts" / f"{name}.yml"), slots)
    if problems:
        raise TextsError([f"texts/{name}.yml: {p.field}: {p.message}" for p in problems])
    return filled


def read_texts(root: Path, municipality: str = DEFAULT_MUNICIPALITY) -> Texts:
    """Loads texts/ for one municipality, every slot filled (raises TextsError)."""
    slots = municipality_slots(root, municipality)
    problems: list[str] = []
    tables: dict[str, Any] = {}
    for name in ("responses", "messages", "buttons", "gateway", "faq_labels", "widget"):
        try:
            tables[name] = read_filled(root, name, slots)
        except TextsError as error:
            problems.extend(error.problems)
    if problems:
        raise TextsError(problems)
    return Texts(
        root=root,
        responses=tables["responses"],
        messages=tables["messages"],
        buttons=tables["buttons"]["buttons"],
        button_groups=tables["buttons"]["groups"],
        gateway=tables["gateway"],
        faq_labels=tables["faq_labels"],
        widget=tables["widget"],
        municipality=municipality,
    )


@cache
def load_texts(root: Path, municipality: str = DEFAULT_MUNICIPALITY) -> Texts:
    """Loads texts/ once per process and municipality; `root` is the project directory."""
    return read_texts(root, municipality)


def missing_translations(texts: Texts) -> list[str]:
    """Every text must exist in uk, en and nl: lists the ones that do not."""
    problems: list[str] = []

    def check(where: str, table: object) -> None:
        if not isinstance(table, dict):
            problems.append(f"{where}: not a table of languages")
            return
        for language in LANGUAGES:
            value = table.get(language)
            if not isinstance(value, str) or not value.strip():
                problems.append(
                    f"{where}: no '{language}' text (quote it if YAML read it as yes/no)"
                )

    for file_name, table in (("responses", texts.responses), ("messages", texts.messages)):
        for key, response in table.items():
            check(f"texts/{file_name}.yml: {key}.text", response.get("text"))
            for name in texts.expand_buttons(response.get("buttons", [])):
                if name not in texts.buttons:
                    problems.append(f"texts/{file_name}.yml: {key}: unknown button '{name}'")
    for key, spec in texts.buttons.items():
        check(f"texts/buttons.yml: {key}.title", spec.get("title"))
    for key, messages in texts.gateway.items():
        check(f"texts/gateway.yml: {key}", messages)
    for key, labels in texts.widget.items():
        check(f"texts/widget.yml: {key}", labels)
    for key in ("sources", "reviewed"):
        check(f"texts/faq_labels.yml: {key}", texts.faq_labels.get(key))
    months = texts.faq_labels.get("months") or {}
    for language in LANGUAGES:
        if len(months.get(language) or []) != 12:
            problems.append(f"texts/faq_labels.yml: months.{language}: needs the 12 month names")
    for key, table in texts.faq_labels.get("audience", {}).items():
        check(f"texts/faq_labels.yml: audience.{key}", table)
    return problems
