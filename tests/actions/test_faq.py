"""The knowledge-base actions' decisions, on trackers built in code."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.fallback import consecutive_misses
from actions.faq import choose, faq_ranking, previous_bot_action


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
