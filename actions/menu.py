"""The topic menu and the language choice."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import context
from bot.faq.build import faq_intent


class ActionShowMenu(Action):
    """All topics, or the questions of one topic (from a topic button)."""

    def name(self) -> str:
        return "action_show_menu"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        topic = context.entity(tracker, "topic")
        entries = context.knowledge_base().in_topic(topic) if topic else []
        language = context.language_of(tracker)
        if not entries:
            context.say(dispatcher, "menu", language)
            return []
        buttons = [
            {"title": entry.title.get(language), "payload": f"/{faq_intent(entry.id)}"}
            for entry in entries
        ]
        buttons.append(context.button("menu", language))
        context.say(dispatcher, "topic_intro", language, buttons=buttons)
        return []


class ActionChangeLanguage(Action):
    """The gateway has applied a chosen language already; without one, offer the choice."""

    def name(self) -> str:
        return "action_change_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        key = (
            "language_changed" if context.entity(tracker, "chosen_language") else "choose_language"
        )
        context.say(dispatcher, key, context.language_of(tracker))
        return []
