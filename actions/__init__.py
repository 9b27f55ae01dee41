"""Wegwijs's custom actions, discovered by rasa-sdk from this package (one module per concern)."""

from actions.fallback import ActionHandleFallback
from actions.faq import ActionAnswerFaq, ActionHandleFeedback
from actions.language import ValidateSlotMappings
from actions.menu import ActionChangeLanguage, ActionShowMenu
from actions.situation import ActionSituation

__all__ = [
    "ActionAnswerFaq",
    "ActionChangeLanguage",
    "ActionHandleFallback",
    "ActionHandleFeedback",
    "ActionShowMenu",
    "ActionSituation",
    "ValidateSlotMappings",
]
