"""Ukrainian rows of the development set as newcomers type them without a Cyrillic keyboard.

Two spellings people use: the official one (the Cabinet of Ministers' 2010 table, as in
passports: "Chy maiu ya oplachuvaty medychni posluhy") and a chat one, closer to Russian and
Polish habits ("Chy mayu ya oplachuvaty medychni poslugy"; г as g, х as h, щ as sch, є and ї
as plain e and i). The bot's own reading back (bot/transliteration.py) is written separately
and does not know which one it gets; each loses letters (і/ї, г/х, ь), so the round trip is
not exact.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from bench.devset import DevQuestion

Style = Literal["official", "chat"]
STYLES: tuple[Style, ...] = ("official", "chat")

_COMMON = {
    "а": "a", "б": "b", "в": "v", "д": "d", "е": "e", "ж": "zh", "з": "z", "к": "k",
    "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "ч": "ch", "ш": "sh", "ь": "", "'": "", "\u2019": "", "\u02bc": "",
    "ґ": "g", "и": "y", "і": "i",
    # Russian letters in a Ukrainian row, as people type them
    "ы": "y", "э": "e", "ё": "yo", "ъ": "",
}  # fmt: skip
_OFFICIAL: dict[str, str | tuple[str, str]] = {
    **_COMMON, "г": "h", "х": "kh", "ц": "ts", "щ": "shch",
    "є": ("ye", "ie"), "ї": ("yi", "i"), "й": ("y", "i"), "ю": ("yu", "iu"), "я": ("ya", "ia"),
}  # fmt: skip
_CHAT: dict[str, str | tuple[str, str]] = {
    **_COMMON, "г": "g", "х": "h", "ц": "c", "щ": "sch",
    "є": ("ye", "e"), "ї": ("yi", "i"), "й": ("y", "y"), "ю": ("yu", "yu"), "я": ("ya", "ya"),
}  # fmt: skip


def romanize(text: str, style: Style) -> str:
    """`text` in Latin letters; letters with two forms take the first at a word's start."""
    table = _OFFICIAL if style == "official" else _CHAT
    out: list[str] = []
    previous = " "
    for char in text:
        lower = char.lower()
        spelled = table.get(lower)
        if spelled is None:
            out.append(char)
        else:
            if isinstance(spelled, tuple):
                spelled = spelled[0] if not previous.isalpha() else spelled[1]
            latin = str(spelled)
            out.append(latin.capitalize() if char.isupper() else latin)
        previous = char
    return "".join(out)


def latin_rows(questions: list[DevQuestion]) -> list[DevQuestion]:
    """Each Ukrainian row once per style, its id marked with the style."""
    return [
        replace(q, id=f"{q.id}-{style}", text=romanize(q.text, style))
        for q in questions
        if q.language == "uk"
        for style in STYLES
    ]
