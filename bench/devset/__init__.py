"""The development set: real newcomers' questions copied from public pages (issue 17).

Each row of `questions.yml` is a question as written at its source, the knowledge-base entry
that answers it (or `none`: no entry does, the bot should ask or hand over; or `crisis`: the
112/113/Veilig Thuis reply), the page it came from and its split. `tune` rows may be looked at
and tuned on; `report` rows are only measured. The split is recorded once per row and frozen in
`split.lock`; `bench/devset/README.md` says how it was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast, get_args
from urllib.parse import urlparse

import yaml

DevLanguage = Literal["uk", "en", "nl", "ru"]
Split = Literal["tune", "report"]
NO_ENTRY = "none"
CRISIS = "crisis"
DEVSET_DIR = Path(__file__).resolve().parent
QUESTIONS_PATH = DEVSET_DIR / "questions.yml"
SPLIT_LOCK_PATH = DEVSET_DIR / "split.lock"
_FIELDS = {"id", "text", "language", "expected", "also", "source", "split"}


class DevsetError(ValueError):
    """The file does not have the shape a development set must have."""


@dataclass(frozen=True)
class DevQuestion:
    id: str
    text: str
    language: DevLanguage
    expected: str
    source: str
    split: Split
    also: tuple[str, ...] = ()

    @property
    def is_answerable(self) -> bool:
        """An entry answers it (not `none`, not `crisis`)."""
        return self.expected not in (NO_ENTRY, CRISIS)

    @property
    def accepted(self) -> tuple[str, ...]:
        """The expected entry first, then the others that also answer it."""
        return (self.expected, *self.also)


def _text(row: dict[str, object], key: str, where: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DevsetError(f"{where}: '{key}' must be a non-empty string")
    return value


def is_url(value: str) -> bool:
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and "." in parsed.netloc and " " not in value


def _question(row: object, index: int) -> DevQuestion:
    where = f"row {index}"
    if not isinstance(row, dict):
        raise DevsetError(f"{where}: must be a mapping")
    unknown = set(row) - _FIELDS
    if unknown:
        raise DevsetError(f"{where}: unknown fields {sorted(unknown)}")
    where = f"row {index} ({row.get('id')})"
    language = _text(row, "language", where)
    if language not in get_args(DevLanguage):
        raise DevsetError(f"{where}: language '{language}' is not one of {get_args(DevLanguage)}")
    split = _text(row, "split", where)
    if split not in get_args(Split):
        raise DevsetError(f"{where}: split '{split}' is not one of {get_args(Split)}")
    source = _text(row, "source", where)
    if not is_url(source):
        raise DevsetError(f"{where}: source '{source}' is not an http(s) URL")
    also = row.get("also", [])
    if not isinstance(also, list) or not all(isinstance(item, str) for item in also):
        raise DevsetError(f"{where}: 'also' must be a list of entry ids")
    return DevQuestion(
        id=_text(row, "id", where),
        text=_text(row, "text", where).strip(),
        language=cast("DevLanguage", language),
        expected=_text(row, "expected", where),
        source=source,
        split=cast("Split", split),
        also=tuple(also),
    )


def load_devset(path: Path = QUESTIONS_PATH) -> list[DevQuestion]:
    """Reads and checks the rows' shape; raises DevsetError on the first bad row."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or not isinstance(document.get("questions"), list):
        raise DevsetError(f"{path}: expected a mapping with a 'questions' list")
    questions = [_question(row, index) for index, row in enumerate(document["questions"], 1)]
    seen: set[str] = set()
    for question in questions:
        if question.id in seen:
            raise DevsetError(f"{path}: id '{question.id}' is used twice")
        seen.add(question.id)
    return questions


def load_split_lock(path: Path = SPLIT_LOCK_PATH) -> dict[str, Split]:
    """The split each row was given when it was added: `<id> <split>` per line."""
    locked: dict[str, Split] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2 or parts[1] not in get_args(Split):
            raise DevsetError(f"{path}:{number}: expected '<id> tune|report'")
        locked[parts[0]] = cast("Split", parts[1])
    return locked
