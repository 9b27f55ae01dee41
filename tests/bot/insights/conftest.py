"""The insights' tests use the privacy tests' stores (app database + tracker store, SQLite and
PostgreSQL) and a conversation service whose Rasa answers from a script."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.config import PROJECT_ROOT
from bot.conversation import ConversationService
from bot.language import LanguageDecider
from bot.rasa_client import RasaClient, RasaMessage
from bot.texts import load_texts
from tests.bot.privacy.conftest import Stores, stores  # noqa: F401

Script = Callable[[str, str], Awaitable[list[RasaMessage]]]


class ScriptedRasa(RasaClient):
    """Rasa's REST channel as a function of (sender, text): no server, real rendering."""

    def __init__(self, script: Script) -> None:
        super().__init__(base_url="http://127.0.0.1:9", timeout=1.0)
        self.script = script

    async def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> list[RasaMessage]:
        return await self.script(sender, text)


@pytest.fixture
def service_for(stores: Stores) -> Callable[[Script], ConversationService]:  # noqa: F811
    def make(script: Script) -> ConversationService:
        return ConversationService(
            sessions=stores.sessions,
            rasa=ScriptedRasa(script),
            decider=LanguageDecider(),
            texts=load_texts(PROJECT_ROOT),
            links={},
            max_message_chars=1000,
        )

    return make
