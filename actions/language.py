"""Fills the `language` slot on every turn from the gateway's decision (message metadata)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from bot.language import SUPPORTED as LANGUAGES


class ValidateSlotMappings(ValidationAction):
    """`action_validate_slot_mappings`: Rasa runs it after every user message."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        metadata = tracker.latest_message.get("metadata") or {}
        language = metadata.get("language") if isinstance(metadata, dict) else None
        if language in LANGUAGES and language != tracker.get_slot("language"):
            return {"language": language}
        return {}

    async def validate_language(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Keeps a language we speak and clears anything else (the default is used then).

        rasa-sdk validates every slot set in a turn and warns when a slot has no method."""
        return {"language": slot_value if slot_value in LANGUAGES else None}
