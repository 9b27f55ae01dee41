"""The situation question and its answer (actions/faq.py, actions/situation.py), on trackers
built in code and Almere's real knowledge base."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from actions.faq import ActionAnswerFaq, situation_settles
from actions.situation import ActionSituation

LEEFGELD_OR_BIJSTAND = [("money_leefgeld", 0.50), ("money_bijstand", 0.45)]


def tracker(slots: dict[str, Any], latest: dict[str, Any], language: str = "en") -> Tracker:
    return Tracker(
        sender_id="we-test",
        slots={"language": language, **slots},
        latest_message=latest,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name=None,
    )


def ranked(ranking: list[tuple[str, float]]) -> dict[str, Any]:
    return {
        "intent": {"name": f"faq_{ranking[0][0]}"},
        "intent_ranking": [{"name": f"faq_{e}", "confidence": s} for e, s in ranking],
    }


def run(action: Any, state: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, state, {}))
    return dispatcher.messages, events


def slots_set(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def payloads(messages: list[dict[str, Any]]) -> list[str]:
    return [b["payload"] for m in messages for b in m.get("buttons") or []]


def test_entries_for_different_people_ask_the_situation_once_with_buttons() -> None:
    messages, events = run(ActionAnswerFaq(), tracker({}, ranked(LEEFGELD_OR_BIJSTAND)))
    assert messages[0]["text"] == context.render("situation_ask", "en")
    assert payloads(messages) == [
        '/situation{"situation":"ukrainians"}',
        '/situation{"situation":"status_holders"}',
        '/situation{"situation":"asylum_seekers"}',
        '/situation{"situation":"other"}',
    ]
    assert messages[0]["custom"] == {"situation_asked": ["money_leefgeld", "money_bijstand"]}
    slots = slots_set(events)
    assert slots["situation_asked"] is True
    assert slots["situation_pending"] == [["money_leefgeld", 0.5], ["money_bijstand", 0.45]]


def test_once_asked_it_is_not_asked_again() -> None:
    state = tracker({"situation_asked": True}, ranked(LEEFGELD_OR_BIJSTAND))
    messages, _ = run(ActionAnswerFaq(), state)
    assert messages[0]["text"] == context.render("did_you_mean", "en")
    assert "/faq_money_leefgeld" in payloads(messages)


def test_the_chosen_situation_answers_the_question_that_waited() -> None:
    pending = [["money_leefgeld", 0.5], ["money_bijstand", 0.45]]
    latest = {
        "intent": {"name": "situation"},
        "entities": [{"entity": "situation", "value": "ukrainians"}],
    }
    messages, events = run(
        ActionSituation(), tracker({"situation_pending": pending}, latest, language="uk")
    )
    assert {"faq": {"id": "money_leefgeld", "topic": "money"}} in [
        m.get("custom") for m in messages
    ]
    situation = context.texts().button("situation_ukrainians", "uk").title
    assert context.render("situation_used", "uk", situation=situation) in [
        m.get("text") for m in messages
    ]
    assert "/situation" in payloads(messages)  # change it
    slots = slots_set(events)
    assert slots["situation"] == "ukrainians"
    assert slots["situation_pending"] is None
    assert slots["feedback_faq_id"] == "money_leefgeld"


def test_a_known_situation_sets_aside_the_entries_not_for_it() -> None:
    state = tracker({"situation": "status_holders"}, ranked(LEEFGELD_OR_BIJSTAND), "nl")
    messages, events = run(ActionAnswerFaq(), state)
    assert {"faq": {"id": "money_bijstand", "topic": "money"}} in [
        m.get("custom") for m in messages
    ]
    assert slots_set(events)["feedback_faq_id"] == "money_bijstand"


def test_a_situation_chosen_without_a_waiting_question_is_confirmed() -> None:
    latest = {
        "intent": {"name": "situation"},
        "entities": [{"entity": "situation", "value": "other"}],
    }
    messages, events = run(ActionSituation(), tracker({}, latest))
    situation = context.texts().button("situation_other", "en").title
    assert messages[0]["text"] == context.render("situation_noted", "en", situation=situation)
    assert slots_set(events)["situation"] == "other"


def test_change_my_situation_offers_the_choice_and_an_unknown_one_is_not_stored() -> None:
    for entities in ([], [{"entity": "situation", "value": "tourist"}]):
        latest = {"intent": {"name": "situation"}, "entities": entities}
        messages, events = run(ActionSituation(), tracker({"situation": "other"}, latest))
        assert messages[0]["text"] == context.render("situation_choose", "en")
        assert len(payloads(messages)) == 4
        assert "situation" not in slots_set(events)


def test_a_button_for_an_entry_is_answered_whatever_the_situation() -> None:
    latest = {"intent": {"name": "faq_money_leefgeld"}}
    messages, _ = run(ActionAnswerFaq(), tracker({"situation": "status_holders"}, latest))
    assert {"faq": {"id": "money_leefgeld", "topic": "money"}} in [
        m.get("custom") for m in messages
    ]


def test_entries_on_different_matters_keep_their_did_you_mean() -> None:
    # The shelter is for Ukrainians, but knowing it would not settle which of the three it is.
    ranking = [
        ("registration_brp", 0.30),
        ("housing_shelter_location", 0.25),
        ("work_own_business", 0.20),
    ]
    assert not situation_settles(ranking)
    messages, events = run(ActionAnswerFaq(), tracker({}, ranked(ranking)))
    assert messages[0]["text"] == context.render("did_you_mean", "en")
    assert "situation_asked" not in slots_set(events)


def test_a_sure_answer_is_given_without_asking() -> None:
    ranking = [("money_leefgeld", 0.85), ("money_bijstand", 0.12)]
    assert not situation_settles(ranking)
    messages, _ = run(ActionAnswerFaq(), tracker({}, ranked(ranking)))
    assert {"faq": {"id": "money_leefgeld", "topic": "money"}} in [
        m.get("custom") for m in messages
    ]
