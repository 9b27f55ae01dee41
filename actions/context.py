"""What the actions share (settings, knowledge base, texts, database), made on first use."""

from __future__ import annotations

from functools import cache
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings, load_settings
from bot.db.session import make_engine, make_sessionmaker
from bot.faq.schema import KnowledgeBase, load_knowledge_base
from bot.language import SUPPORTED as LANGUAGES
from bot.language import Language
from bot.texts import Texts, load_texts


@cache
def settings() -> Settings:
    return load_settings()


@cache
def knowledge_base() -> KnowledgeBase:
    return load_knowledge_base(
        settings().project_root / "faq", municipality=settings().municipality
    )


@cache
def texts() -> Texts:
    return load_texts(settings().project_root, settings().municipality)


@cache
def sessions() -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(make_engine(settings().effective_database_url))


def language_of(tracker: Tracker) -> Language:
    value = tracker.get_slot("language")
    return value if value in LANGUAGES else settings().default_language


def entity(tracker: Tracker, name: str) -> str | None:
    for item in tracker.latest_message.get("entities", []) or []:
        if item.get("entity") == name and isinstance(item.get("value"), str):
            return str(item["value"])
    return None


def button(name: str, language: Language) -> dict[str, Any]:
    spec = texts().button(name, language)
    return {"title": spec.title, "payload": spec.payload}


def say(
    dispatcher: CollectingDispatcher,
    key: str,
    language: Language,
    *,
    buttons: list[dict[str, Any]] | None = None,
    custom: dict[str, Any] | None = None,
    **values: object,
) -> None:
    """Sends a message from texts/messages.yml, its {placeholders} filled from `values`;
    `buttons` replace the message's own; `custom` goes with it for the gateway."""
    text = render(key, language, **values)
    _, own = texts().message(key, language)
    chosen = (
        buttons if buttons is not None else [{"title": b.title, "payload": b.payload} for b in own]
    )
    dispatcher.utter_message(text=text, buttons=chosen, json_message=custom)


def render(key: str, language: Language, **values: object) -> str:
    """A text of texts/messages.yml with its {placeholders} filled (values are not parsed)."""
    template, _ = texts().message(key, language)
    return template.format(**values) if values else template
