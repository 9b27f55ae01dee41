"""Recognises a message about suicide, acute danger, domestic abuse or a medical emergency.

The gateway asks this before anything else, so the user gets 112, 113 and Veilig Thuis at
once, in their language (texts/crisis.yml), however well or badly the classifier would have
done. The phrases are language data in texts/crisis_terms.yml, which says how terms are
written; here they are compiled once per process, on first use. Matching is on whole words of
a normalised text, so it is cheap and predictable: a missed phrasing is fixed by adding a term
and a test, never by retraining.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal

import yaml

from bot.config import PROJECT_ROOT
from bot.language import SUPPORTED, Language

CrisisKind = Literal["suicide", "danger", "domestic_abuse", "medical"]

# Also the order of precedence when a message matches more than one kind.
KINDS: Final[tuple[CrisisKind, ...]] = ("suicide", "danger", "domestic_abuse", "medical")
# Russian is not answered in, but users write it, so every kind needs its terms.
TERM_LANGUAGES: Final = ("uk", "en", "nl", "ru")
TERMS_FILE: Final = "texts/crisis_terms.yml"
REPLY_FILE: Final = "texts/crisis.yml"


@dataclass(frozen=True)
class CrisisMatch:
    kind: CrisisKind
    term: str  # as written in texts/crisis_terms.yml (safe to log: it is not the user's text)


class CrisisTermsError(ValueError):
    """texts/crisis_terms.yml or texts/crisis.yml is malformed; the message says where."""


# --- normalisation -----------------------------------------------------------------------

_APOSTROPHE: Final = re.compile("['’ʼ‘`´′ʹ＇]")
_LATIN_ACCENTED: Final = re.compile("[\u00c0-\u024f\u0300-\u036f]")
_LATIN_ACCENT: Final = re.compile("(?<=[a-z\u00c0-\u024f])[\u0300-\u036f]+")
_CYRILLIC: Final = re.compile("[а-яёіїєґ]")
# Ukrainian letters that are often typed as their Russian or plain look-alikes.
_CYRILLIC_FOLD: Final = re.compile("[їєґё]")
_CYRILLIC_FOLDED: Final = {"ї": "і", "є": "е", "ґ": "г", "ё": "е"}
# Latin letters typed inside a Cyrillic word (keyboard layouts): "суiцид", "мeне".
_MIXED_WORD: Final = re.compile(r"(?<!\w)(?=\w*(?:[а-яёіїєґ][a-z]|[a-z][а-яёіїєґ]))\w+")
_LATIN_IN_CYRILLIC: Final = str.maketrans("aceiopxykmth", "асеіорхукмтн")
_NON_WORD: Final = re.compile(r"[\W_]+")


def _strip_latin_accents(text: str) -> str:
    """suïcide -> suicide, but й and ї keep their marks: they are letters of their own."""
    if not _LATIN_ACCENTED.search(text):
        return text
    return unicodedata.normalize("NFC", _LATIN_ACCENT.sub("", unicodedata.normalize("NFD", text)))


def normalize(text: str) -> str:
    """The form both messages and terms are compared in (described in crisis_terms.yml)."""
    text = _APOSTROPHE.sub("", unicodedata.normalize("NFKC", text).casefold())
    text = _strip_latin_accents(text)
    if _CYRILLIC.search(text):
        text = _MIXED_WORD.sub(lambda word: word[0].translate(_LATIN_IN_CYRILLIC), text)
        text = _CYRILLIC_FOLD.sub(lambda letter: _CYRILLIC_FOLDED[letter[0]], text)
    return _NON_WORD.sub(" ", text).strip()


# --- terms -------------------------------------------------------------------------------

_TOKEN: Final = re.compile(r"\([^()]*\)|[^\s()]+")
_GAP_MARK: Final = "..."
_GAP: Final = r"(?: \w+){0,3} "

# The words one part of a term can be: exact words, and prefixes (written word*).
_Words = tuple[frozenset[str], tuple[str, ...]]


@dataclass(frozen=True)
class _Term:
    kind: CrisisKind | None  # None: an exclusion
    text: str  # as written in the file
    pattern: re.Pattern[str]
    needs: tuple[_Words, ...]  # one of each must be in a message for the term to match


def _has(words: _Words, message: set[str]) -> bool:
    exact, prefixes = words
    if not exact.isdisjoint(message):
        return True
    return bool(prefixes) and any(word.startswith(prefixes) for word in message)


def _positions(text: str, word: str) -> Iterator[int]:
    """Where a whole word occurs in a normalised text (words there are split by spaces)."""
    start = 0
    while (found := text.find(word, start)) != -1:
        end = found + len(word)
        if (found == 0 or text[found - 1] == " ") and (end == len(text) or text[end] == " "):
            yield found
        start = found + 1


@dataclass(frozen=True)
class _Index:
    """Terms by the words they start with: a message is tried only for the terms whose every
    part has a word in it, and only at the words they can start at. That is a handful of
    regular expressions per message instead of hundreds."""

    terms: tuple[_Term, ...]  # in the order they are tried
    by_word: dict[str, tuple[int, ...]]
    by_prefix: dict[str, tuple[int, ...]]  # first words written with *
    prefixed: re.Pattern[str] | None  # the words of a text that start with one of those

    def matches(self, text: str) -> Iterator[tuple[_Term, re.Match[str]]]:
        """Every match, in the order of the terms and then of the text."""
        present = set(text.split())
        starts: list[tuple[int, int]] = []
        for word in present.intersection(self.by_word):
            numbers = self.by_word[word]
            starts.extend((number, at) for at in _positions(text, word) for number in numbers)
        if self.prefixed is not None:
            for word in {match[0] for match in self.prefixed.finditer(text)}:
                numbers = tuple(
                    n
                    for prefix, ns in self.by_prefix.items()
                    if word.startswith(prefix)
                    for n in ns
                )
                starts.extend((number, at) for at in _positions(text, word) for number in numbers)
        possible: dict[int, bool] = {}
        for number, position in sorted(starts):
            term = self.terms[number]
            if number not in possible:
                possible[number] = all(_has(part, present) for part in term.needs[1:])
            if possible[number] and (match := term.pattern.match(text, position)):
                yield term, match


@dataclass(frozen=True)
class CrisisTerms:
    terms: _Index
    exclusions: _Index


def _tokens(term: str, where: str) -> list[str]:
    tokens: list[str] = _TOKEN.findall(term)
    if not tokens or "".join("".join(tokens).split()) != "".join(term.split()):
        raise CrisisTermsError(f"{where}: '{term}' has unbalanced or nested parentheses")
    if _GAP_MARK in (tokens[0], tokens[-1]):
        raise CrisisTermsError(f"{where}: '{term}' starts or ends with {_GAP_MARK}")
    return tokens


def _part(token: str, where: str) -> tuple[str, _Words]:
    """One word or (alternatives) of a term: its regular expression and its first words."""
    alternatives = token[1:-1].split("|") if token.startswith("(") else [token]
    regexes = []
    exact: set[str] = set()
    prefixes: set[str] = set()
    for alternative in alternatives:
        words = []
        for word in alternative.split():
            stem = word.removesuffix("*")
            normalised = normalize(stem)
            if not normalised or "*" in stem:
                raise CrisisTermsError(f"{where}: '{word}' is not a word (or a word and *)")
            words.append(re.escape(normalised) + (r"\w*" if stem != word else ""))
        if not words:
            raise CrisisTermsError(f"{where}: '{token}' has an empty alternative")
        regexes.append(" ".join(words))
        first = normalize(alternative.split()[0].removesuffix("*")).split()
        is_prefix = alternative.split()[0].endswith("*") and len(first) == 1
        (prefixes if is_prefix else exact).add(first[0])
    return "(?:" + "|".join(regexes) + ")", (frozenset(exact), tuple(sorted(prefixes)))


def _compile(kind: CrisisKind | None, term: str, where: str) -> _Term:
    where = f"{where}: '{term}'"
    parts: list[str] = []
    needs: list[_Words] = []
    gap = False
    for token in _tokens(term, where):
        if token == _GAP_MARK:
            gap = True
            continue
        regex, words = _part(token, where)
        if parts:
            parts.append(_GAP if gap else " ")
        parts.append(regex)
        needs.append(words)
        gap = False
    pattern = re.compile(r"(?<!\w)(?:" + "".join(parts) + r")(?!\w)")
    return _Term(kind=kind, text=term, pattern=pattern, needs=tuple(needs))


def _index(terms: list[_Term]) -> _Index:
    by_word: dict[str, list[int]] = {}
    by_prefix: dict[str, list[int]] = {}
    for number, term in enumerate(terms):
        exact, prefixes = term.needs[0]
        for word in exact:
            by_word.setdefault(word, []).append(number)
        for prefix in prefixes:
            by_prefix.setdefault(prefix, []).append(number)
    return _Index(
        terms=tuple(terms),
        by_word={word: tuple(numbers) for word, numbers in by_word.items()},
        by_prefix={prefix: tuple(numbers) for prefix, numbers in by_prefix.items()},
        prefixed=re.compile(r"(?<!\w)(?=" + "|".join(map(re.escape, by_prefix)) + r")\w+")
        if by_prefix
        else None,
    )


def _string_list(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise CrisisTermsError(f"{where}: needs a list of phrases (at least one)")
    if not all(isinstance(v, str) and v.strip() for v in value):
        raise CrisisTermsError(f"{where}: needs a list of phrases (quote a phrase YAML misreads)")
    return value


def parse_crisis_terms(data: Any) -> CrisisTerms:
    """Checks and compiles the contents of texts/crisis_terms.yml."""
    if not isinstance(data, dict) or set(data) != {"terms", "exclusions"}:
        raise CrisisTermsError(f"{TERMS_FILE}: needs exactly 'terms' and 'exclusions'")
    terms, exclusions = data["terms"], data["exclusions"]
    if not isinstance(terms, dict) or set(terms) != set(KINDS):
        raise CrisisTermsError(f"{TERMS_FILE}: terms needs exactly the kinds {', '.join(KINDS)}")
    languages = ", ".join(TERM_LANGUAGES)
    compiled: list[_Term] = []
    for kind in KINDS:
        by_language = terms[kind]
        if not isinstance(by_language, dict) or set(by_language) != set(TERM_LANGUAGES):
            raise CrisisTermsError(f"{TERMS_FILE}: terms.{kind} needs exactly {languages}")
        for language in TERM_LANGUAGES:
            where = f"{TERMS_FILE}: terms.{kind}.{language}"
            compiled.extend(
                _compile(kind, t, where) for t in _string_list(by_language[language], where)
            )
    if not isinstance(exclusions, dict) or not set(exclusions) <= set(TERM_LANGUAGES):
        raise CrisisTermsError(f"{TERMS_FILE}: exclusions are listed per language ({languages})")
    excluded: list[_Term] = []
    for language, phrases in exclusions.items():
        where = f"{TERMS_FILE}: exclusions.{language}"
        excluded.extend(_compile(None, phrase, where) for phrase in _string_list(phrases, where))
    return CrisisTerms(terms=_index(compiled), exclusions=_index(excluded))


@cache
def load_crisis_terms(root: Path = PROJECT_ROOT) -> CrisisTerms:
    """Reads and compiles the terms once per process (on first use, not at import)."""
    return parse_crisis_terms(yaml.safe_load((root / TERMS_FILE).read_text(encoding="utf-8")))


def _without_exclusions(text: str, exclusions: _Index) -> str:
    """Replaces each excluded phrase by a mark that no term can match across."""
    parts = []
    position = 0
    for start, end in sorted(match.span() for _, match in exclusions.matches(text)):
        if start >= position:
            parts.append(text[position:start] + " # ")
            position = end
    return "".join(parts) + text[position:]


def detect_crisis(text: str, *, root: Path = PROJECT_ROOT) -> CrisisMatch | None:
    """The first kind (in the order of KINDS) whose terms occur in the message, or None."""
    terms = load_crisis_terms(root)
    normalised = _without_exclusions(normalize(text), terms.exclusions)
    for term, _ in terms.terms.matches(normalised):
        if term.kind is not None:
            return CrisisMatch(kind=term.kind, term=term.text)
    return None


# --- the reply ---------------------------------------------------------------------------


@cache
def load_crisis_replies(root: Path = PROJECT_ROOT) -> dict[Language, str]:
    """texts/crisis.yml, checked: a reply in every language the bot answers in."""
    data = yaml.safe_load((root / REPLY_FILE).read_text(encoding="utf-8"))
    reply = data.get("reply") if isinstance(data, dict) else None
    if not isinstance(reply, dict) or not all(
        isinstance(reply.get(language), str) and reply[language].strip() for language in SUPPORTED
    ):
        raise CrisisTermsError(f"{REPLY_FILE}: reply needs a text in {', '.join(SUPPORTED)}")
    return {language: reply[language].strip() for language in SUPPORTED}


def crisis_reply(language: Language, *, root: Path = PROJECT_ROOT) -> str:
    """What to answer a crisis message with: 112, 113, Veilig Thuis and the offer of a person."""
    return load_crisis_replies(root)[language]
