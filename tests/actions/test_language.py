"""The `language` slot's validation: a language we speak is kept, anything else cleared."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.language import ValidateSlotMappings


def tracker(language: str) -> Tracker:
    return Tracker(
        sender_id="we-test",
        slots={"language": language},
        latest_message={"metadata": {"language": language}},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name=None,
    )


def validate(value: object) -> dict[str, object]:
    action = ValidateSlotMappings()
    return asyncio.run(action.validate_language(value, CollectingDispatcher(), tracker("en"), {}))


def test_a_supported_language_is_kept() -> None:
    assert validate("uk") == {"language": "uk"}
    assert validate("nl") == {"language": "nl"}


def test_anything_else_is_cleared() -> None:
    assert validate("de") == {"language": None}
    assert validate(None) == {"language": None}
