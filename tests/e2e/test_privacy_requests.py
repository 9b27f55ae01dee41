"""/mydata and /forget through the web API, with the real Rasa tracker store behind them."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest

from bot.pseudonym import Pseudonymizer, load_or_create_key
from tests.support import Stack, WebChat, texts_of

NewChat = Callable[..., WebChat]

pytestmark = pytest.mark.stack


def stored_events(stack: Stack, chat: WebChat) -> int:
    configured = stack.settings.pseudonym_key
    key = load_or_create_key(
        configured.get_secret_value() if configured else None, stack.settings.var_dir
    )
    sender = Pseudonymizer(key).conversation_id("web", chat.token)
    with sqlite3.connect(stack.settings.var_dir / "tracker.db") as connection:
        (count,) = connection.execute(
            "SELECT count(*) FROM events WHERE sender_id = ?", (sender,)
        ).fetchone()
    return int(count)


@pytest.mark.parametrize(
    ("language", "question", "privacy", "labels"),
    [
        (
            "uk",
            "Як записатися на курси нідерландської мови?",
            "що ви зберігаєте про мене?",
            ("Що зберігається про мене", "Видалити мої дані", "Так, видалити все", "видалено"),
        ),
        (
            "en",
            "How do I sign up for Dutch lessons?",
            "what do you store about me?",
            ("What is stored about me", "Erase my data", "Yes, erase everything", "erased"),
        ),
        (
            "nl",
            "Hoe kan ik Nederlandse les volgen?",
            "wat bewaren jullie over mij?",
            ("Wat is er over mij bewaard", "Mijn gegevens wissen", "Ja, alles wissen", "gewist"),
        ),
    ],
)
def test_a_user_sees_what_is_stored_and_erases_it(
    stack: Stack,
    new_chat: NewChat,
    language: str,
    question: str,
    privacy: str,
    labels: tuple[str, str, str, str],
) -> None:
    show, erase, confirm, done = labels
    chat = new_chat(language)
    chat.start()
    chat.say(question)
    reply = chat.say(privacy)
    assert show in chat.buttons, texts_of(reply)
    mine = chat.press(show)
    assert question in texts_of(mine)
    assert all(m["sender"] == "system" for m in mine["messages"])  # type: ignore[attr-defined]
    before = stored_events(stack, chat)
    assert before > 5
    chat.press(erase)
    assert confirm in chat.buttons
    erased = chat.press(confirm)
    assert done in texts_of(erased)
    assert stored_events(stack, chat) == 0
    # a new start: what was said before is gone
    chat.say(privacy)
    again = chat.press(show)
    assert question not in texts_of(again)


def test_erasing_can_be_cancelled(stack: Stack, new_chat: NewChat) -> None:
    chat = new_chat("en")
    chat.start()
    chat.say("what do you store about me?")
    chat.press("Erase my data")
    reply = chat.press("No, keep it")
    assert "nothing has been erased" in texts_of(reply)
    assert stored_events(stack, chat) > 0


def test_erasing_also_erases_the_answers_kept_for_retries(stack: Stack, new_chat: NewChat) -> None:
    chat = new_chat("en")
    chat.start()
    path = f"/api/conversations/{chat.token}/messages"
    question = {"text": "How do I sign up for Dutch lessons?", "language": "en"}
    key = {"Idempotency-Key": "forget-me-0001"}
    first = chat.client.post(path, json=question, headers=key)
    retried = chat.client.post(path, json=question, headers=key)
    assert retried.headers.get("idempotent-replayed") == "true"
    assert retried.json() == first.json()

    chat.say("what do you store about me?")
    chat.press("Erase my data")
    chat.press("Yes, erase everything")

    after = chat.client.post(path, json=question, headers=key)
    assert after.status_code == 200, after.text
    assert "idempotent-replayed" not in after.headers  # the kept answer went with the rest
