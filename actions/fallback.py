"""When the bot does not understand: suggest close answers, and after two misses offer a person."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import context
from actions.faq import SUGGEST_CONFIDENCE, faq_ranking, suggest

MISSES_BEFORE_OFFERING_A_PERSON = 2
MAX_SUGGESTIONS = 3


def consecutive_misses(tracker: Tracker) -> int:
    misses = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
        if intent != "nlu_fallback":
            break
        misses += 1
    return misses


class ActionHandleFallback(Action):
    def name(self) -> str:
        return "action_handle_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = context.language_of(tracker)
        if consecutive_misses(tracker) >= MISSES_BEFORE_OFFERING_A_PERSON:
            context.say(dispatcher, "offer_human", language)
            return []
        entries = context.knowledge_base().by_id()
        candidates = [
            e for e, s in faq_ranking(tracker) if e in entries and s >= SUGGEST_CONFIDENCE
        ]
        if candidates:
            suggest(dispatcher, candidates[:MAX_SUGGESTIONS], language)
        else:
            context.say(dispatcher, "default", language)
        return []
