"""A conversation survives a restart of every process (SQLite tracker store and database)."""

from __future__ import annotations

import pytest

from tests.support import Stack, WebChat, stack_settings, texts_of

pytestmark = pytest.mark.stack


def test_conversation_and_language_survive_a_restart_of_all_processes(
    trained_model: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    stack = Stack(stack_settings(tmp_path_factory.mktemp("restart")))
    stack.start()
    try:
        chat = WebChat(stack.url)
        chat.start()
        chat.say("Доброго дня! Мені потрібна допомога")
        chat.say("How do I get a DigiD?")  # a full English sentence switches to English
        stack.stop()
        stack.start()
        # "yes" is ambiguous, so the stored language (English) must hold; and it is answered
        # in context, so Rasa's tracker store must still know the answer it gave before.
        thanks = chat.say("yes")
        assert thanks["language"] == "en"
        assert "Glad I could help" in texts_of(thanks)
    finally:
        stack.stop()
