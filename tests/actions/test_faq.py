"""The knowledge-base actions' decisions, on trackers built in code."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from actions.fallback import consecutive_misses
from actions.faq import ActionAnswerFaq, choose, faq_ranking, previous_bot_action, see_also


def tracker(events: list[dict[str, object]], latest: dict[str, object] | None = None) -> Tracker:
    return Tracker(
        sender_id="we-test",
        slots={"language": "en"},
        latest_message=latest or {},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name=None,
    )


def test_a_confident_clear_winner_is_answered() -> None:
    assert choose([("registration_bsn", 0.91), ("registration_digid", 0.05)]) == (
        "registration_bsn",
        [],
    )


def test_two_close_entries_are_offered_as_a_choice() -> None:
    answer, suggestions = choose([("a", 0.45), ("b", 0.40), ("c", 0.09), ("d", 0.01)])
    assert answer is None
    assert suggestions == ["a", "b", "c"]


def test_nothing_plausible_gives_no_suggestions() -> None:
    assert choose([("a", 0.025), ("b", 0.01)]) == (None, [])
    assert choose([("a", 0.05), ("b", 0.02)]) == (None, ["a"])  # a runner-up from 3%
    assert choose([]) == (None, [])


def test_ranking_keeps_only_knowledge_base_intents() -> None:
    latest = {
        "intent_ranking": [
            {"name": "faq_registration_bsn", "confidence": 0.7},
            {"name": "greet", "confidence": 0.2},
            {"name": "faq_money_leefgeld", "confidence": 0.1},
        ]
    }
    assert faq_ranking(tracker([], latest)) == [("registration_bsn", 0.7), ("money_leefgeld", 0.1)]


def test_previous_bot_action_skips_listening_and_slot_actions() -> None:
    events: list[dict[str, object]] = [
        {"event": "user", "parse_data": {"intent": {"name": "faq_registration_bsn"}}},
        {"event": "action", "name": "action_answer_faq"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "parse_data": {"intent": {"name": "affirm"}}},
        {"event": "action", "name": "action_extract_slots"},
    ]
    assert previous_bot_action(tracker(events)) == "action_answer_faq"


def test_misses_are_counted_only_when_consecutive() -> None:
    miss = {"event": "user", "parse_data": {"intent": {"name": "nlu_fallback"}}}
    hit = {"event": "user", "parse_data": {"intent": {"name": "greet"}}}
    assert consecutive_misses(tracker([miss, hit, miss, miss])) == 2
    assert consecutive_misses(tracker([miss, hit])) == 0


def test_see_also_takes_up_to_two_runners_up_from_five_percent() -> None:
    ranking = [("a", 0.80), ("b", 0.09), ("c", 0.06), ("d", 0.05), ("e", 0.049)]
    assert see_also(ranking, "a") == ["b", "c"]
    assert see_also([("a", 0.95), ("b", 0.049)], "a") == []
    assert see_also([("a", 0.95)], "a") == []


def answer_messages(ranking: list[tuple[str, float]], language: str) -> list[dict[str, object]]:
    intent_ranking = [{"name": f"faq_{entry}", "confidence": score} for entry, score in ranking]
    latest = {"intent": intent_ranking[0], "intent_ranking": intent_ranking, "text": "?"}
    dispatcher = CollectingDispatcher()
    found = tracker([], latest)
    found.slots["language"] = language
    asyncio.run(ActionAnswerFaq().run(dispatcher, found, {}))
    return dispatcher.messages


def test_an_answer_is_followed_by_its_runners_up_in_the_newcomers_language() -> None:
    entries = context.knowledge_base().by_id()
    ranking = [("money_leefgeld", 0.82), ("money_shelter_contribution", 0.07),
               ("money_bank_account", 0.05), ("registration_bsn", 0.04)]  # fmt: skip
    for language in ("uk", "en", "nl"):
        answer, question, related = answer_messages(ranking, language)
        assert answer["custom"] == {"faq": {"id": "money_leefgeld", "topic": "money"}}
        assert question["text"] == context.render("did_it_help", language)
        assert related["text"] == context.render("see_also", language)
        assert [button["title"] for button in related["buttons"]] == [  # type: ignore[union-attr]
            entries["money_shelter_contribution"].title.get(language),
            entries["money_bank_account"].title.get(language),
        ]
        assert [button["payload"] for button in related["buttons"]] == [  # type: ignore[union-attr]
            "/faq_money_shelter_contribution",
            "/faq_money_bank_account",
        ]


def test_a_sure_answer_with_no_likely_runner_up_stands_alone() -> None:
    messages = answer_messages([("money_leefgeld", 0.97), ("money_bank_account", 0.01)], "uk")
    assert len(messages) == 2
    assert messages[1]["text"] == context.render("did_it_help", "uk")
