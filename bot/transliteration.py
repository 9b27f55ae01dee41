"""Ukrainian typed in Latin letters, read back into Cyrillic before Rasa sees it (issue 17).

Newcomers without a Cyrillic keyboard write "de ya mozhu znayty kvartyru" or "chy maiu ya
oplachuvaty medychni posluhy". The language decision (bot/language.py) recognises such text;
the model was trained on Cyrillic, so the gateway hands Rasa "де я можу знайти квартиру".
Both the official spelling (the 2010 table, as in passports: kh, ts, shch, ia/iu/ie inside a
word) and the chat one (h, c, sch, ya/yu/ye, j) are read. What cannot be told apart is
guessed: "h" is г (as in the official table), "i" is і, a lost soft sign stays lost.

Words that are not Ukrainian are kept as typed: acronyms (BSN, GGD, IND), words with capitals
inside (DigiD), capitalised words inside a sentence (Almere, Juridisch Loket) unless they
are spelled like Ukrainian (Niderlandakh, Kyiv), and anything with digits, "@", "/" or ".",
such as codes, addresses and links.
"""

from __future__ import annotations

import re

# Longest first; each is tried at the current position of a lowercased word.
_SEQUENCES: tuple[tuple[str, str], ...] = (
    ("shch", "щ"),
    ("sch", "щ"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("ts", "ц"),
    ("ya", "я"),
    ("ja", "я"),
    ("yu", "ю"),
    ("ju", "ю"),
    ("ye", "є"),
    ("je", "є"),
    ("yo", "йо"),
    ("jo", "йо"),
)
# ї as "yi" at a word's start or after a vowel ("yizha", "ukrayina"); after a consonant "yi"
# is и and ї ("Kyiv", "vyizd").
_YI: tuple[tuple[str, str], ...] = (("yi", "ї"), ("ji", "ї"))
# Inside a word (after a letter), the official table writes я ю є as ia iu ie.
_INSIDE: tuple[tuple[str, str], ...] = (("ia", "я"), ("iu", "ю"), ("ie", "є"))
# At a word's end: "-yi", "-yy", "-yj" are the adjective ending -ий, "-iy", "-ij" are -ій,
# "-ii" is -ії ("informatsii"), and a verb's "-etsia" is -еться (-ється after a vowel, below).
_ENDINGS: dict[str, str] = {
    "yi": "ий", "yy": "ий", "yj": "ий", "iy": "ій", "ij": "ій", "ii": "ії",
    "ietsia": "ється", "ietsya": "ється", "yetsia": "ється", "yetsya": "ється",
    "etsia": "еться", "etsya": "еться",
}  # fmt: skip
_LETTERS = {
    "a": "а", "b": "б", "c": "ц", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "г", "i": "і",
    "j": "й", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "к", "r": "р",
    "s": "с", "t": "т", "u": "у", "v": "в", "w": "в", "x": "кс", "z": "з",
}  # fmt: skip
_VOWELS = frozenset("aeiouy")
_WORD = re.compile(r"\S+")
_LETTERS_ONLY = re.compile(r"[A-Za-z]+(?:['\u2019\u02bc`][A-Za-z]+)*")
_SENTENCE_END = frozenset(".!?:;\n")
# A capitalised word inside a sentence is a name unless it is spelled like Ukrainian: a
# case ending ("Niderlandakh", "Kyiv", "Niderlandy"), or letters Dutch and English names do
# not use together ("kh", "zh", "iu", "ye").
_UKRAINIAN_SHAPED = re.compile(
    r"kh|zh|shch|ts[iy]|[iy][aeu]|(?:akh|ah|iv|ov|y|iu|yu|ii|emo|ete|ain[aiuy])$"
)


def _word_to_cyrillic(word: str) -> str:
    """One lowercased Latin word (letters and apostrophes) in Cyrillic."""
    out: list[str] = []
    i = 0
    while i < len(word):
        rest = word[i:]
        if word[i] in "'\u2019\u02bc`":
            out.append("'")
            i += 1
            continue
        ending = _ENDINGS.get(rest) if i > 0 else None
        if ending is not None:
            if word[i - 1] in _VOWELS and rest == "yi":
                ending = "ї"  # "moyi"
            elif word[i - 1] in _VOWELS and ending[0] == "е":
                ending = "є" + ending[1:]  # "vidbuvaetsya"
            out.append(ending)
            break
        inside = i > 0 and word[i - 1].isalpha()
        pairs = (
            _SEQUENCES
            + (_INSIDE if inside else ())
            + (_YI if i == 0 or word[i - 1] in _VOWELS else ())
        )
        found = next(((lat, cyr) for lat, cyr in pairs if rest.startswith(lat)), None)
        if found is not None:
            out.append(found[1])
            i += len(found[0])
            continue
        char = word[i]
        after_vowel = i > 0 and word[i - 1] in _VOWELS
        if char == "y":
            # After a vowel it is й ("znayty"); otherwise и ("dytyna").
            out.append("й" if after_vowel else "и")
        elif char == "i" and out and out[-1] == "и":
            out.append("ї")  # "иі" is not Ukrainian, "иї" is: "Kyiv", "vyizd"
        elif char == "e" and after_vowel and word[i - 1] != "e":
            # є written as e after a vowel ("pratsiue", "maete"); "ee" is Dutch (gemeente).
            out.append("є")
        else:
            out.append(_LETTERS.get(char, char))
        i += 1
    return "".join(out)


def _kept(chunk: str, core: str, initial: bool) -> bool:
    """Not Ukrainian: an acronym, a name, a code or a link."""
    if any(ch.isdigit() or ch in "@/." for ch in core) or "://" in chunk:
        return True
    if len(core) >= 2 and core.isupper():
        return True
    if any(ch.isupper() for ch in core[1:]):
        return True
    return core[0].isupper() and not initial and not _UKRAINIAN_SHAPED.search(core.lower())


def latin_to_cyrillic(text: str) -> str:
    """`text` with its Latin-letter Ukrainian words in Cyrillic, everything else as typed."""
    out: list[str] = []
    previous_end = 0
    initial = True
    for chunk in _WORD.finditer(text):
        gap = text[previous_end : chunk.start()]
        initial = initial or any(ch in _SENTENCE_END for ch in gap)
        out.append(gap)
        previous_end = chunk.end()
        raw = chunk.group()
        core = raw.strip("()[]{}\"'«»,;:!?.…-")
        if not core or not _LETTERS_ONLY.fullmatch(core) or _kept(raw, core, initial):
            out.append(raw)
        else:
            cyrillic = _word_to_cyrillic(core.lower())
            if core[0].isupper():
                cyrillic = cyrillic[0].upper() + cyrillic[1:]
            start = raw.index(core)
            out.append(raw[:start] + cyrillic + raw[start + len(core) :])
        initial = raw[-1] in _SENTENCE_END
    out.append(text[previous_end:])
    return "".join(out)
