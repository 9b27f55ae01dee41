"""Input cleaning and payload parsing in the gateway."""

from __future__ import annotations

import pytest

from bot.payloads import Payload, clean_text


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("  hallo  ", "hallo"),
        ('/ask_human{"x":1}', 'ask_human{"x":1}'),
        ("//greet", "greet"),
        ("a\x00b\x1bc", "a b c"),
        ("line one\nline two", "line one\nline two"),
        ("\u202eRTL override", "RTL override"),
        ("", ""),
    ],
)
def test_clean_text_removes_control_characters_and_leading_slashes(raw: str, cleaned: str) -> None:
    assert clean_text(raw) == cleaned


def test_payloads_are_parsed_with_their_entities() -> None:
    assert Payload.parse('/change_language{"chosen_language":"uk"}') == Payload(
        intent="change_language", entities={"chosen_language": "uk"}
    )
    assert Payload.parse("/faq_registration_bsn") == Payload(
        intent="faq_registration_bsn", entities={}
    )
    assert Payload.parse("/x{not json}") is None
    assert Payload.parse("plain text") is None
