"""The newcomer's situation (bot/faq/situations.py): a situation button sets it and answers
the question that waited for it; without one ("change my situation"), the choice is offered."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import context
from actions.faq import respond
from bot.faq import situations


class ActionSituation(Action):
    def name(self) -> str:
        return "action_situation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = context.language_of(tracker)
        chosen = context.entity(tracker, "situation")
        if chosen is None or chosen not in situations.SITUATIONS:
            context.say(dispatcher, "situation_choose", language)
            return [SlotSet("situation_asked", True)]
        events: list[EventType] = [
            SlotSet("situation", chosen),
            SlotSet("situation_asked", True),
            SlotSet("situation_pending", None),
        ]
        pending = situations.from_slot(tracker.get_slot("situation_pending"))
        if not pending:
            label = context.button(situations.button_name(chosen), language)["title"]
            context.say(dispatcher, "situation_noted", language, situation=label)
            return events
        return events + respond(dispatcher, tracker, pending, situation=chosen)
