"""A person: offer to send the question to staff (with consent), make the ticket, show status.

The flow: "talk to a person" (typed, a button, /human, after two misses or an unhelpful
answer) -> the bot shows the question it would send (the newcomer's last real question) and
what staff will see, and asks for consent; "write it differently" (or no question yet) asks
for the question with ticket_question_form. Consent makes the ticket and the staff
notification in one transaction (bot/escalation/tickets.py), and the newcomer gets a code and
an honest expected answer time.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from actions import context
from bot.db import repository
from bot.db.models import Ticket, as_utc, utcnow
from bot.escalation import tickets
from bot.escalation.office_hours import AnswerTimes, describe_date
from bot.escalation.tickets import ExcerptLine, display_code
from bot.faq.build import FAQ_INTENT_PREFIX
from bot.language import Language

FORM = "ticket_question_form"
STEP = "escalation_step"  # consent | ask_question | None: the rules branch on it
# Messages that are not a question for staff (greetings, buttons, yes/no, ...).
NOT_A_QUESTION = {
    "greet",
    "goodbye",
    "thanks",
    "help",
    "bot_challenge",
    "change_language",
    "show_menu",
    "affirm",
    "deny",
    "ticket_status",
    "privacy",
}
LONG_ENOUGH_TO_BE_THE_QUESTION = 12  # words: "I need a person about my rent arrears ..."
LOOK_BACK_USER_MESSAGES = 6
EXCERPT_MESSAGES = 8
EXCERPT_BOT_CHARS = 300
QUESTION_PREVIEW_CHARS = 80
CRISIS_MAKES_URGENT_FOR = dt.timedelta(days=1)


def _intent(event: dict[str, Any]) -> str:
    return str(((event.get("parse_data") or {}).get("intent") or {}).get("name") or "")


def _session_events(tracker: Tracker) -> list[dict[str, Any]]:
    """The events since the current session started."""
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "session_started":
            return events[index + 1 :]
    return events


def candidate_question(tracker: Tracker) -> str | None:
    """The newcomer's last real question in this session, typed (not a button)."""
    seen = 0
    for event in reversed(_session_events(tracker)):
        if event.get("event") != "user":
            continue
        seen += 1
        if seen > LOOK_BACK_USER_MESSAGES:
            return None
        text = str(event.get("text") or "").strip()
        intent = _intent(event)
        if not text or text.startswith("/") or intent in NOT_A_QUESTION:
            continue
        if intent == "ask_human" and len(text.split()) < LONG_ENOUGH_TO_BE_THE_QUESTION:
            continue
        return text
    return None


def just_written(tracker: Tracker) -> bool:
    """True right after ticket_question_form took the question down."""
    for event in reversed(tracker.events):
        if event.get("event") == "action":
            return bool(event.get("name") == FORM)
        if event.get("event") == "user":
            return False
    return False


def topic_guess(tracker: Tracker, question: str) -> str | None:
    """The topic of the knowledge-base entry NLU ranked first for the question, if any."""
    entries = context.knowledge_base().by_id()
    for event in reversed(_session_events(tracker)):
        if event.get("event") != "user" or str(event.get("text") or "").strip() != question:
            continue
        for item in (event.get("parse_data") or {}).get("intent_ranking") or []:
            name = str(item.get("name", ""))
            if (
                name.startswith(FAQ_INTENT_PREFIX)
                and name.removeprefix(FAQ_INTENT_PREFIX) in entries
            ):
                return entries[name.removeprefix(FAQ_INTENT_PREFIX)].topic
        return None
    return None


def excerpt(tracker: Tracker) -> list[ExcerptLine]:
    """The last messages before the request for a person, for staff (buttons left out)."""
    events = _session_events(tracker)
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "user" and _intent(events[index]) == "ask_human":
            events = events[:index]
            break
    lines: list[ExcerptLine] = []
    for event in events:
        text = str(event.get("text") or "").strip()
        if not text:
            continue
        if event.get("event") == "user" and not text.startswith("/"):
            lines.append(ExcerptLine(sender="newcomer", text=text))
        elif event.get("event") == "bot":
            short = text if len(text) <= EXCERPT_BOT_CHARS else text[:EXCERPT_BOT_CHARS] + "…"
            lines.append(ExcerptLine(sender="bot", text=short))
    return lines[-EXCERPT_MESSAGES:]


async def recent_crisis(session: AsyncSession, conversation_id: str) -> bool:
    """A crisis message in this conversation lately makes its ticket urgent."""
    conversation = await repository.get_conversation(session, conversation_id=conversation_id)
    if conversation is None or conversation.crisis_at is None:
        return False
    return as_utc(conversation.crisis_at) > utcnow() - CRISIS_MAKES_URGENT_FOR


def channel_of(tracker: Tracker) -> str:
    metadata = tracker.latest_message.get("metadata") or {}
    channel = metadata.get("channel") if isinstance(metadata, dict) else None
    return str(channel) if channel else str(tracker.get_latest_input_channel() or "rest")


@cache
def answer_times() -> AnswerTimes:
    """The promise (office hours, holidays, queue) from the settings, read once."""
    return AnswerTimes.from_settings(context.settings())


def preview(question: str) -> str:
    flat = " ".join(question.split())
    return flat if len(flat) <= QUESTION_PREVIEW_CHARS else flat[:QUESTION_PREVIEW_CHARS] + "…"


class ActionOfferEscalation(Action):
    """Shows what would be sent to staff and asks for consent, or asks for the question."""

    def name(self) -> str:
        return "action_offer_escalation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = context.language_of(tracker)
        if context.entity(tracker, "rephrase"):
            return [SlotSet("ticket_question", None), SlotSet(STEP, "ask_question")]
        if just_written(tracker):
            question = tracker.get_slot("ticket_question")
        else:
            question = candidate_question(tracker)
        if not question:
            return [SlotSet("ticket_question", None), SlotSet(STEP, "ask_question")]
        try:
            async with context.sessions()() as session:
                duplicate = await tickets.find_duplicate(
                    session, conversation_id=tracker.sender_id, question=question
                )
        except SQLAlchemyError:
            context.say(dispatcher, "escalation_unavailable", language)
            return [SlotSet("ticket_question", None), SlotSet(STEP, None)]
        if duplicate is not None:
            context.say(dispatcher, "ticket_duplicate", language, code=display_code(duplicate.code))
            return [SlotSet("ticket_question", None), SlotSet(STEP, None)]
        context.say(dispatcher, "escalation_consent", language, question=question)
        return [SlotSet("ticket_question", question), SlotSet(STEP, "consent")]


class ActionCreateTicket(Action):
    """Consent given: the ticket, and the staff notification in the same transaction."""

    def name(self) -> str:
        return "action_create_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = context.language_of(tracker)
        question = tracker.get_slot("ticket_question")
        if not question:
            context.say(dispatcher, "default", language)
            return []
        times = answer_times()
        try:
            async with context.sessions().begin() as session:
                duplicate = await tickets.find_duplicate(
                    session, conversation_id=tracker.sender_id, question=question
                )
                if duplicate is not None:
                    context.say(
                        dispatcher, "ticket_duplicate", language, code=display_code(duplicate.code)
                    )
                    return [SlotSet("ticket_question", None), SlotSet(STEP, None)]
                waiting = await tickets.queue_length(session)
                urgent = await recent_crisis(session, tracker.sender_id)
                ticket = await tickets.create_ticket(
                    session,
                    conversation_id=tracker.sender_id,
                    channel=channel_of(tracker),
                    language=language,
                    question=question,
                    excerpt=excerpt(tracker),
                    topic=topic_guess(tracker, question),
                    urgent=urgent,
                )
                ticket.expected_by = times.expected(
                    ticket.created_at, waiting=0 if urgent else waiting
                )
                code, expected = ticket.code, ticket.expected_by
        except SQLAlchemyError:
            context.say(dispatcher, "escalation_unavailable", language)
            return [SlotSet("ticket_question", None), SlotSet(STEP, None)]
        context.say(
            dispatcher,
            "ticket_created",
            language,
            code=display_code(code),
            expected=times.describe(expected, language),
        )
        return [SlotSet("ticket_question", None), SlotSet(STEP, None)]


class ActionEscalationDeclined(Action):
    def name(self) -> str:
        return "action_escalation_declined"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        context.say(dispatcher, "escalation_declined", context.language_of(tracker))
        return [SlotSet("ticket_question", None), SlotSet(STEP, None)]


def status_line(ticket: Ticket, language: Language, times: AnswerTimes) -> str:
    values: dict[str, object] = {
        "code": display_code(ticket.code),
        "question": preview(ticket.question),
    }
    if ticket.state in ("open", "claimed"):
        expected = ticket.expected_by or ticket.created_at
        values["expected"] = times.describe(expected, language)
    if ticket.state == "answered":
        answered = ticket.answered_at or ticket.updated_at
        values["date"] = describe_date(answered, language, times.hours.timezone)
    return context.render(f"ticket_state_{ticket.state}", language, **values)


class ActionTicketStatus(Action):
    """The newcomer's questions for staff that are not closed, and where each stands."""

    def name(self) -> str:
        return "action_ticket_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = context.language_of(tracker)
        try:
            async with context.sessions()() as session:
                mine = await tickets.tickets_of(session, conversation_id=tracker.sender_id)
        except SQLAlchemyError:
            context.say(dispatcher, "escalation_unavailable", language)
            return []
        if not mine:
            context.say(dispatcher, "ticket_status_none", language)
            return []
        lines = [context.render("ticket_status_list", language)]
        lines += [status_line(ticket, language, answer_times()) for ticket in mine]
        dispatcher.utter_message(text="\n\n".join(lines))
        return []


class ActionAskTicketQuestion(Action):
    """ticket_question_form's question (a custom action: its text lives in texts/)."""

    def name(self) -> str:
        return "action_ask_ticket_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        context.say(dispatcher, "ask_ticket_question", context.language_of(tracker))
        return []


class ValidateTicketQuestionForm(FormValidationAction):
    """What the newcomer wrote for staff: text only (a button press asks again)."""

    def name(self) -> str:
        return "validate_ticket_question_form"

    async def validate_ticket_question(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        text = str(slot_value or "").strip()
        if not text or text.startswith("/") or len(text) < 3:
            return {"ticket_question": None}
        return {"ticket_question": text}
