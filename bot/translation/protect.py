"""Keeps what must not be translated out of the engine's reach: each such part is replaced by
a numbered placeholder ("[1]") before the engine call and put back afterwards. If the engine
loses, doubles or invents a placeholder, the translation is refused (TranslationFailed)
rather than sent with a wrong phone number or address.

Protected, because a pattern proves what it is: web addresses and bare domains, e-mail
addresses, the gateway's redaction placeholders ("[PHONE]"), Dutch street addresses (a street
name with a Dutch street word and a house number) with their postcode and place, postcodes
with the place after them, phone numbers, ticket codes and other words that mix letters and
digits, every number (with €, %, units, times and dates), abbreviations in capitals (UWV,
IND) and words with a capital inside (DigiD), names after a title (mevrouw De Vries,
Mr Smith, пані Олена), the line under a closing greeting (a signature), the terms listed in
texts/translation_keep.yml (names of organisations and places), and in Ukrainian text every
word in Latin letters. A capitalised word inside a sentence is not protected: in English and
Dutch it may be a name, but it may as well be a weekday or a title, and nothing proves which.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from bot.translation.base import TranslationFailed

_STREET_WORDS: Final = (
    "straat|plein|weg|laan|dreef|gracht|kade|singel|markt|pad|dijk|hof|park|boulevard|baan|"
    "ring|steeg|passage|dam|plantsoen|wal|erf|veld|promenade|allee|zijde|poort|burg|haven"
)
_POSTCODE: Final = r"[1-9]\d{3}\s?(?!SA|SD|SS)[A-Z]{2}\b"
_PLACE: Final = r"(?:\s+[A-Z][a-zà-ÿ']+(?:-[A-Z][a-zà-ÿ']+)?)"
_PARTICLES: Final = r"(?:(?i:van|de|der|den|ter|ten|te|het|'t|von|di|da|el|al)\s+)"
_LATIN_NAME: Final = (
    rf"(?:[A-Z]\.\s?)*{_PARTICLES}*[A-Z][a-zà-ÿ'-]+(?:\s+{_PARTICLES}*[A-Z][a-zà-ÿ'-]+){{0,2}}"
)
_CYRILLIC_NAME: Final = r"[А-ЯІЇЄҐ][а-яіїєґ'ʼ’-]+(?:\s+[А-ЯІЇЄҐ][а-яіїєґ'ʼ’-]+){0,2}"

# In the order they run: an earlier pattern's part is off limits to the later ones.
_PATTERNS: Final[tuple[re.Pattern[str], ...]] = (
    # the gateway's redaction placeholders
    re.compile(r"\[[A-Z][A-Z-]{1,20}\]"),
    # web addresses, then bare domains
    re.compile(r"\b(?:https?://|www\.)[^\s<>\"]+"),
    re.compile(r"[\w.+%-]{1,64}@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.){1,8}[^\W\d_]{2,24}"),
    re.compile(
        r"\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
        r"(?:nl|com|org|net|eu|ua|info|gov|be|de)\b(?:/[^\s<>\"]*)?",
        re.IGNORECASE,
    ),
    # a Dutch street address: street, house number (and addition), then postcode and place
    re.compile(
        rf"\b(?:[A-Z][\w'-]*\s){{0,2}}(?=[A-Z])[\w'-]*?(?i:{_STREET_WORDS})\s\d{{1,5}}"
        rf"(?:\s?[a-zA-Z]\b|[-\s]\d{{1,4}}\b)?(?:,?\s+{_POSTCODE}{_PLACE}?)?"
    ),
    re.compile(rf"\b{_POSTCODE}{_PLACE}?"),
    # phone numbers: international, or Dutch starting with 0 (checked for length below)
    re.compile(r"(?<![\w+])(?:\+|00)\d{1,3}(?:[ -]?\(?\d{1,4}\)?){2,6}"),
    re.compile(r"(?<![\w+])\(?0\d{1,3}\)?(?:[ -]?\d{2,4}){1,4}(?!\w)"),
    re.compile(r"\b14\s?0\d{2,3}\b"),
    # codes: ticket codes (K7P-Q4X) and any word that mixes letters and digits
    re.compile(r"\b[A-Z0-9]{3}-[A-Z0-9]{3}\b"),
    re.compile(r"\b(?=[\w-]*\d)(?=[\w-]*[^\W\d_])[\w]+(?:-[\w]+)*\b"),
    # numbers: money, dates, times, percentages, units, and any other number
    re.compile(r"€\s?\d+(?:[.,]\d+)*(?:,-{1,2})?"),
    re.compile(r"\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b"),
    re.compile(r"\b\d{1,2}[:.]\d{2}\b"),
    re.compile(r"\b\d+(?:[.,]\d+)?\s?(?:%|(?:km|m2|m²|kg|cm|mm|ml|GB|MB)\b)"),
    re.compile(r"\d+(?:[.,]\d+)*"),
    # names after a title
    re.compile(
        rf"\b(?i:mevrouw|meneer|mevr\.|mw\.|dhr\.|de heer|mr\.?|mrs\.?|ms\.?|dr\.?)\s+"
        rf"(?P<part>{_LATIN_NAME})"
    ),
    re.compile(rf"\b(?:пан|пані|пана|панові|паном)\s+(?P<part>{_CYRILLIC_NAME})"),
    # abbreviations in capitals, words with a capital inside
    re.compile(r"\b[A-Z]{2,}(?:-[A-Z]{2,})*\b"),
    re.compile(r"\b[A-Za-z]+[a-z][A-Z][A-Za-z]*\b"),
)
_TERMS_BEFORE: Final = 6  # the listed terms run after the addresses, before the phones
_PHONE_PATTERNS: Final = frozenset({6, 7})
# The line after a closing greeting is a name (a signature).
_SIGNATURE: Final = re.compile(
    r"(?im)^\s*(?:met vriendelijke groet(?:en)?|vriendelijke groet(?:en)?|groet(?:en|jes)?|"
    r"hartelijke groet(?:en)?|kind regards|best regards|regards|best wishes|"
    r"з повагою|з найкращими побажаннями)\s*[,.!]?\s*\n(?P<name>[^\n]{1,80})$"
)
_LATIN_RUN: Final = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ ]+[A-Za-z][A-Za-z'’-]*)*")
_CYRILLIC: Final = re.compile(r"[а-яіїєґА-ЯІЇЄҐ]")
_PLACEHOLDER: Final = re.compile(r"\[\s*(\d{1,4})\s*\]")


@dataclass(frozen=True)
class Protected:
    """The text with protected parts replaced by [1], [2], ... and those parts, in order."""

    text: str
    parts: tuple[str, ...]


def _digits(span: str) -> int:
    return sum(character.isdigit() for character in span)


def _spans(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    def take(found: Iterable[tuple[int, int]]) -> None:
        for start, end in found:
            span = text[start:end]
            stripped = span.rstrip(".,;:!?)'\"’")
            end = start + len(stripped)
            if end > start and free(start, end):
                taken.append((start, end))

    for match in _SIGNATURE.finditer(text):
        take([(match.start("name"), match.end("name"))])
    for index, pattern in enumerate(_PATTERNS):
        if index == _TERMS_BEFORE:  # addresses and links first: a term may be part of one
            for term in sorted({t for t in terms if t.strip()}, key=len, reverse=True):
                listed = re.compile(rf"(?<!\w){re.escape(term)}(?!\w)")
                take((m.start(), m.end()) for m in listed.finditer(text))
        group = "part" if "part" in pattern.groupindex else 0
        matches = [(m.start(group), m.end(group)) for m in pattern.finditer(text)]
        if index in _PHONE_PATTERNS:
            matches = [(a, b) for a, b in matches if 7 <= _digits(text[a:b]) <= 15]
        take(matches)
    if _CYRILLIC.search(text):
        take((m.start(), m.end()) for m in _LATIN_RUN.finditer(text))
    return sorted(taken)


def protect(text: str, *, terms: Sequence[str] = ()) -> Protected:
    parts: list[str] = []
    pieces: list[str] = []
    position = 0
    for start, end in _spans(text, terms):
        pieces.append(text[position:start])
        parts.append(text[start:end])
        pieces.append(f"[{len(parts)}]")
        position = end
    pieces.append(text[position:])
    return Protected(text="".join(pieces), parts=tuple(parts))


def restore(translated: str, protected: Protected) -> str:
    """The engine's text with each placeholder replaced by its part; refused when a
    placeholder is missing, doubled or unknown (the text would say something else)."""
    found = [int(m[1]) for m in _PLACEHOLDER.finditer(translated)]
    expected = list(range(1, len(protected.parts) + 1))
    if sorted(found) != expected:
        missing = len(set(expected) - set(found))
        raise TranslationFailed(
            f"the engine changed protected parts ({missing} of {len(expected)} lost, "
            f"{len(found)} placeholders in its text)"
        )
    return _PLACEHOLDER.sub(lambda m: protected.parts[int(m[1]) - 1], translated)


def only_placeholders(text: str) -> bool:
    """Nothing left for an engine to translate (a line that is only a link or a number)."""
    return not any(character.isalpha() for character in _PLACEHOLDER.sub("", text))
