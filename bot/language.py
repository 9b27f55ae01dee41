"""Decide which language (Ukrainian, English or Dutch) to answer a chat message in.

The gateway calls :meth:`LanguageDecider.decide` for every incoming message before it
is handed to Rasa. The rules, in order:

* A conversation that already has a language keeps it ("sticky"): short or ambiguous
  messages ("ok", "BSN?", "112", "thanks!", an emoji, a URL, a name) never flip it.
  Only a *clear sentence* in another supported language switches, even when the user
  chose the current language explicitly or the channel hinted it (``changed=True``).
* On the first message a confident detection wins, then the channel hint, then the
  default.
* Script first: Cyrillic text is answered in Ukrainian; Russian is recognised (marker
  letters, a few very frequent words, then lingua restricted to Ukrainian and Russian)
  and flagged, but still answered in Ukrainian. Latin text is English, Dutch, or
  Ukrainian/Russian typed in Latin letters (transliteration, found with small word
  lists and a few spelling patterns that English and Dutch do not use).
* English versus Dutch: lingua (restricted to English, Dutch, Ukrainian, Russian)
  combined with small lists of function words and chat words (greetings, thanks,
  yes/no), which rescue one-word messages where n-gram models are weak.

A *clear sentence* has at least :data:`CLEAR_MIN_WORDS` content words (not names,
acronyms, numbers, URLs or "ok"-like fillers), at least :data:`CLEAR_MIN_LETTERS`
letters in its words, and a detection margin of at least :data:`CLEAR_MIN_MARGIN`.
In Latin script it must also contain :data:`CLEAR_MIN_LISTED` function words of the
winning language (rules out place names and other languages); in Cyrillic the
content words must be Cyrillic (Dutch terms inside a Ukrainian sentence do not
count). The thresholds are measured by ``python -m bench.measure.language`` on
``bench/measure/language_cases.yml``.

Everything here is deterministic: the same text and arguments give the same decision.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import unicodedata
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from lingua import LanguageDetector

Language = Literal["uk", "en", "nl"]
Source = Literal["explicit", "channel", "detected", "sticky", "default"]

SUPPORTED: tuple[Language, ...] = ("uk", "en", "nl")

# A clear sentence needs this many content words ...
CLEAR_MIN_WORDS = 3
# ... and this many letters in its words (names included) ...
CLEAR_MIN_LETTERS = 15
# ... and a detection margin (0 = coin toss, 1 = certain) of at least this.
CLEAR_MIN_MARGIN = 0.9
# ... and, in Latin script, this many function words of the winning language: lingua
# restricted to English and Dutch must pick one of them even for French or German, so
# without this "Je cherche un logement" would switch a conversation to Dutch.
CLEAR_MIN_LISTED = 2
# A first message is detected (rather than left to the hint/default) from this margin on.
DETECT_MIN_MARGIN = 0.5
# Each listed function/chat word moves the English-versus-Dutch log-odds this much;
# lingua's own log-odds are clipped to +-LINGUA_MAX_LOGIT. So one listed word ("hoi",
# "thanks") overrules lingua unless lingua is over 95% sure (it is not, on one word),
# and two always do. Accuracy is flat for weights 2-4 on the benchmark.
WORD_WEIGHT = 3.0
LINGUA_MAX_LOGIT = 4.0
# Without marker letters or marker words, Cyrillic text is flagged Russian only when
# lingua (Ukrainian versus Russian) is at least this sure: a false "you wrote Russian"
# to a Ukrainian is worse than a missed one.
RUSSIAN_MIN_CONFIDENCE = 0.7
# Only the start of a long message is looked at: bounds the cost per message.
MAX_CHARS = 1000
MAX_TOKENS = 200


def _words(block: str) -> frozenset[str]:
    """A word list written as a whitespace-separated block, for readability."""
    return frozenset(block.split())


# --- Word lists -------------------------------------------------------------------
# Small and general on purpose: function words, greetings, thanks, yes/no. No topic
# words (housing, doctor, ...): those are left to lingua. Compared lowercased and,
# for Latin script, without diacritics.

# Fillers and words shared by English and Dutch: they carry no language evidence.
NEUTRAL_WORDS: frozenset[str] = _words(
    """
    ok okay oke okey okej k kk lol haha hahaha hmm hm xd sorry super top perfect u oh ah
    eh ок окей оке ага хм ммм
    """
)

# English function words and chat words that are not also common Dutch words
# ("is", "in", "we", "was", "of", "me", "help" are both, so they are left out).
ENGLISH_WORDS: frozenset[str] = _words(
    """
    the a an and or but if i i'm im i've i'd i'll my mine you your you're he his she her
    they their them us our it it's its this that these those there are am be been do
    does did don't dont doesn't didn't can can't cant could should would will won't have
    has to for with without from on at by about into after before where what when why
    how who which whom need get got please pls plz thanks thank thx tnx hello hi hey yes
    yeah yep yup nope no not bye goodbye good morning evening afternoon night much many
    any some just also very too all great sure welcome cheers
    """
)

# Dutch function words and chat words that are not also common English words.
DUTCH_WORDS: frozenset[str] = _words(
    """
    de het een en ik jij je jou jouw uw wij zij ze hij mij mijn ons onze hun dit dat
    deze die hier daar zijn ben bent heb hebt heeft hebben kan kun kunt kunnen mag mogen
    moet moeten wil wilt willen zal zou ga gaat gaan doe doet doen van voor op aan bij
    uit naar om te tot zonder niet geen nog ook al maar als dan wat waar wie hoe wanneer
    waarom welke welk hoeveel graag alsjeblieft alstublieft aub ajb dank bedankt
    dankjewel dankuwel dankje hoi hallo doei dag ja nee goedemorgen goedemiddag
    goedenavond goeiemorgen goeiedag welterusten ziens fijn fijne goed prima heel veel
    nou toch wel jawel hartelijk groetjes
    """
)

# High-frequency Ukrainian words as typed in Latin letters, in the spellings people
# actually use (official, Russian-style and Polish-style transliteration). Words that
# are also common English or Dutch words ("de", "do", "na", "to", "my", "i", "a") are
# left out.
UKRAINIAN_TRANSLIT_WORDS: frozenset[str] = _words(
    """
    pryvit privit pryvitannya vitayu vitaiu vitaju dyakuyu dyakuju diakuiu diakuyu
    djakuju dyakuiu dakuyu duzhe dobryi dobryy dobriy dobryj dobrij dobre dobroho
    dobrogo ranku vechir vechora dobranich bud laska budlaska vybachte vybachayte
    pobachennya pobachennia buvay buvai harazd zrozumilo zrozumila zrozumiv ni tak ya
    meni mene mni vy vam vas tebe nas nam vin vona vony yak yaka yake yaki yakyi shcho
    scho sho chy koly chomu skilky kudy zvidky khto hto tut ye nemaye nemae nema mozhna
    mozhu mozhete mozhe treba potribno potribna potriben potribni khochu hochu znayu
    znaiu rozumiyu rozumiiu dopomoha dopomoga dopomozhit dopomozhy dopomohty dopomogty
    zhytlo zhytla robota robotu roboty hroshi groshi dytyna dytyni dity mova movu movy
    ukrayina ukraina ukrayiny ukrainy ukrayinska ukrainska ukrayinsku ukrainsku
    ukrayinskoyu ukrainskoiu otrymaty znayty znaity znajty yakshcho yakscho yaksho abo
    tezh takozh vzhe shche dlya dlia vid pislya pislia cherez spravy zaraz tilky tilki
    bo ale cey tsey tse tsia miy moya moye moyi moyu nash nasha vash vasha
    """
)

# High-frequency Russian words typed in Latin letters (answered in Ukrainian, flagged).
RUSSIAN_TRANSLIT_WORDS: frozenset[str] = _words(
    """
    privet spasibo spasiba pozhaluysta pozhalujsta pojaluista pozhalusta pojalusta
    zdravstvuyte zdravstvuite zdravstvujte zdrastvuyte zdrastuyte kak gde chto shto mne
    menya nuzhno nuzhen nuzhna mozhno pomogite pomoch pomosch pomoshch pomosh horosho
    khorosho poka da kogda skolko pochemu izvinite ponyatno rabota rabotu raboty naiti
    najti nayti poluchit kvartira kvartiru vrach vracha eto ili esli tolko ishchu ischu
    delat stoit dengi bolshoe bolshoye ochen uzhe zdes seychas sejchas
    """
)

# Frequent Ukrainian words written without the letters і ї є ґ that would give them away.
UKRAINIAN_WORDS: frozenset[str] = _words(
    """
    що як де дякую добре ласка мене треба можна чи щоб коли чому шукаю дуже вже ось мова
    мову робота роботу житло допомога допоможіть вибачте гаразд зрозуміло чудово
    звичайно бувай добрий ранку побачення справи який яка яке також або але лише цей ця
    це ще щось немає нема потрібно отримати зараз
    """
)

# Frequent Russian words written without the letters ы э ъ ё that would give them away.
RUSSIAN_WORDS: frozenset[str] = _words(
    """
    что как где спасибо привет пожалуйста здравствуйте нет да хорошо мне меня нужно
    нужен нужна можно помогите помочь когда сколько почему извините понятно ищу получить
    какие какой какая только или если еще очень уже здесь работа работу деньги денег
    жилье язык пока ладно большое свидания утро доброе подскажите скажите делать найти
    врач врача ребенок он она они с и мой могу может сейчас
    """
)

# English/Dutch function words that are also frequent transliterated Ukrainian words.
_SHARED_WITH_TRANSLIT = frozenset(("de", "do"))
_UKRAINIAN_LETTERS = frozenset("іїєґ")
_RUSSIAN_LETTERS = frozenset("ыэъё")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "`": "'", "\u2018": "'"})
# Latin letters that look like Cyrillic ones; inside a Cyrillic word they are typos
# or a missing keyboard layout ("Привiт" with a Latin i is Ukrainian).
_LATIN_TO_CYRILLIC = str.maketrans(
    "aceiopxyABCEHIKMOPTX\u00ef",
    "асеіорхуАВСЕНІКМОРТХї",
)

_CHUNK = re.compile(r"\S+")
_DOMAIN = re.compile(
    r"(?:[\w-]+\.)+(?:nl|com|org|net|eu|ua|gov|info|io)(?:/\S*)?[.,;:!?)]*", re.IGNORECASE
)
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019\u02bc`-][^\W\d_]+)*")
_SENTENCE_END = frozenset(".!?:;\n")
_ENGLISH_I = frozenset(("i", "i'm", "i've", "i'd", "i'll"))
_TRANSLIT_PATTERN = re.compile(
    r"shch|zh|kh|yy"
    r"|[bcdfghklmnprstvzw]y(?:a|u|i(?!ng))"
    r"|(?:[ya]ty|tysya|tysia|tysj[au])$"
    r"|nn(?:ya|ia|ja)$"
    r"|(?:oho|oyi|oyu|oiu|oju|[aiuy](?:yu|iu|ju))$"
    r"|s[kc](?:yy|yi|yj|iy)$"
)

# Keeps math.exp in range whatever the number of listed words.
_LOGIT_CLIP = 12.0


@dataclass(frozen=True)
class LanguageDecision:
    """The language to answer in, and why; the gateway logs ``source``."""

    language: Language
    source: Source
    changed: bool
    russian: bool
    latin: bool = False  # Ukrainian (or Russian) typed in Latin letters, answered in Ukrainian


@dataclass(frozen=True)
class Detection:
    """What the text alone says, before stickiness and hints are applied."""

    language: Language | None  # None: no confident guess
    russian: bool
    margin: float  # 0 = coin toss .. 1 = certain
    clear: bool  # a clear sentence: may switch a conversation's language
    words: int  # content words (no names, acronyms, fillers)
    letters: int  # letters in all words but fillers
    latin: bool = False  # Ukrainian or Russian typed in Latin letters


@dataclass(frozen=True)
class _Token:
    text: str  # lowercased; Latin without diacritics
    raw: str
    cyrillic: bool
    name: bool  # capitalised inside a sentence, or an acronym
    neutral: bool  # filler ("ok"), or a script we do not detect


_HINTS: dict[str, Language] = {
    "uk": "uk", "ua": "uk", "ukr": "uk", "ru": "uk", "rus": "uk",
    "en": "en", "eng": "en",
    "nl": "nl", "nld": "nl", "dut": "nl",
}  # fmt: skip


def normalize_hint(hint: str | None) -> Language | None:
    """Map a channel's language code ("nl-NL", "en_GB", "ru") to a supported language.

    Russian maps to Ukrainian because that is what we answer Russian speakers in;
    "ua" is a country code but often used for the language. Unknown codes give None.
    """
    if not hint:
        return None
    primary = re.split(r"[-_]", hint.strip().lower(), maxsplit=1)[0]
    return _HINTS.get(primary)


def _strip_diacritics(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"


def _is_latin(ch: str) -> bool:
    return ch <= "\u024f" or "\u1e00" <= ch <= "\u1eff"


def _drop_link(chunk: re.Match[str]) -> str:
    """URLs, e-mail addresses, domains, @handles and #tags say nothing about language."""
    word = chunk.group()
    lowered = word.lower()
    if (
        "@" in word
        or "://" in word
        or lowered.startswith(("www.", "#"))
        or _DOMAIN.fullmatch(lowered)
    ):
        return " "
    return word


def _tokens(text: str) -> list[_Token]:
    """Split into word tokens and mark which ones carry no language evidence."""
    cleaned = _CHUNK.sub(_drop_link, text[:MAX_CHARS].translate(_APOSTROPHES))
    matches = list(itertools.islice(_WORD.finditer(cleaned), MAX_TOKENS))
    shouting = bool(matches) and not any(ch.islower() for m in matches for ch in m.group())
    tokens: list[_Token] = []
    previous_end = 0
    for match in matches:
        raw = match.group()
        gap = cleaned[previous_end : match.start()]
        initial = previous_end == 0 or any(ch in _SENTENCE_END for ch in gap)
        previous_end = match.end()
        cyr = sum(1 for ch in raw if _is_cyrillic(ch))
        cyrillic = cyr * 2 >= len(raw)
        if cyrillic and cyr < len(raw):
            raw = raw.translate(_LATIN_TO_CYRILLIC)
        # Other scripts (Arabic, Chinese, ...) are not ours to detect: no evidence.
        other_script = not cyrillic and sum(1 for ch in raw if _is_latin(ch)) * 2 < len(raw)
        word = raw.lower()
        if not cyrillic:
            word = _strip_diacritics(word)
        if shouting:
            # An all-caps message: only a lone short token is taken as an acronym.
            name = len(matches) == 1 and len(raw) <= 4
        else:
            acronym = len(raw) >= 2 and raw.isupper()
            inner_caps = any(ch.isupper() for ch in raw[1:])
            capitalised = raw[0].isupper() and word not in _ENGLISH_I
            name = acronym or inner_caps or (capitalised and not initial)
        neutral = other_script or word in NEUTRAL_WORDS
        tokens.append(_Token(word, raw, cyrillic, name, neutral))
    return tokens


def _translit_shaped(token: _Token) -> bool:
    """Spelled like transliterated Ukrainian (zh, kh, shch, -ty, -nnya ...); names aside."""
    return (
        not token.name
        and len(token.text) >= 3
        and token.text not in ENGLISH_WORDS
        and token.text not in DUTCH_WORDS
        and _TRANSLIT_PATTERN.search(token.text) is not None
    )


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


class LanguageDecider:
    """Decides the answer language per message; build one and reuse it (thread-safe).

    The lingua detector is created on first use, not at import time; its language
    models load lazily on the first detection of each language (``preload=True``
    loads them in the constructor instead, trading ~0.7 s and ~200 MB up front for
    no slow first message).
    """

    def __init__(
        self, *, default: Language = "nl", preload: bool = False, low_accuracy: bool = False
    ) -> None:
        if default not in SUPPORTED:
            raise ValueError(f"unsupported default language: {default!r}")
        self._default: Language = default
        self._preload = preload
        self._low_accuracy = low_accuracy
        self._lock = threading.Lock()
        self._detector: LanguageDetector | None = None
        if preload:
            self._lingua()

    def _lingua(self) -> LanguageDetector:
        detector = self._detector
        if detector is None:
            with self._lock:
                if self._detector is None:
                    from lingua import Language as Lingua
                    from lingua import LanguageDetectorBuilder

                    builder = LanguageDetectorBuilder.from_languages(
                        Lingua.ENGLISH, Lingua.DUTCH, Lingua.UKRAINIAN, Lingua.RUSSIAN
                    )
                    if self._low_accuracy:
                        builder = builder.with_low_accuracy_mode()
                    if self._preload:
                        builder = builder.with_preloaded_language_models()
                    self._detector = builder.build()
                detector = self._detector
        return detector

    def _confidences(self, text: str) -> dict[str, float]:
        values = self._lingua().compute_language_confidence_values(text)
        return {v.language.iso_code_639_1.name.lower(): v.value for v in values}

    def decide(
        self,
        text: str,
        *,
        current: Language | None = None,
        explicit: bool = False,
        hint: str | None = None,
    ) -> LanguageDecision:
        """Pick the answer language for one message of a conversation.

        ``current`` is read like a hint, so a stored "ru" counts as "uk" and an unknown
        value as no language yet; ``hint`` only matters when there is no current one.
        """
        found = self.analyse(text)
        decision = self._decide(found, normalize_hint(current), explicit, hint)
        if found.latin and decision.language == "uk":
            return replace(decision, latin=True)
        return decision

    def _decide(
        self, found: Detection, conversation: Language | None, explicit: bool, hint: str | None
    ) -> LanguageDecision:
        if conversation is not None:
            if found.clear and found.language is not None and found.language != conversation:
                return LanguageDecision(found.language, "detected", True, found.russian)
            source: Source = "explicit" if explicit else "sticky"
            return LanguageDecision(conversation, source, False, found.russian)
        if found.language is not None:
            return LanguageDecision(found.language, "detected", False, found.russian)
        hinted = normalize_hint(hint)
        if hinted is not None:
            return LanguageDecision(hinted, "channel", False, found.russian)
        return LanguageDecision(self._default, "default", False, found.russian)

    def detect(self, text: str) -> tuple[Language | None, bool]:
        """The language of the text alone (None if not confident) and whether it looks Russian."""
        found = self.analyse(text)
        return found.language, found.russian

    def analyse(self, text: str) -> Detection:
        """Full evidence for one text; :meth:`decide` and the benchmark build on it."""
        tokens = [t for t in _tokens(text) if not t.neutral]
        if not tokens:
            return Detection(None, False, 0.0, False, 0, 0)
        content = [t for t in tokens if not t.name]
        words = len(content)
        letters = sum(len(t.text) for t in tokens)
        cyrillic_letters = sum(len(t.text) for t in tokens if t.cyrillic)
        latin_letters = sum(len(t.text) for t in tokens if not t.cyrillic)
        if cyrillic_letters >= latin_letters:
            # Script decides the language; a clear sentence needs enough Cyrillic
            # content words, so Dutch terms inside a Ukrainian sentence do not count.
            russian = self._looks_russian(tokens)
            margin = cyrillic_letters / (cyrillic_letters + latin_letters)
            cyr_words = sum(1 for t in content if t.cyrillic)
            clear = cyr_words >= CLEAR_MIN_WORDS and cyrillic_letters >= CLEAR_MIN_LETTERS
            return Detection("uk", russian, margin, clear, words, letters)
        return self._latin(tokens, words, letters)

    def _looks_russian(self, tokens: list[_Token]) -> bool:
        """Russian or Ukrainian: marker letters, then marker words, then lingua."""
        words = [t.text for t in tokens if t.cyrillic]
        joined = " ".join(words)
        ukrainian = sum(1 for ch in joined if ch in _UKRAINIAN_LETTERS) + sum(
            1 for w in words if "'" in w
        )
        russian = sum(1 for ch in joined if ch in _RUSSIAN_LETTERS)
        if ukrainian != russian:
            return russian > ukrainian
        ukrainian = sum(1 for w in words if w in UKRAINIAN_WORDS)
        russian = sum(1 for w in words if w in RUSSIAN_WORDS)
        if ukrainian != russian:
            return russian > ukrainian
        confidences = self._confidences(joined)
        uk, ru = confidences.get("uk", 0.0), confidences.get("ru", 0.0)
        return uk + ru > 0 and ru / (uk + ru) >= RUSSIAN_MIN_CONFIDENCE

    def _latin(self, tokens: list[_Token], words: int, letters: int) -> Detection:
        """English, Dutch, or Ukrainian/Russian typed in Latin letters."""
        long_enough = words >= CLEAR_MIN_WORDS and letters >= CLEAR_MIN_LETTERS
        latin = [t for t in tokens if not t.cyrillic]
        english = sum(1 for t in latin if t.text in ENGLISH_WORDS)
        dutch = sum(1 for t in latin if t.text in DUTCH_WORDS)
        uk_translit = 0
        ru_translit = 0
        for t in latin:
            if t.text in RUSSIAN_TRANSLIT_WORDS:
                ru_translit += 1
            elif t.text in UKRAINIAN_TRANSLIT_WORDS or _translit_shaped(t):
                uk_translit += 1
        translit = uk_translit + ru_translit
        # "de" (where) and "do" (to) are Ukrainian too: no evidence against translit.
        against = sum(1 for t in latin if t.text in DUTCH_WORDS or t.text in ENGLISH_WORDS)
        against -= sum(1 for t in latin if t.text in _SHARED_WITH_TRANSLIT)
        if translit > against:
            margin = (translit - against) / (translit + against + 1)
            clear = long_enough and translit >= 2 and margin >= 0.5
            russian = ru_translit > uk_translit
            return Detection("uk", russian, margin, clear, words, letters, latin=True)

        if not any(not t.name for t in latin):
            # Only names and acronyms ("BSN", "Den Haag"): nothing to detect.
            return Detection(None, False, 0.0, False, words, letters)
        evidence = [t for t in latin if not t.name]
        confidences = self._confidences(" ".join(t.raw for t in evidence))
        en, nl = confidences.get("en", 0.0), confidences.get("nl", 0.0)
        logit = 0.0
        if en > 0 and nl > 0:
            logit = max(-LINGUA_MAX_LOGIT, min(LINGUA_MAX_LOGIT, math.log(en / nl)))
        elif en > 0 or nl > 0:
            logit = LINGUA_MAX_LOGIT if en > nl else -LINGUA_MAX_LOGIT
        logit += WORD_WEIGHT * (english - dutch)
        logit = max(-_LOGIT_CLIP, min(_LOGIT_CLIP, logit))
        margin = abs(2.0 * _sigmoid(logit) - 1.0)
        language: Language = "en" if logit > 0 else "nl"
        listed = english if language == "en" else dutch
        clear = long_enough and margin >= CLEAR_MIN_MARGIN and listed >= CLEAR_MIN_LISTED
        if margin < DETECT_MIN_MARGIN:
            return Detection(None, False, margin, False, words, letters)
        return Detection(language, False, margin, clear, words, letters)
