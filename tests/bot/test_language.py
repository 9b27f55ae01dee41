"""The language decision: rules, edge cases and the benchmark targets, on the real detector."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.measure.language import format_markdown, run_language_benchmark
from bot.language import SUPPORTED, Language, LanguageDecider, normalize_hint

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "bench" / "measure" / "language_cases.yml"


@pytest.fixture(scope="module")
def decider() -> LanguageDecider:
    return LanguageDecider()


# --- normalize_hint --------------------------------------------------------------


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        ("nl", "nl"),
        ("nl-NL", "nl"),
        ("nl_BE", "nl"),
        ("NL", "nl"),
        ("en", "en"),
        ("en-GB", "en"),
        (" en-us ", "en"),
        ("uk", "uk"),
        ("uk-UA", "uk"),
        ("ua", "uk"),
        ("ru", "uk"),
        ("ru-RU", "uk"),
        ("de", None),
        ("fr-FR", None),
        ("zh-Hans", None),
        ("*", None),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_normalize_hint(hint: str | None, expected: Language | None) -> None:
    assert normalize_hint(hint) == expected


# --- script first: Cyrillic ------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Як отримати DigiD?",
        "Мені потрібна допомога з пошуком житла",
        "Дякую",
        "Добре",
        "Що?",  # lingua alone leans Russian on this one
        "Привiт",  # with a Latin i, as typed without a Ukrainian keyboard layout
        "Моя сім'я шукає житло",
    ],
)
def test_ukrainian_is_ukrainian_and_not_russian(decider: LanguageDecider, text: str) -> None:
    assert decider.detect(text) == ("uk", False)


@pytest.mark.parametrize(
    "text",
    [
        "Спасибо",  # no Russian-only letters: a marker word
        "Нет",
        "Пока",
        "Здравствуйте, мне нужна помощь",
        "Где найти квартиру в Роттердаме?",
        "Вы можете мне помочь?",  # marker letters
        "Как записать ребёнка в школу?",
        "spasibo",  # Russian in Latin letters
        "privet, gde poluchit BSN",
    ],
)
def test_russian_is_answered_in_ukrainian_and_flagged(decider: LanguageDecider, text: str) -> None:
    decision = decider.decide(text)
    assert (decision.language, decision.russian, decision.source) == ("uk", True, "detected")


# --- script first: Latin ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "pryvit",
        "dyakuyu",
        "de meni zareyestruvatysya",
        "yak otrymaty bsn",
        "Dobryi den!",
        "do pobachennya",  # "do" is English too, but also Ukrainian "to"
    ],
)
def test_ukrainian_in_latin_letters_is_ukrainian(decider: LanguageDecider, text: str) -> None:
    assert decider.detect(text) == ("uk", False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Where do I get my BSN?", "en"),
        ("How do I apply for huurtoeslag?", "en"),
        ("Thanks", "en"),
        ("Good morning", "en"),
        ("Waar kan ik mijn BSN ophalen?", "nl"),
        ("Hoe vraag ik DigiD aan?", "nl"),
        ("Hoi", "nl"),
        ("Bedankt", "nl"),
        ("Goedemorgen", "nl"),
        ("Як отримати DigiD?", "uk"),
        ("Мені потрібен huisarts", "uk"),
    ],
)
def test_english_dutch_and_dutch_terms(
    decider: LanguageDecider, text: str, expected: Language
) -> None:
    assert decider.detect(text) == (expected, False)


# --- first message: detection, then hint, then default ----------------------------


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        ("Where can I register as a new resident?", "nl-NL", "en"),
        ("Waar kan ik me inschrijven bij de gemeente?", "en", "nl"),
        ("Де мені зареєструватися?", "en-GB", "uk"),
        ("Dank je wel", "uk", "nl"),
    ],
)
def test_first_message_clear_detection_beats_hint(
    decider: LanguageDecider, text: str, hint: str, expected: Language
) -> None:
    decision = decider.decide(text, hint=hint)
    assert (decision.language, decision.source, decision.changed) == (expected, "detected", False)


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        ("ok", "en-GB", "en"),
        ("okay", "nl", "nl"),
        ("Sorry", "uk", "uk"),
        ("BSN?", "uk", "uk"),
        ("👍", "ru", "uk"),
        ("112", "nl", "nl"),
        ("Food bank", "uk", "uk"),  # English or Dutch? Too close to call: the hint decides
    ],
)
def test_first_message_ambiguous_uses_hint(
    decider: LanguageDecider, text: str, hint: str, expected: Language
) -> None:
    decision = decider.decide(text, hint=hint)
    assert (decision.language, decision.source, decision.changed) == (expected, "channel", False)


def test_first_message_ambiguous_without_hint_uses_default(decider: LanguageDecider) -> None:
    assert decider.decide("ok").language == "nl"
    assert decider.decide("ok").source == "default"
    assert decider.decide("ok", hint="de-DE").source == "default"
    english_default = LanguageDecider(default="en")
    assert english_default.decide("DigiD").language == "en"


def test_unsupported_default_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported default"):
        LanguageDecider(default="ru")  # type: ignore[arg-type]


# --- stickiness ------------------------------------------------------------------

SHORT_OR_AMBIGUOUS = [
    "ok",
    "OK!",
    "BSN?",
    "112",
    "DigiD",
    "thanks!",
    "👍",
    "https://www.government.nl/topics/ukraine",
    "info@gemeente.nl",
    "Olena Kovalenko",
    "Олена Коваленко, Харків",
    "How are you?",
    "Hoe gaat het?",
    "Що це таке?",
    "Amsterdam Rotterdam Utrecht",
    "Dank je",
    "Hello",
    "Дякую",
    "Спасибо",
    "dyakuyu",
]


@pytest.mark.parametrize("current", SUPPORTED)
@pytest.mark.parametrize("text", SHORT_OR_AMBIGUOUS)
def test_short_or_ambiguous_messages_never_flip(
    decider: LanguageDecider, text: str, current: Language
) -> None:
    decision = decider.decide(text, current=current)
    assert (decision.language, decision.source, decision.changed) == (current, "sticky", False)


@pytest.mark.parametrize("current", SUPPORTED)
def test_explicit_choice_kept_for_ambiguous_input(
    decider: LanguageDecider, current: Language
) -> None:
    for text in ("ok thanks", "Hallo", "Goedemorgen", "Привіт"):
        decision = decider.decide(text, current=current, explicit=True, hint="en")
        assert (decision.language, decision.source, decision.changed) == (
            current,
            "explicit",
            False,
        )


@pytest.mark.parametrize(
    ("current", "text", "expected"),
    [
        ("nl", "What documents do I need to register?", "en"),
        ("uk", "Where can I find a family doctor near me?", "en"),
        ("en", "Ik wil graag Nederlandse les volgen in Utrecht.", "nl"),
        ("uk", "Mijn zoon is ziek, waar vind ik een huisarts?", "nl"),
        ("nl", "Мені потрібно знайти житло в Гаазі", "uk"),
        ("en", "Я отримала лист від Belastingdienst і нічого не розумію.", "uk"),
        ("nl", "yak meni otrymaty dozvil na robotu", "uk"),
    ],
)
def test_clear_sentence_in_another_language_switches(
    decider: LanguageDecider, current: Language, text: str, expected: Language
) -> None:
    for explicit, hint in ((False, None), (True, None), (False, current)):
        decision = decider.decide(text, current=current, explicit=explicit, hint=hint)
        assert (decision.language, decision.source, decision.changed) == (
            expected,
            "detected",
            True,
        )


def test_russian_sentence_switches_to_ukrainian_once(decider: LanguageDecider) -> None:
    text = "Как получить медицинскую страховку в Нидерландах?"
    switched = decider.decide(text, current="en")
    assert (switched.language, switched.changed, switched.russian) == ("uk", True, True)
    kept = decider.decide(text, current="uk")
    assert (kept.language, kept.changed, kept.russian) == ("uk", False, True)


def test_clear_sentence_in_the_current_language_changes_nothing(
    decider: LanguageDecider,
) -> None:
    decision = decider.decide("Where do I sign up for Dutch lessons?", current="en")
    assert (decision.language, decision.source, decision.changed) == ("en", "sticky", False)


@pytest.mark.parametrize(
    "text",
    [
        "Je cherche un logement pour ma famille",  # French: not ours, no switch to Dutch
        "Ich brauche Hilfe bei der Wohnung",
        "Olena Kovalenko, Den Haag",
        "BSN DigiD IND GGD",
    ],
)
def test_other_languages_and_names_do_not_switch(decider: LanguageDecider, text: str) -> None:
    assert decider.decide(text, current="uk").language == "uk"
    assert decider.decide(text, current="en").language == "en"


@pytest.mark.parametrize("text", ["I need een huisarts", "Hoe do I get een BSN"])
def test_mixed_english_dutch_is_not_clear_enough_to_switch(
    decider: LanguageDecider, text: str
) -> None:
    for current in SUPPORTED:
        assert decider.decide(text, current=current).language == current


def test_stored_russian_current_counts_as_ukrainian(decider: LanguageDecider) -> None:
    decision = decider.decide("ok", current="ru")  # type: ignore[arg-type]
    assert (decision.language, decision.changed) == ("uk", False)


# --- no text to speak of -----------------------------------------------------------

EMPTYISH = ["", "   ", "\n\t", "👍", "🙏🙏🙏", "12345", "+31 6 12345678", "€ 50,-", "...", "?!"]


@pytest.mark.parametrize("text", EMPTYISH)
def test_emptyish_text_never_raises_and_keeps_what_is_known(
    decider: LanguageDecider, text: str
) -> None:
    assert decider.detect(text) == (None, False)
    for current in SUPPORTED:
        decision = decider.decide(text, current=current)
        assert (decision.language, decision.changed) == (current, False)
    assert decider.decide(text, hint="en").language == "en"
    assert decider.decide(text).language == "nl"
    assert decider.decide(text).source == "default"


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=80), current=st.sampled_from([None, *SUPPORTED]))
def test_any_text_gives_a_supported_language(
    decider: LanguageDecider, text: str, current: Language | None
) -> None:
    decision = decider.decide(text, current=current)
    assert decision.language in SUPPORTED
    # Nothing to switch from, or too few words to be a clear sentence: never a switch.
    if current is None or len(re.findall(r"[^\W\d_]+", text)) < 3:
        assert not decision.changed


# --- determinism and import-time cost ------------------------------------------------


def test_decisions_are_deterministic(decider: LanguageDecider) -> None:
    texts = ["Hoi", "Hallo", "Thanks", "Так", "Спасибо", "pryvit", "Kindergarten", "Dentist"]
    first = [decider.decide(t) for t in texts]
    again = [decider.decide(t) for t in texts]
    fresh = [LanguageDecider().decide(t) for t in texts]
    assert first == again == fresh


def test_importing_builds_no_detector() -> None:
    code = "import sys, bot.language as m\nm.LanguageDecider()\nprint('lingua' in sys.modules)\n"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


# --- the benchmark ---------------------------------------------------------------------


def test_benchmark_meets_targets(tmp_path: Path) -> None:
    """Fails when the decision gets worse on the labelled cases: that is the point."""
    report = run_language_benchmark(CASES, out_dir=tmp_path)
    assert report.cases >= 400
    assert report.ours_sentence >= 0.97
    assert report.ours_short >= 0.90
    assert report.ours_short > report.langdetect_short
    assert report.ours_by_kind["russian"].rate >= 0.95
    assert report.ours_by_kind["uk_latin"].rate >= 0.90
    assert report.ours_by_kind["sticky"].rate >= 0.95
    assert report.russian_flagged.rate >= 0.90
    assert report.ukrainian_misflagged.rate <= 0.02
    assert report.ours_timing.mean_us < 1000
    assert report.chart is not None
    assert report.chart.stat().st_size > 0
    markdown = format_markdown(report)
    assert "| sentence |" in markdown
    assert "| short |" in markdown
