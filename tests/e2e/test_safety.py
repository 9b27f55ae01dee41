"""Crisis messages and personal numbers, through the real stack (web API), in three languages."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest

from tests.support import Stack, WebChat, stored_rows_containing, texts_of

NewChat = Callable[..., WebChat]

pytestmark = pytest.mark.stack

VALID_BSN = "111222333"  # passes the 11-test
PHONE = "06-12345678"


def rows_containing(stack: Stack, needle: str) -> list[str]:
    return stored_rows_containing(stack.settings.var_dir, needle)


def urgent_tickets(stack: Stack) -> list[tuple[str, str, int]]:
    with sqlite3.connect(stack.settings.var_dir / "wegwijs.db") as connection:
        return list(
            connection.execute("SELECT code, question, urgent FROM tickets WHERE urgent = 1")
        )


@pytest.mark.parametrize(
    ("language", "message", "send"),
    [
        ("uk", "я більше не хочу жити", "Передати моє повідомлення працівникові"),
        ("uk", "moia dytyna ne dykhaie", "Передати моє повідомлення працівникові"),
        ("en", "I want to kill myself", "Send my message to a person"),
        ("nl", "mijn man slaat me en ik ben bang", "Stuur mijn bericht naar een medewerker"),
    ],
)
def test_a_crisis_gets_the_emergency_numbers_at_once_and_an_urgent_person(
    stack: Stack, new_chat: NewChat, language: str, message: str, send: str
) -> None:
    chat = new_chat(language)
    chat.start()
    chat.say("hello" if language == "en" else "привіт" if language == "uk" else "hallo")
    reply = chat.say(message)
    first = reply["messages"][0]  # type: ignore[index]
    assert first["sender"] == "system"
    for number in ("112", "0800-0113", "0800-2000"):
        assert number in first["text"]
    assert send in chat.buttons
    sent = chat.press(send)
    assert "112" in texts_of(sent)
    assert any(question == message for _, question, _ in urgent_tickets(stack))


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Where can I find emergency housing?"), ("nl", "Hoe kom ik in de noodopvang?")],
)
def test_ordinary_questions_about_emergencies_are_not_a_crisis(
    stack: Stack, new_chat: NewChat, language: str, message: str
) -> None:
    chat = new_chat(language)
    chat.start()
    reply = chat.say(message)
    assert "0800-0113" not in texts_of(reply)
    assert all(m["sender"] == "bot" for m in reply["messages"])  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("language", "message", "notice"),
    [
        ("en", f"My BSN is {VALID_BSN}, where do I register my address?", "a BSN"),
        ("uk", f"мій BSN {VALID_BSN}, де зареєструвати адресу?", "номер BSN"),
        ("nl", f"Mijn telefoon is {PHONE}, bel me over mijn uitkering", "een telefoonnummer"),
    ],
)
def test_personal_numbers_never_reach_storage_and_the_user_is_told(
    stack: Stack, new_chat: NewChat, language: str, message: str, notice: str
) -> None:
    chat = new_chat(language)
    chat.start()
    reply = chat.say(message)
    assert notice in texts_of(reply)
    secret = VALID_BSN if VALID_BSN in message else PHONE
    assert rows_containing(stack, secret) == []


def test_a_ticket_for_staff_holds_the_redacted_text_only(stack: Stack, new_chat: NewChat) -> None:
    chat = new_chat("en")
    chat.start()
    chat.say(f"My neighbour calls me at {PHONE} every night about the shared garden fence, help")
    chat.say("I want to talk to a person")
    chat.press("Yes, send it")
    with sqlite3.connect(stack.settings.var_dir / "wegwijs.db") as connection:
        stored = connection.execute("SELECT question, excerpt FROM tickets").fetchall()
    assert any("[PHONE]" in question for question, _ in stored)
    assert rows_containing(stack, PHONE) == []
