"""What arrives as a payload ("/intent{...}", from a button) or as typed text, made safe."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)(?P<entities>\{.*\})?$", re.DOTALL)


@dataclass(frozen=True)
class Payload:
    intent: str
    entities: dict[str, Any]

    @classmethod
    def parse(cls, text: str) -> Payload | None:
        match = PAYLOAD.match(text)
        if match is None:
            return None
        entities: dict[str, Any] = {}
        if match["entities"]:
            try:
                loaded = json.loads(match["entities"])
            except json.JSONDecodeError:
                return None
            if not isinstance(loaded, dict):
                return None
            entities = loaded
        return cls(intent=match["intent"], entities=entities)


def clean_text(text: str) -> str:
    """Removes control characters and leading slashes (users cannot type intents)."""
    kept = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in text)
    return kept.strip().lstrip("/").strip()
