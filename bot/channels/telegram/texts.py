"""What the bot says, from texts/: the newcomer menu and messages (texts/telegram.yml, uk/en/nl)
and the staff group's texts (texts/staff.yml, nl/en)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from telegram import (
    BotCommand,
)

from bot.channels.telegram.commands import MENU
from bot.language import SUPPORTED, Language

STAFF_LANGUAGES = ("nl", "en")


# --- texts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TelegramTexts:
    """texts/telegram.yml: the command menu and what the channel itself says."""

    commands: dict[str, dict[str, str]]
    messages: dict[str, dict[str, str]]

    def menu(self, language: Language) -> list[BotCommand]:
        return [BotCommand(name, self.commands[name][language]) for name in MENU]

    def message(self, key: str, language: Language) -> str:
        return self.messages[key][language]


def load_telegram_texts(root: Path) -> TelegramTexts:
    data = yaml.safe_load((root / "texts" / "telegram.yml").read_text(encoding="utf-8"))
    return TelegramTexts(commands=data["commands"], messages=data["messages"])


def missing_telegram_texts(texts: TelegramTexts) -> list[str]:
    """Every command and message in uk, en and nl, within Telegram's length limits."""
    problems: list[str] = []
    tables = [(f"commands.{name}", texts.commands.get(name)) for name in MENU]
    tables += [(f"messages.{key}", table) for key, table in texts.messages.items()]
    for where, table in tables:
        for language in SUPPORTED:
            value = table.get(language) if isinstance(table, dict) else None
            if not isinstance(value, str) or not value.strip():
                problems.append(f"texts/telegram.yml: {where}: no '{language}' text")
            elif where.startswith("commands.") and len(value) > 256:
                problems.append(f"texts/telegram.yml: {where}.{language}: over 256 characters")
    return problems


# --- texts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffTexts:
    """texts/staff.yml in the staff language."""

    language: Literal["nl", "en"]
    languages: dict[str, dict[str, str]]
    channels: dict[str, dict[str, str]]
    messages: dict[str, dict[str, str]]

    def text(self, key: str, **values: object) -> str:
        template = self.messages[key][self.language]
        return template.format(**values) if values else template

    def language_name(self, code: str) -> str:
        return self.languages.get(code, {}).get(self.language, code)

    def channel_name(self, channel: str) -> str:
        return self.channels.get(channel, {}).get(self.language, channel)


def load_staff_texts(root: Path, language: Literal["nl", "en"]) -> StaffTexts:
    data = yaml.safe_load((root / "texts" / "staff.yml").read_text(encoding="utf-8"))
    return StaffTexts(
        language=language,
        languages=data["languages"],
        channels=data["channels"],
        messages=data["messages"],
    )


def missing_staff_texts(root: Path) -> list[str]:
    """Every staff text in nl and en; every newcomer language and channel named."""
    data = yaml.safe_load((root / "texts" / "staff.yml").read_text(encoding="utf-8"))
    problems: list[str] = []
    tables = [(f"languages.{code}", data["languages"].get(code)) for code in ("uk", "en", "nl")]
    tables += [(f"channels.{name}", data["channels"].get(name)) for name in ("telegram", "web")]
    tables += [(f"messages.{key}", table) for key, table in data["messages"].items()]
    for where, table in tables:
        for language in STAFF_LANGUAGES:
            value = table.get(language) if isinstance(table, dict) else None
            if not isinstance(value, str) or not value.strip():
                problems.append(f"texts/staff.yml: {where}: no '{language}' text")
    return problems
