"""Expected answer times: office hours, Dutch public holidays and the queue."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.escalation.office_hours import (
    OfficeHours,
    OfficeHoursError,
    describe_moment,
    expected_answer_by,
)

AMS = ZoneInfo("Europe/Amsterdam")
HOURS = OfficeHours.parse("mon-fri 09:00-17:00")


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=AMS)


def test_time_within_one_office_day() -> None:
    # Tuesday 24 November 2026, 10:00 + 3 office hours
    assert HOURS.add_office_minutes(at(2026, 11, 24, 10), 180) == at(2026, 11, 24, 13)


def test_evening_and_weekend_do_not_count() -> None:
    # Friday 27 November 16:00 + 2 office hours: 1 h on Friday, 1 h on Monday
    assert HOURS.add_office_minutes(at(2026, 11, 27, 16), 120) == at(2026, 11, 30, 10)
    # Saturday counts from Monday's opening
    assert HOURS.add_office_minutes(at(2026, 11, 28, 12), 60) == at(2026, 11, 30, 10)


def test_dutch_public_holidays_are_skipped() -> None:
    # Thursday 24 December 2026 16:00 + 2 h: Christmas (25th, Friday) and the 26th are
    # holidays, then the weekend: the second hour falls on Monday 28 December.
    assert HOURS.add_office_minutes(at(2026, 12, 24, 16), 120) == at(2026, 12, 28, 10)
    # King's Day, Tuesday 27 April 2027
    assert HOURS.add_office_minutes(at(2027, 4, 26, 16, 30), 60) == at(2027, 4, 28, 9, 30)


def test_the_queue_makes_the_estimate_later_and_it_is_rounded_up() -> None:
    start = at(2026, 11, 24, 9, 7)
    alone = expected_answer_by(
        start, hours=HOURS, answer_hours=2, minutes_per_waiting=10, waiting=0
    )
    behind_six = expected_answer_by(
        start, hours=HOURS, answer_hours=2, minutes_per_waiting=10, waiting=6
    )
    assert alone == at(2026, 11, 24, 11, 30)  # 11:07 rounded up to the half hour
    assert behind_six == at(2026, 11, 24, 12, 30)  # 12:07 -> 12:30
    assert behind_six.tzinfo == dt.timezone.utc  # stored as every moment is


def test_different_hours_per_day() -> None:
    hours = OfficeHours.parse("mon-thu 09:00-17:00; fri 09:00-12:00")
    # Friday 11:00 + 2 h: 1 h on Friday (till 12:00), 1 h on Monday
    assert hours.add_office_minutes(at(2026, 11, 27, 11), 120) == at(2026, 11, 30, 10)


@pytest.mark.parametrize(
    "spec", ["", "monday 9-17", "fri-mon 09:00-17:00", "mon-fri 17:00-09:00", "mon 25:00-26:00"]
)
def test_unreadable_office_hours_say_how_to_write_them(spec: str) -> None:
    with pytest.raises(OfficeHoursError, match="OFFICE_HOURS"):
        OfficeHours.parse(spec)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Tuesday 24 November, 13:00"),
        ("nl", "dinsdag 24 november, 13:00"),
        ("uk", "вівторок 24 листопада, 13:00"),
    ],
)
def test_the_moment_is_described_in_the_newcomers_language(language: str, expected: str) -> None:
    moment = at(2026, 11, 24, 13).astimezone(dt.timezone.utc)
    assert describe_moment(moment, language, AMS) == expected
    # as SQLite gives it back: naive, in UTC
    assert describe_moment(moment.replace(tzinfo=None), language, AMS) == expected
