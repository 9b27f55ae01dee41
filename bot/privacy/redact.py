"""Removes personal identifiers from a message before Rasa, the database or a log sees it.

Each kind is found by a pattern and then checked (the 11-test for a BSN, mod-97 for an IBAN,
the numbering plans for a phone number), so that dates, amounts, postcodes, times, years and
ticket codes are left alone. Placeholders are language-neutral (`[BSN]`), so the text still
reads as a question in any language and Rasa can be trained on them.

The detectors run in a fixed order on a copy of the text in which what an earlier one took is
masked (same length, so positions stay valid): e-mail, IBAN, V-number, phone, BSN. Public
numbers of organisations (0800, 0900, 088, 112, 113, 14 036) are masked as well but kept: they
are what newcomers are told to call, not personal data, and keeping them keeps the question
answerable. Every placeholder is free of digits and of "@", and the masking character behaves
like a placeholder's brackets for every pattern, so redacting twice gives the same text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

Kind = Literal["email", "iban", "v_number", "phone", "bsn"]

PLACEHOLDERS: Final[dict[Kind, str]] = {
    "email": "[EMAIL]",
    "iban": "[IBAN]",
    "v_number": "[V-NUMBER]",
    "phone": "[PHONE]",
    "bsn": "[BSN]",
}

# What a found span becomes in the working copy: not a word character, digit, "@", "+" or
# separator, like the "[" and "]" of a placeholder.
_MASK: Final = "\x00"


@dataclass(frozen=True)
class Redaction:
    """The text with identifiers replaced, and which kinds were removed (first seen first)."""

    text: str
    kinds: tuple[Kind, ...]


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: Kind | None  # None: a public number or an invalid IBAN, kept but off limits


# --- e-mail -----------------------------------------------------------------------------

# The local part is bounded so that a long word without "@" costs little.
_EMAIL: Final = re.compile(r"[\w.+%-]{1,64}@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.){1,8}[^\W\d_]{2,24}")


def _emails(text: str) -> list[_Span]:
    if "@" not in text:
        return []
    return [_Span(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)]


# --- IBAN -------------------------------------------------------------------------------

# Lengths from the ISO 13616 registry (SWIFT). A code that is not in it has no valid IBAN.
IBAN_LENGTHS: Final[dict[str, int]] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip

# Country, check digits, then the rest with or without spaces (grouped by four or not); the
# run may swallow a following word, so the IBAN is cut out of it at its country's length.
_IBAN_RUN: Final = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}(?:[ \u00a0]?[A-Za-z0-9]){8,34}")


def iban_is_valid(iban: str) -> bool:
    """ISO 13616: the right length for the country, and mod 97 of the rearranged number is 1."""
    compact = re.sub(r"[ \u00a0]", "", iban).upper()
    if not compact.isascii() or not compact.isalnum():
        return False
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _end_of_iban(match: re.Match[str], length: int) -> int | None:
    seen = 0
    for offset, char in enumerate(match[0]):
        seen += char.isalnum()
        if seen == length:
            return match.start() + offset + 1
    return None


def _ibans(text: str) -> list[_Span]:
    spans = []
    for match in _IBAN_RUN.finditer(text):
        length = IBAN_LENGTHS.get(match[0][:2].upper())
        if length is None:
            continue
        end = _end_of_iban(match, length)
        if end is None:
            continue
        if end < len(text) and text[end].isascii() and text[end].isalnum():
            continue  # the length is reached in the middle of a word: not an IBAN
        # An IBAN-shaped string that fails mod-97 is kept as it is (a typo is not a phone
        # number or a BSN), so it is masked without being redacted.
        kind: Kind | None = "iban" if iban_is_valid(text[match.start() : end]) else None
        spans.append(_Span(match.start(), end, kind))
    return spans


# --- V-number (vreemdelingennummer) -------------------------------------------------------

# Ten digits have no check digit and are common (order numbers, phone numbers), so a bare
# ten-digit number is a V-number only next to a keyword or written as V1234567890 / V-....
_V_KEYWORD: Final = (
    r"(?:v[-. ]?(?:nummer|number|nr|no|num)|vreemdelingen[- ]?nummer"
    r"|[vв][-. ]?номер[а-яіїєґ]*|номер[а-яіїєґ]*[ ]+[vв](?![\w-]))"
)
# Between keyword and number: punctuation, or a small verb ("V-nummer is 1234567890").
_GAP: Final = r"[ \t:#=\-–—.]{0,5}(?:(?:is|was|luidt|це|є)[ \t:#=\-–—]{1,5})?"
_TEN_DIGITS: Final = r"[0-9](?:[ .]?[0-9]){9}"
_NUMBER_END: Final = r"(?![\w@])(?![.,:/\-][0-9])"
# (?!\]) keeps the placeholder "[V-NUMBER]" from being read as a keyword on a second pass.
_V_AFTER_KEYWORD: Final = re.compile(
    rf"(?<!\w){_V_KEYWORD}\.?(?!\]){_GAP}(?P<number>{_TEN_DIGITS}){_NUMBER_END}", re.IGNORECASE
)
_V_BEFORE_KEYWORD: Final = re.compile(
    rf"(?<![\w+@€])(?<![0-9][.,:/\-])(?P<number>[0-9]{{10}})[ \t]*\(?[ \t]*{_V_KEYWORD}(?!\])",
    re.IGNORECASE,
)
_V_FORMATTED: Final = re.compile(
    rf"(?<!\w)(?P<number>(?:[Vv][-. ]?|[Вв]-)[0-9]{{10}}){_NUMBER_END}"
)


def _v_numbers(text: str) -> list[_Span]:
    spans: list[_Span] = []
    for pattern in (_V_AFTER_KEYWORD, _V_BEFORE_KEYWORD, _V_FORMATTED):
        spans.extend(
            _Span(m.start("number"), m.end("number"), "v_number") for m in pattern.finditer(text)
        )
    return spans


# --- phone numbers ------------------------------------------------------------------------

# A run of digits with the separators people use in phone numbers; it is validated (and, at a
# space, shortened) in Python against the Dutch and Ukrainian numbering plans.
_SEP: Final = (
    r"(?:[ \u00a0]?[-–./][ \u00a0]?|[ \u00a0]?\([ \u00a0]?|[ \u00a0]?\)[ \u00a0]?|[ \u00a0])"
)
_PHONE_RUN: Final = re.compile(
    rf"(?<![\w+@€])(?<![0-9][-–.,:/])(?:\+[ \u00a0]?|\([ \u00a0]?)?[0-9](?:{_SEP}?[0-9]){{0,20}}\)?"
)
# Numbers of organisations, not of persons: 0800 (free), 0900/0906/0909 (paid information
# lines, such as the police's 0900-8844) and 088 (companies and public bodies such as the
# UWV, DUO or the IND). Short numbers (112, 113, 14 036) are never long enough to match.
_PUBLIC_NL: Final = ("800", "900", "906", "909", "88")
# 06-12-2024 10 (a date and an hour) has as many digits as a phone number.
_DATE_FIRST: Final = re.compile(r"\(?[0-9]{1,2}([-./])[0-9]{1,2}\1(?:19|20)[0-9]{2}(?![0-9])")
_GROUPS: Final = re.compile(r"[0-9]+")


def _phone_kind(raw: str) -> Literal["phone", "public"] | None:
    digits = "".join(_GROUPS.findall(raw))
    groups = _GROUPS.findall(raw.replace("(0)", ""))
    international = raw.startswith("+") or (raw.startswith("00") and len(groups[0]) >= 2)
    separators = {sep.strip() for sep in re.split(r"[0-9]+", raw.lstrip("+("))[1:-1]}
    if "." in separators and len(separators) > 1:
        return None  # 06.30 07.45 08.00 is a timetable
    if sum(len(group) == 1 for group in groups[1:]) > 1:
        return None  # 0 1 2 3 4 5 6 7 8 9 is a count
    if international:
        body = digits if raw.startswith("+") else digits[2:]
        if body.startswith("31"):
            national = body[2:].removeprefix("0")
            if national.startswith(_PUBLIC_NL):
                return "public"
            return "phone" if len(national) == 9 and national[0] != "0" else None
        if body.startswith("380"):
            return "phone" if len(body.removeprefix("380").removeprefix("0")) == 9 else None
        return "phone" if 8 <= len(body) <= 15 else None
    if digits.startswith("380") and len(digits) == 12:
        return "phone"
    if not digits.startswith("0") or digits.startswith("00"):
        return None
    if digits[1:].startswith(_PUBLIC_NL):
        return "public"
    if len(digits) != 10 or _DATE_FIRST.match(raw):
        return None
    # 0 and nine digits: Dutch (06 mobile, 0xx / 0xxx landlines such as Almere's 036) or
    # Ukrainian (0XX XXX XX XX, for example 050 or 067).
    return "phone"


def _ends_number(text: str, end: int) -> bool:
    """Whether a number may end here: not inside a word, a code or a longer number."""
    if end == len(text):
        return True
    after = text[end]
    if after.isalnum() or after in "_@":
        return False
    return not (after in "-–.,:/" and text[end + 1 : end + 2].isdigit())


def _phones(text: str) -> list[_Span]:
    spans = []
    position = 0
    while match := _PHONE_RUN.search(text, position):
        run = match[0]
        position = match.start() + 1
        if not run.startswith(("+", "0", "(0", "( 0", "380")):
            continue  # every number starts with +, 0 or 380: a cheap way past "1 2 3 4 ..."
        # Cheap necessary conditions per cut, so that "0 0 0 0 ..." costs little: the digits
        # before it, and the one-digit groups (after the first, not counting "(0)").
        digits_before, singles_before = [0], [0]
        group = groups = 0
        for i, char in enumerate(run):
            if char.isdigit():
                group += 1
            elif group:
                groups += 1
                singles_before[-1] += group == 1 and groups > 1 and run[i - 2 : i + 1] != "(0)"
                group = 0
            digits_before.append(digits_before[-1] + char.isdigit())
            singles_before.append(singles_before[-1])
        # Longest first; cuts only where a number may end (after a group, before a space).
        for cut in range(len(run), 0, -1):
            ends_group = run[cut - 1].isdigit() or run[cut - 1] == ")"
            if not ends_group or not 7 <= digits_before[cut] <= 17 or singles_before[cut] > 1:
                continue
            end = match.start() + cut
            if not _ends_number(text, end) or (cut < len(run) and run[cut].isdigit()):
                continue
            kind = _phone_kind(run[:cut])
            if kind == "public" and digits_before[cut] == 9 and bsn_is_valid(run[:cut]):
                continue  # 0800 0000 9 passes the 11-test: a BSN, which the BSN detector takes
            if kind is not None:
                spans.append(_Span(match.start(), end, "phone" if kind == "phone" else None))
                position = end
                break
    return spans


# --- BSN ----------------------------------------------------------------------------------

# Nine digits, or eight with the leading zero left off; written 123456782, 1234.56.782,
# 123 456 782 or 123.45.678 (eight). Not after a currency sign, not part of a longer number.
_BSN_FORMS: Final = (
    r"(?:[0-9]{4}(?P<s1>[ .])[0-9]{2}(?P=s1)[0-9]{3}|[0-9]{3}(?P<s2>[ .])[0-9]{3}(?P=s2)[0-9]{3}"
    r"|[0-9]{3}(?P<s3>[ .])[0-9]{2}(?P=s3)[0-9]{3}|[0-9]{8,9})"
)
_BSN: Final = re.compile(
    rf"(?<![\w+@€])(?<!€ )(?<![\w][-/])(?<![0-9][.,:])"
    rf"(?P<number>{_BSN_FORMS}){_NUMBER_END}(?!,[0-9])"
)
# After "BSN" a number is redacted even when it fails the 11-test: a mistyped BSN is still
# the user's BSN, and the keyword rules out an amount or a date.
_BSN_KEYWORD: Final = (
    r"(?:bsn(?:[- ]?(?:nummer|number|nr|номер))?|burger ?service ?nummer|sofi[- ]?nummer"
    r"|citizen service number|бсн)"
)
_BSN_AFTER_KEYWORD: Final = re.compile(
    rf"(?<!\w){_BSN_KEYWORD}\.?(?!\]){_GAP}(?P<number>{_BSN_FORMS}){_NUMBER_END}", re.IGNORECASE
)


def bsn_is_valid(number: str) -> bool:
    """The 11-test (elfproef); eight digits are read with a leading zero."""
    digits = [int(char) for char in number if char.isdigit()]
    if len(digits) == 8:
        digits.insert(0, 0)
    if len(digits) != 9 or not any(digits):
        return False
    total = (
        sum(weight * digit for weight, digit in zip(range(9, 1, -1), digits[:8], strict=True))
        - digits[8]
    )
    return total % 11 == 0


def _looks_like_date(number: str) -> bool:
    """20240512 or 12052024: eight digits that are a date are not a BSN."""
    if len(number) != 8:
        return False
    for year, month, day in (
        (number[:4], number[4:6], number[6:]),
        (number[4:], number[2:4], number[:2]),
    ):
        if 1900 <= int(year) <= 2099 and 1 <= int(month) <= 12 and 1 <= int(day) <= 31:
            return True
    return False


def _bsns(text: str) -> list[_Span]:
    spans = [
        _Span(m.start("number"), m.end("number"), "bsn") for m in _BSN_AFTER_KEYWORD.finditer(text)
    ]
    for match in _BSN.finditer(text):
        number = match["number"]
        if bsn_is_valid(number) and not _looks_like_date(number):
            spans.append(_Span(match.start("number"), match.end("number"), "bsn"))
    return spans


# --- putting it together ------------------------------------------------------------------

_DETECTORS: Final = (_emails, _ibans, _v_numbers, _phones, _bsns)
_CANDIDATE: Final = re.compile(r"[0-9@]")


def redact(text: str) -> Redaction:
    """Replaces BSNs, IBANs, phone numbers, e-mail addresses and V-numbers by placeholders."""
    if not _CANDIDATE.search(text):
        return Redaction(text=text, kinds=())
    taken: list[_Span] = []
    working = text
    for detector in _DETECTORS:
        found: list[_Span] = []
        for span in detector(working):
            if all(
                span.end <= other.start or other.end <= span.start for other in (*taken, *found)
            ):
                found.append(span)
        for span in found:
            working = working[: span.start] + _MASK * (span.end - span.start) + working[span.end :]
        taken.extend(found)
    redacted = sorted((s.start, s.end, s.kind) for s in taken if s.kind is not None)
    parts = []
    kinds: list[Kind] = []
    position = 0
    for start, end, kind in redacted:
        parts.append(text[position:start])
        parts.append(PLACEHOLDERS[kind])
        position = end
        if kind not in kinds:
            kinds.append(kind)
    parts.append(text[position:])
    return Redaction(text="".join(parts), kinds=tuple(kinds))


def contains_identifier(text: str) -> bool:
    """Whether redact() would remove something (for checks on what is about to be stored)."""
    return bool(redact(text).kinds)
