"""What newcomers write never reaches a log: a sentinel text through the real stack."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.support import Stack, WebChat

pytestmark = pytest.mark.stack

SENTINEL = "Kwartelkoning7431"


def test_message_text_is_in_no_log_and_our_logs_are_json(
    stack: Stack, new_chat: Callable[..., WebChat]
) -> None:
    chat = new_chat("en")
    chat.start()
    chat.say(f"my neighbour {SENTINEL} keeps knocking on the wall, what can I do")
    chat.say(f"I want to talk to a person about {SENTINEL} and the noise at night please")
    logs = {path.name: path.read_text(errors="replace") for path in stack.log_dir.glob("*.log")}
    assert {"rasa.log", "actions.log", "gateway.log"} <= set(logs)
    for name, text in logs.items():
        assert SENTINEL not in text, f"{name} holds message text"
    for name in ("gateway.log", "actions.log"):
        for line in logs[name].splitlines():
            if line.startswith("{"):
                assert {"time", "level", "logger", "event"} <= set(json.loads(line))
