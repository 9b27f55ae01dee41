"""A conversation survives a restart of every process, on SQLite and on PostgreSQL
(Rasa's tracker store and the app database both)."""

from __future__ import annotations

import pytest

from tests.support import Stack, WebChat, stack_settings, texts_of

pytestmark = pytest.mark.stack


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_conversation_and_language_survive_a_restart_of_all_processes(
    trained_model: None,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
    database: str,
) -> None:
    url = request.getfixturevalue("stack_postgres_url") if database == "postgresql" else ""
    stack = Stack(stack_settings(tmp_path_factory.mktemp("restart"), database_url=url))
    stack.start()
    chat = WebChat(stack.url)
    try:
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
        chat.close()
        stack.stop()
