"""The lexical intent ranker (rasa_plugins/lexical_ranker.py) in Rasa's own environment: trained,
stored in and loaded from Rasa's model storage, re-ranking a classifier's candidates."""

from __future__ import annotations

import json
import math
import subprocess
from typing import Any

import pytest

from bot.config import PROJECT_ROOT
from bot.training import rasa_environment

RASA_PYTHON = PROJECT_ROOT / ".venvs/rasa/bin/python"

TRAINING = {
    "faq_money_leefgeld": [
        "скільки leefgeld я отримаю",
        "how much is the leefgeld",
        "wanneer komt het leefgeld",
    ],
    "faq_money_bijstand": [
        "wie krijgt bijstand",
        "can I get social assistance",
        "чи можу я отримати допомогу",
    ],
    "faq_health_huisarts": [
        "як записатися до хаусарца",
        "how do I find a GP",
        "hoe vind ik een huisarts",
    ],
}


def run_probe(messages: list[dict[str, Any]], config: dict[str, Any] | None = None) -> list[Any]:
    if not RASA_PYTHON.exists():
        pytest.fail("the rasa environment is missing: run `make setup`")
    case = {"training": TRAINING, "config": config or {}, "messages": messages}
    result = subprocess.run(
        [str(RASA_PYTHON), "-m", "tests.rasa_plugins.lexical_ranker_probe"],
        input=json.dumps(case), capture_output=True, text=True, cwd=PROJECT_ROOT,
        env=rasa_environment(), check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_named_word_lifts_its_entry_above_a_surer_classifier_guess() -> None:
    ranking = [
        ("faq_money_bijstand", 0.55),
        ("faq_money_leefgeld", 0.35),
        ("faq_health_huisarts", 0.10),
    ]
    [(trained, loaded)] = run_probe([{"text": "Коли прийде мій leefgeld?", "ranking": ranking}])
    assert trained["intent"]["name"] == "faq_money_leefgeld"
    assert trained["ranking"][0][0] == "faq_money_leefgeld"
    assert math.isclose(sum(conf for _, conf in trained["ranking"]), 1.0, rel_tol=1e-6)
    assert loaded == trained  # the same after a round trip through Rasa's model storage


def test_word_endings_still_match_through_the_prefix() -> None:
    # "хаусарцом" shares its first six letters with the training question's "хаусарца"
    ranking = [
        ("faq_money_bijstand", 0.5),
        ("faq_health_huisarts", 0.4),
        ("faq_money_leefgeld", 0.1),
    ]
    [(trained, _)] = run_probe([{"text": "зв'язатися з хаусарцом", "ranking": ranking}])
    assert trained["intent"]["name"] == "faq_health_huisarts"


def test_without_a_known_word_the_ranking_stays_as_it_was() -> None:
    ranking = [
        ("faq_money_bijstand", 0.6),
        ("faq_money_leefgeld", 0.3),
        ("faq_health_huisarts", 0.1),
    ]
    [(trained, loaded)] = run_probe([{"text": "zzzz qqqq", "ranking": ranking}])
    assert trained["ranking"] == [list(pair) for pair in ranking]
    assert loaded["ranking"] == trained["ranking"]


def test_weight_zero_keeps_the_classifier_order_and_ranking_length_cuts() -> None:
    ranking = [
        ("faq_money_bijstand", 0.55),
        ("faq_money_leefgeld", 0.35),
        ("faq_health_huisarts", 0.10),
    ]
    [(trained, _)] = run_probe(
        [{"text": "leefgeld", "ranking": ranking}], config={"weight": 0.0, "ranking_length": 2}
    )
    assert [name for name, _ in trained["ranking"]] == ["faq_money_bijstand", "faq_money_leefgeld"]
