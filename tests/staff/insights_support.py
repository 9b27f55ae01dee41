"""Turn events for the tests of "how each entry does" (HTTP and browser): rows as the
conversation service leaves them (bot/insights/recording.py: an answer on `entry_id`, a
"did you mean" on `offered` with its `chosen`, feedback and "escalated after" on the event
that answered), about three real entries of faq/, one entry that is gone, and a crisis."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import utcnow
from bot.db.turn_models import TurnEvent, week_of

ZONE = ZoneInfo("Europe/Amsterdam")  # the default TIMEZONE
Sessions = async_sessionmaker[AsyncSession]

NEIGHBOURS = "housing_neighbours"  # "Problemen met je buren: wat kun je doen?"
BANK = "money_bank_account"  # "Een bankrekening openen"
DOCTOR = "health_huisarts"  # "Huisarts"
GONE = "housing_removed_long_ago"  # counted, but no longer in faq/
SECRET = "mijn BSN is 123456782 en ik woon op Kerkstraat 1"  # never on a page


@dataclass(frozen=True)
class Event:
    days_ago: float = 1.0
    language: str = "uk"
    outcome: str = "answered"
    entry: str | None = None
    offered: tuple[str, ...] = ()
    chosen: str | None = None
    helpful: bool | None = None
    escalated_after: bool = False


SEEDED = (
    Event(language="uk", entry=NEIGHBOURS, helpful=True),
    Event(language="uk", entry=NEIGHBOURS, helpful=True, days_ago=3),
    Event(language="uk", entry=NEIGHBOURS, helpful=False, escalated_after=True),
    Event(language="nl", entry=NEIGHBOURS, helpful=False, days_ago=20),
    Event(language="uk", outcome="asked", offered=(NEIGHBOURS, BANK), chosen=BANK, helpful=True),
    # an escalation after an offer nobody chose counts against no entry
    Event(language="en", outcome="asked", offered=(BANK, NEIGHBOURS), escalated_after=True),
    Event(
        language="nl",
        outcome="asked",
        offered=(BANK, DOCTOR),
        chosen=DOCTOR,
        helpful=False,
        escalated_after=True,
    ),
    Event(language="en", entry=BANK),
    # buttons shown in the turn that made a ticket: nobody could choose, not counted as offered
    Event(language="en", outcome="escalated", offered=(BANK,), escalated_after=True),
    Event(language="en", entry=GONE, days_ago=2),
    Event(language="uk", outcome="crisis"),
    Event(language="uk", outcome="fallback"),
    Event(language="uk", entry=NEIGHBOURS, helpful=False, days_ago=40),  # in 90 days, not 30
    Event(language="nl", entry=DOCTOR, helpful=True, days_ago=200),  # in 365 days only
)


async def seed_events(
    sessions: Sessions, events: Iterable[Event] = SEEDED, *, now: dt.datetime | None = None
) -> None:
    moment = now or utcnow()
    async with sessions.begin() as session:
        for number, event in enumerate(events):
            at = moment - dt.timedelta(days=event.days_ago)
            session.add(
                TurnEvent(
                    at=at, week=week_of(at, ZONE), conversation=f"{number:032d}",
                    language=event.language, outcome=event.outcome,
                    topic=(event.entry or event.chosen or "").split("_")[0] or None,
                    entry_id=event.entry, offered=",".join(event.offered), chosen=event.chosen,
                    helpful=event.helpful, escalated_after=event.escalated_after,
                    text=None if event.outcome == "crisis" else SECRET,
                )
            )  # fmt: skip
