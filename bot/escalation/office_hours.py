"""When staff can be expected to answer: office hours, Dutch public holidays and the queue.

An honest estimate is a promise the municipality can keep: it counts only office time (the
configured hours per weekday, skipping the public holidays the `holidays` package knows for
the Netherlands), and it grows with the number of tickets already waiting.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from babel.dates import format_datetime

from bot.config import Settings
from bot.db.models import as_utc

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(
    r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+"
    r"(?P<start>\d{1,2}:\d{2})-(?P<end>\d{1,2}:\d{2})$"
)
ROUND_TO_MINUTES = 30  # an estimate, not a countdown: rounded up to the next half hour
MAX_DAYS_AHEAD = 366


class OfficeHoursError(ValueError):
    """OFFICE_HOURS could not be read; the message says how to write it."""


@dataclass(frozen=True)
class OfficeHours:
    """Opening times per weekday (0 = Monday) in one time zone."""

    windows: dict[int, tuple[dt.time, dt.time]]
    timezone: ZoneInfo

    @classmethod
    def parse(cls, spec: str, timezone: str = "Europe/Amsterdam") -> OfficeHours:
        """ "mon-fri 09:00-17:00" or "mon-thu 09:00-17:00; fri 09:00-12:00"."""
        windows: dict[int, tuple[dt.time, dt.time]] = {}
        for raw in spec.split(";"):
            part = raw.strip().lower()
            if not part:
                continue
            match = _PART.match(part)
            if match is None or match["first"] not in WEEKDAYS:
                raise OfficeHoursError(
                    f"OFFICE_HOURS: cannot read '{raw.strip()}'; write e.g. "
                    "'mon-thu 09:00-17:00; fri 09:00-12:00'"
                )
            first = WEEKDAYS.index(match["first"])
            last_name = match["last"] or match["first"]
            if last_name not in WEEKDAYS or WEEKDAYS.index(last_name) < first:
                raise OfficeHoursError(f"OFFICE_HOURS: '{raw.strip()}': days must run mon..sun")
            start, end = _time(match["start"], raw), _time(match["end"], raw)
            if end <= start:
                raise OfficeHoursError(f"OFFICE_HOURS: '{raw.strip()}': it ends before it starts")
            for day in range(first, WEEKDAYS.index(last_name) + 1):
                windows[day] = (start, end)
        if not windows:
            raise OfficeHoursError("OFFICE_HOURS is empty; write e.g. 'mon-fri 09:00-17:00'")
        return cls(windows=windows, timezone=ZoneInfo(timezone))

    def is_open_day(self, day: dt.date) -> bool:
        return day.weekday() in self.windows and day not in _dutch_holidays(day.year)

    def add_office_minutes(self, start: dt.datetime, minutes: float) -> dt.datetime:
        """The moment `minutes` of office time after `start` have passed."""
        local = start.astimezone(self.timezone)
        remaining = max(0.0, minutes)
        day = local.date()
        for _ in range(MAX_DAYS_AHEAD):
            if self.is_open_day(day):
                opens, closes = self.windows[day.weekday()]
                window_start = dt.datetime.combine(day, opens, self.timezone)
                window_end = dt.datetime.combine(day, closes, self.timezone)
                begin = max(window_start, local)
                if begin < window_end:
                    available = (window_end - begin).total_seconds() / 60
                    if remaining <= available:
                        return begin + dt.timedelta(minutes=remaining)
                    remaining -= available
            day += dt.timedelta(days=1)
            local = dt.datetime.combine(day, dt.time(0, 0), self.timezone)
        raise OfficeHoursError("OFFICE_HOURS leaves no office time in the coming year")


def expected_answer_by(
    now: dt.datetime,
    *,
    hours: OfficeHours,
    answer_hours: float,
    minutes_per_waiting: float,
    waiting: int,
) -> dt.datetime:
    """When an answer can honestly be expected (in UTC, as everything stored), rounded up."""
    minutes = answer_hours * 60 + minutes_per_waiting * max(0, waiting)
    moment = hours.add_office_minutes(now, minutes)
    return _round_up(moment, ROUND_TO_MINUTES).astimezone(dt.timezone.utc)


@dataclass(frozen=True)
class AnswerTimes:
    """The configured promise: office hours, hours to an answer, minutes per waiting ticket."""

    hours: OfficeHours
    answer_hours: float
    minutes_per_waiting: float

    @classmethod
    def from_settings(cls, settings: Settings) -> AnswerTimes:
        return cls(
            hours=OfficeHours.parse(settings.effective_office_hours, settings.timezone),
            answer_hours=settings.ticket_answer_hours,
            minutes_per_waiting=settings.ticket_minutes_per_waiting,
        )

    def expected(self, now: dt.datetime, *, waiting: int) -> dt.datetime:
        return expected_answer_by(
            now,
            hours=self.hours,
            answer_hours=self.answer_hours,
            minutes_per_waiting=self.minutes_per_waiting,
            waiting=waiting,
        )

    def describe(self, moment: dt.datetime, language: str) -> str:
        return describe_moment(moment, language, self.hours.timezone)


def _round_up(moment: dt.datetime, step_minutes: int) -> dt.datetime:
    base = moment.replace(second=0, microsecond=0)
    if base < moment:
        base += dt.timedelta(minutes=1)
    over = base.minute % step_minutes
    return base if over == 0 else base + dt.timedelta(minutes=step_minutes - over)


def _time(text: str, raw: str) -> dt.time:
    hour, minute = (int(part) for part in text.split(":"))
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        raise OfficeHoursError(f"OFFICE_HOURS: '{raw.strip()}': {text} is not a time of day")
    return dt.time(23, 59) if hour == 24 else dt.time(hour, minute)


@cache
def _dutch_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("NL", years=year)


def describe_moment(moment: dt.datetime, language: str, timezone: ZoneInfo) -> str:
    """ "Tuesday 24 November, 12:00" in the newcomer's language (Babel's CLDR data).
    A naive moment is UTC (SQLite returns stored moments without their zone)."""
    return format_datetime(as_utc(moment), "EEEE d MMMM, HH:mm", tzinfo=timezone, locale=language)


def describe_date(moment: dt.datetime, language: str, timezone: ZoneInfo) -> str:
    return format_datetime(as_utc(moment), "d MMMM", tzinfo=timezone, locale=language)
