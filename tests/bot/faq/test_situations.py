"""The newcomer's situation picks among entries for different people (bot/faq/situations.py),
on Almere's real knowledge base."""

from __future__ import annotations

from functools import cache

import pytest

from bot.config import PROJECT_ROOT
from bot.faq import situations
from bot.faq.schema import Entry, load_knowledge_base


@cache
def entries() -> dict[str, Entry]:
    return load_knowledge_base(PROJECT_ROOT / "faq", municipality="almere").by_id()


HOUSING = [
    ("housing_status_holders", 0.55),
    ("housing_social_rental", 0.30),
    ("housing_shelter_location", 0.10),
    ("registration_bsn", 0.02),
]


def test_the_situations_are_the_audiences_and_other() -> None:
    assert situations.SITUATIONS == ("ukrainians", "status_holders", "asylum_seekers", "other")


@pytest.mark.parametrize(
    ("situation", "kept"),
    [
        ("status_holders", ["housing_status_holders", "housing_social_rental", "registration_bsn"]),
        ("ukrainians", ["housing_social_rental", "housing_shelter_location", "registration_bsn"]),
        ("asylum_seekers", ["housing_social_rental", "registration_bsn"]),
        ("other", ["housing_social_rental", "registration_bsn"]),
    ],
)
def test_a_situation_keeps_the_entries_for_it_and_for_everyone(
    situation: str, kept: list[str]
) -> None:
    assert [e for e, _ in situations.for_situation(HOUSING, entries(), situation)] == kept


def test_what_is_left_is_scaled_as_the_confidence_given_the_situation() -> None:
    ranking = situations.for_situation(HOUSING, entries(), "ukrainians")
    # 0.55 of the confidence went to the status holders' entry: the rest is out of 0.45.
    assert ranking[0] == ("housing_social_rental", pytest.approx(0.30 / 0.45))
    assert ranking[1] == ("housing_shelter_location", pytest.approx(0.10 / 0.45))
    assert situations.for_situation(HOUSING[1:2], entries(), "other") == HOUSING[1:2]


def test_entries_for_different_people_make_the_question_worth_asking() -> None:
    assert situations.differs_by_situation(HOUSING, entries())
    leefgeld_or_bijstand = [("money_leefgeld", 0.5), ("money_bijstand", 0.4)]
    assert situations.differs_by_situation(leefgeld_or_bijstand, entries())


def test_entries_for_the_same_people_or_one_clear_winner_are_not_asked_about() -> None:
    everyone = [("registration_bsn", 0.5), ("registration_digid", 0.4)]
    assert not situations.differs_by_situation(everyone, entries())
    one_likely = [("money_leefgeld", 0.93), ("money_bijstand", 0.04)]
    assert not situations.differs_by_situation(one_likely, entries())
    same_people = [("money_leefgeld", 0.5), ("housing_shelter_location", 0.3)]
    assert not situations.differs_by_situation(same_people, entries())


def test_dropped_contenders_say_when_the_situation_chose() -> None:
    assert situations.dropped_contenders(HOUSING, entries(), "ukrainians")
    assert not situations.dropped_contenders(HOUSING[:2], entries(), "status_holders")
    assert not situations.dropped_contenders(
        [("housing_social_rental", 0.9), ("registration_bsn", 0.05)], entries(), "other"
    )


def test_a_ranking_survives_the_slot_and_junk_is_left_out() -> None:
    slot = situations.as_slot(HOUSING)
    assert situations.from_slot(slot) == HOUSING
    assert situations.from_slot([["a", 0.5], ["b"], [1, 0.2], "c", ["d", "x"]]) == [("a", 0.5)]
    assert situations.from_slot(None) == []


def test_the_sibling_written_for_the_situation_is_the_one_chosen() -> None:
    work = [
        ("work_permission_ukrainians", 0.40),
        ("work_permission_status_holders_asylum", 0.30),
        ("work_rights", 0.20),
    ]
    assert situations.sibling_for(work, entries(), "ukrainians") == "work_permission_ukrainians"
    assert (
        situations.sibling_for(work, entries(), "asylum_seekers")
        == "work_permission_status_holders_asylum"
    )
    assert situations.sibling_for(work, entries(), "other") is None  # only work_rights is left
    everyone_first = [("housing_social_rental", 0.5), ("housing_status_holders", 0.3)]
    assert situations.sibling_for(everyone_first, entries(), "status_holders") is None
