"""User-facing text, loaded from texts/*.yml (never written in Python)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.language import SUPPORTED as LANGUAGES
from bot.language import Language


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


def _read(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def load_texts(root: Path) -> Texts:
    """Loads texts/ once per process; `root` is the project directory."""
    folder = root / "texts"
    buttons = _read(folder / "buttons.yml")
    return Texts(
        root=root,
        responses=_read(folder / "responses.yml"),
        messages=_read(folder / "messages.yml"),
        buttons=buttons["buttons"],
        button_groups=buttons["groups"],
        gateway=_read(folder / "gateway.yml"),
        faq_labels=_read(folder / "faq_labels.yml"),
        widget=_read(folder / "widget.yml"),
    )


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
