"""texts/staff_cli.yml in the staff language (nl or en), and the refusal that carries
one of its messages."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.config import PROJECT_ROOT


class Refused(Exception):
    """The command cannot be done; the message (in the staff language) says what to do."""


@cache
def _table(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((root / "texts" / "staff_cli.yml").read_text("utf-8"))
    return data


@dataclass(frozen=True)
class StaffTexts:
    """texts/staff_cli.yml in one staff language (nl or en)."""

    language: str
    table: dict[str, Any]

    @classmethod
    def load(cls, language: str, root: Path = PROJECT_ROOT) -> StaffTexts:
        return cls(language=language if language in ("nl", "en") else "nl", table=_table(root))

    def __call__(self, key: str, **values: object) -> str:
        template = self.table["messages"][key][self.language]
        return str(template).format(**values) if values else str(template)

    def section(self, section: str, key: str, **values: object) -> str:
        entry = self.table[section].get(key)
        if entry is None:
            return key
        return str(entry[self.language]).format(**values) if values else str(entry[self.language])

    def header(self) -> list[str]:
        return [str(cell) for cell in self.table["messages"]["table_header"][self.language]]
