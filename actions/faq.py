"""Answers from the knowledge base, "did you mean...?", and "did this help?" feedback."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import context
from bot.db import repository
from bot.escalation import tickets
from bot.escalation.tickets import display_code
from bot.faq import situations
from bot.faq.build import FAQ_INTENT_PREFIX, faq_intent
from bot.faq.render import answer_text
from bot.language import Language

# Tuned on the development set's tune split (BENCHMARKS.md, "Lexical ranking"). The lexical
# ranker (rasa_plugins/lexical_ranker.py) makes the first choice surer, right or wrong: at
# 0.70 it answered 66.0% at once but wrongly 10.2% (before it: 55.8% and 8.2%); from 0.80 it
# answers 61.9% at once and no more wrongly than before (8.2%). Newcomers act on these
# answers: asking beats a confident wrong answer.
ANSWER_CONFIDENCE = 0.80
ANSWER_MARGIN = 0.10
# "Did you mean": after a fallback (nothing recognised) only likely entries are offered; when a
# knowledge-base entry was recognised but not surely enough, its runners-up go with it down to
# 0.03 (cross-validation: right entry within one click +1 point, bench/measure/nlu_cv.py).
SUGGEST_CONFIDENCE = 0.08
ALTERNATIVE_CONFIDENCE = 0.03
MAX_SUGGESTIONS = 3
# "See also" under an answer: the runners-up from SEE_ALSO_CONFIDENCE, so a newcomer whose
# question the first entry did not answer is one click from the one that does (dev set, report
# split: right within one click 78.8% -> 81.5%, wrong answers unchanged; BENCHMARKS.md).
SEE_ALSO_CONFIDENCE = 0.05
MAX_SEE_ALSO = 2
ANSWERING_ACTIONS = {"action_answer_faq", "action_situation"}
IGNORED_ACTIONS = {"action_listen", "action_extract_slots", "action_validate_slot_mappings"}


def faq_ranking(tracker: Tracker) -> list[tuple[str, float]]:
    """(entry id, confidence) of the knowledge-base intents DIET ranked, best first."""
    ranking: list[tuple[str, float]] = []
    for item in tracker.latest_message.get("intent_ranking") or []:
        name = str(item.get("name", ""))
        if name.startswith(FAQ_INTENT_PREFIX):
            ranking.append(
                (name.removeprefix(FAQ_INTENT_PREFIX), float(item.get("confidence", 0.0)))
            )
    return ranking


def choose(ranking: list[tuple[str, float]]) -> tuple[str | None, list[str]]:
    """The entry to answer with, or else the entries worth suggesting."""
    if not ranking:
        return None, []
    best_id, best = ranking[0]
    second = ranking[1][1] if len(ranking) > 1 else 0.0
    if best >= ANSWER_CONFIDENCE and best - second >= ANSWER_MARGIN:
        return best_id, []
    return None, [
        entry for entry, score in ranking[:MAX_SUGGESTIONS] if score >= ALTERNATIVE_CONFIDENCE
    ]


def see_also(ranking: list[tuple[str, float]], answered: str) -> list[str]:
    """The runners-up worth a button under the answer to `answered`."""
    return [
        entry for entry, score in ranking if entry != answered and score >= SEE_ALSO_CONFIDENCE
    ][:MAX_SEE_ALSO]


def entry_buttons(entry_ids: list[str], language: Language) -> list[dict[str, Any]]:
    entries = context.knowledge_base().by_id()
    return [
        {"title": entries[e].title.get(language), "payload": f"/{faq_intent(e)}"} for e in entry_ids
    ]


def suggest(dispatcher: CollectingDispatcher, entry_ids: list[str], language: Language) -> None:
    buttons = entry_buttons(entry_ids, language)
    buttons.append(context.button("something_else", language))
    context.say(dispatcher, "did_you_mean", language, buttons=buttons)


class ActionAnswerFaq(Action):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        entries = context.knowledge_base().by_id()
        intent = str((tracker.latest_message.get("intent") or {}).get("name", ""))
        ranking = [(e, s) for e, s in faq_ranking(tracker) if e in entries]
        if not ranking and intent.removeprefix(FAQ_INTENT_PREFIX) in entries:
            ranking = [(intent.removeprefix(FAQ_INTENT_PREFIX), 1.0)]  # a button: no NLU ranking
            return respond(dispatcher, tracker, ranking, situation=None)
        situation = tracker.get_slot("situation")
        if situation in situations.SITUATIONS:
            return respond(dispatcher, tracker, ranking, situation=str(situation))
        if not tracker.get_slot("situation_asked") and situation_settles(ranking):
            return ask_situation(dispatcher, tracker, ranking)
        return respond(dispatcher, tracker, ranking, situation=None)


def decide_for(
    ranking: list[tuple[str, float]], situation: str
) -> tuple[str | None, list[str], list[tuple[str, float]]]:
    """What the bot does for someone in `situation`: the entry to answer with (the sure one
    among those for them, or the sibling written for their situation), else the entries worth
    suggesting; and the ranking for them."""
    entries = context.knowledge_base().by_id()
    theirs = situations.for_situation(ranking, entries, situation)
    answer, suggestions = choose(theirs)
    return answer or situations.sibling_for(ranking, entries, situation), suggestions, theirs


def situation_settles(ranking: list[tuple[str, float]]) -> bool:
    """Ask the situation instead of "did you mean" when the bot is unsure, the likely entries
    are for different people, and each situation they are written for leads straight to an
    answer. Chosen on the development set's tune split (BENCHMARKS.md, "The situation
    question"): asked wherever the entries differ by situation, it replaced useful "did you
    mean" buttons (within one click 95.9% -> 91.2%); asked only so, it leaves the figures as
    they were and is one click to an answer that is remembered."""
    entries = context.knowledge_base().by_id()
    if choose(ranking)[0] is not None or not situations.differs_by_situation(ranking, entries):
        return False
    named = situations.named_by_contenders(ranking, entries)
    return bool(named) and all(decide_for(ranking, s)[0] for s in named)


def ask_situation(
    dispatcher: CollectingDispatcher, tracker: Tracker, ranking: list[tuple[str, float]]
) -> list[EventType]:
    """Which fits you? Asked once, when the likely entries are for different people; the
    question waits in `situation_pending` for the answer (actions/situation.py)."""
    weighed = {"situation_asked": situations.contenders(ranking)}
    context.say(dispatcher, "situation_ask", context.language_of(tracker), custom=weighed)
    return [
        SlotSet("situation_asked", True),
        SlotSet("situation_pending", situations.as_slot(ranking)),
        SlotSet("feedback_faq_id", None),
    ]


def respond(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    ranking: list[tuple[str, float]],
    *,
    situation: str | None,
) -> list[EventType]:
    """The answer, or "did you mean", from a ranking; with a known situation, only the entries
    for it, and a word that the situation chose (with a button to change it)."""
    entries = context.knowledge_base().by_id()
    language = context.language_of(tracker)
    chosen_by_situation = False
    if situation is None:
        answer, suggestions = choose(ranking)
    else:
        chosen_by_situation = situations.dropped_contenders(ranking, entries, situation)
        answer, suggestions, ranking = decide_for(ranking, situation)
    if answer is not None:
        entry = entries[answer]
        dispatcher.utter_message(
            text=answer_text(entry, language, context.texts()),
            json_message={"faq": {"id": entry.id, "topic": entry.topic}},
        )
        if chosen_by_situation and situation is not None:
            context.say(
                dispatcher,
                "situation_used",
                language,
                situation=context.button(situations.button_name(situation), language)["title"],
            )
        context.say(dispatcher, "did_it_help", language)
        related = see_also(ranking, entry.id)
        if related:
            context.say(dispatcher, "see_also", language, buttons=entry_buttons(related, language))
        return [SlotSet("feedback_faq_id", entry.id), SlotSet("situation_pending", None)]
    if suggestions:
        suggest(dispatcher, suggestions, language)
    else:
        context.say(dispatcher, "default", language)
    return [SlotSet("feedback_faq_id", None), SlotSet("situation_pending", None)]


def previous_bot_action(tracker: Tracker) -> str | None:
    """The last action the bot ran before the user's latest message."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return None
            seen_user = True
        elif (
            seen_user
            and event.get("event") == "action"
            and event.get("name") not in IGNORED_ACTIONS
        ):
            return str(event.get("name"))
    return None


class ActionHandleFeedback(Action):
    """Yes/no: feedback on the answer just given, or plain agreement otherwise."""

    def name(self) -> str:
        return "action_handle_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        faq_id = tracker.get_slot("feedback_faq_id")
        helpful = (tracker.latest_message.get("intent") or {}).get("name") == "affirm"
        language = context.language_of(tracker)
        ticket_code = context.entity(tracker, "ticket")
        if ticket_code:
            await ticket_feedback(dispatcher, tracker, ticket_code, solved=helpful)
            return []
        if not faq_id or previous_bot_action(tracker) not in ANSWERING_ACTIONS:
            context.say(dispatcher, "ok", language)
            return []
        async with context.sessions().begin() as session:
            await repository.record_feedback(
                session,
                conversation_id=tracker.sender_id,
                faq_id=faq_id,
                language=language,
                helpful=helpful,
            )
        context.say(dispatcher, "feedback_thanks" if helpful else "feedback_sorry", language)
        return [SlotSet("feedback_faq_id", None)]


async def ticket_feedback(
    dispatcher: CollectingDispatcher, tracker: Tracker, code: str, *, solved: bool
) -> None:
    """ "Did this solve your question?" after a staff answer: closes it, or sends it back."""
    language = context.language_of(tracker)
    async with context.sessions().begin() as session:
        ticket = await tickets.record_solved(
            session, conversation_id=tracker.sender_id, code=code, solved=solved
        )
    shown = display_code(tickets.normalize_code(code))
    if ticket is None:
        context.say(dispatcher, "ticket_feedback_not_waiting", language, code=shown)
    else:
        key = "ticket_solved_thanks" if solved else "ticket_not_solved"
        context.say(dispatcher, key, language, code=shown)
