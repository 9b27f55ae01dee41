"""The newcomer's situation (issue 17): Ukrainian with temporary protection, status holder,
asylum seeker, or other (an EU citizen, anyone else). Entries say whom they are for
(`audience` in faq/); when the likely entries differ by it, the bot asks once, remembers the
answer in the conversation (the `situation` slot, erased with /forget like the rest), and
uses it to pick among siblings instead of offering them all.

Pure functions over an entry ranking, for the action server (actions/faq.py) and its tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.faq.schema import AUDIENCES, Entry

SITUATION_INTENT = "situation"  # the situation buttons' intent (domain/basics.yml)
EVERYONE = "everyone"
OTHER = "other"
SITUATIONS: tuple[str, ...] = (*[a for a in AUDIENCES if a != EVERYONE], OTHER)
# A candidate counts when the classifier gives it at least this much: below it, knowing the
# situation would not change what the bot says.
SITUATION_CONFIDENCE = 0.10
CONTENDERS = 3

Ranking = list[tuple[str, float]]


def button_name(situation: str) -> str:
    """The situation's button in texts/buttons.yml (its title names the situation)."""
    return f"situation_{situation}"


def fits(entry: Entry, situation: str) -> bool:
    """Whether an entry is for someone in `situation`."""
    return EVERYONE in entry.audiences or situation in entry.audiences


def for_situation(ranking: Ranking, entries: Mapping[str, Entry], situation: str) -> Ranking:
    """The ranking without the entries that are not for `situation`, the rest scaled up as
    the classifier's confidence given that it is none of them (P(e) / (1 - P(dropped)))."""
    kept = [(e, s) for e, s in ranking if e in entries and fits(entries[e], situation)]
    dropped = sum(s for e, s in ranking) - sum(s for _, s in kept)
    if not kept or dropped <= 0.0:
        return kept
    scale = 1.0 / max(1.0 - dropped, 1e-6)
    return [(e, min(1.0, s * scale)) for e, s in kept]


def contenders(ranking: Ranking) -> list[str]:
    """The entries the bot weighs for a question."""
    return [e for e, s in ranking[:CONTENDERS] if s >= SITUATION_CONFIDENCE]


def differs_by_situation(ranking: Ranking, entries: Mapping[str, Entry]) -> bool:
    """Whether the likely entries are for different people, so that knowing the newcomer's
    situation would change the answer: two or more contenders, not all for the same people,
    and at least one not for everyone."""
    found = [entries[e] for e in contenders(ranking) if e in entries]
    audiences = {frozenset(entry.audiences) for entry in found}
    return len(found) >= 2 and len(audiences) >= 2 and any(EVERYONE not in a for a in audiences)


def named_by_contenders(ranking: Ranking, entries: Mapping[str, Entry]) -> list[str]:
    """The situations the contenders are written for (not "everyone"), in SITUATIONS order."""
    named = {
        audience
        for entry_id in contenders(ranking)
        if entry_id in entries
        for audience in entries[entry_id].audiences
    }
    return [situation for situation in SITUATIONS if situation in named]


def dropped_contenders(ranking: Ranking, entries: Mapping[str, Entry], situation: str) -> bool:
    """Whether the situation set aside an entry the bot would otherwise have weighed."""
    return any(e in entries and not fits(entries[e], situation) for e in contenders(ranking))


def sibling_for(ranking: Ranking, entries: Mapping[str, Entry], situation: str) -> str | None:
    """The entry written for `situation` itself when the bot weighed siblings for different
    people: the best contender that names the situation (not one for everyone), once the
    siblings for others are set aside. None when there is no such choice to make."""
    if not dropped_contenders(ranking, entries, situation):
        return None
    for entry_id in contenders(ranking):
        entry = entries.get(entry_id)
        if entry is not None and fits(entry, situation):
            return entry_id if EVERYONE not in entry.audiences else None
    return None


def as_slot(ranking: Sequence[tuple[str, float]]) -> list[list[object]]:
    """A ranking as a slot holds it (JSON)."""
    return [[entry, round(score, 4)] for entry, score in ranking]


def from_slot(value: object) -> Ranking:
    """A ranking from the slot; anything malformed is left out."""
    ranking: Ranking = []
    for item in value if isinstance(value, list) else []:
        if (
            isinstance(item, list)
            and len(item) == 2
            and isinstance(item[0], str)
            and isinstance(item[1], int | float)
        ):
            ranking.append((item[0], float(item[1])))
    return ranking
