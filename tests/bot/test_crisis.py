"""The crisis short-circuit: what must fire (in every language), what must not, the terms file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.faq.schema import entry_paths
from bot.language import SUPPORTED, Language
from bot.privacy.redact import redact
from bot.safety.crisis import (
    KINDS,
    TERM_LANGUAGES,
    TERMS_FILE,
    CrisisKind,
    CrisisTermsError,
    crisis_reply,
    detect_crisis,
    load_crisis_terms,
    normalize,
    parse_crisis_terms,
)

ROOT = Path(__file__).resolve().parents[2]

POSITIVES: list[tuple[str, CrisisKind]] = [
    # suicide and self-harm
    ("хочу вмерти", "suicide"),
    ("Я просто хочу померти", "suicide"),
    ("хочю вмерти", "suicide"),
    ("не хочу більше жити", "suicide"),
    ("Не хочу жити.", "suicide"),
    ("я думаю про самогубство", "suicide"),
    ("в мене суїцидальні думки", "suicide"),
    ("суiцид", "suicide"),  # a Latin i in a Cyrillic word
    ("хочу покінчити з собою", "suicide"),
    ("я вб'ю себе", "suicide"),
    ("я вбʼю себе", "suicide"),
    ("hochu vmerty", "suicide"),
    ("ne hochu zhyty", "suicide"),
    ("I want to die", "suicide"),
    ("i wanna die", "suicide"),
    ("I WANT TO KILL MYSELF", "suicide"),
    ("I'm going to end my life", "suicide"),
    ("I don't want to live anymore", "suicide"),
    ("I don’t want to live in this world anymore", "suicide"),
    ("I have suicidal thoughts", "suicide"),
    ("thinking about suicide", "suicide"),
    ("is there a suicide hotline?", "suicide"),
    ("I keep cutting myself", "suicide"),
    ("sucide", "suicide"),
    ("ik wil niet meer leven", "suicide"),
    ("IK WIL NIET MEER LEVEN!!!", "suicide"),
    ("Ik wil dood", "suicide"),
    ("ik denk aan zelfmoord", "suicide"),
    ("ik ben suïcidaal", "suicide"),
    ("ik ben suicidaal", "suicide"),
    ("Ik zie het niet meer zitten", "suicide"),
    ("ik wil er een eind aan maken", "suicide"),
    ("Ik wil mezelf iets aandoen", "suicide"),
    ("хочу умереть", "suicide"),
    ("не хочу жить", "suicide"),
    ("хочу покончить с собой", "suicide"),
    ("думаю о самоубийстве", "suicide"),
    # acute danger or violence
    ("help me he has a knife", "danger"),
    ("he has a gun", "danger"),
    ("someone is following me", "danger"),
    ("my neighbour threatened to kill me", "danger"),
    ("there is a fire in my building", "danger"),
    ("I smell gas", "danger"),
    ("I was raped", "danger"),
    ("hij heeft een mes", "danger"),
    ("ik word bedreigd", "danger"),
    ("er is brand!", "danger"),
    ("ik ruik gas in de keuken", "danger"),
    ("ik ben in gevaar", "danger"),
    ("у нього ніж", "danger"),
    ("на мене напали", "danger"),
    ("він погрожує мені", "danger"),
    ("мене хочуть вбити", "danger"),
    ("у нас пожежа", "danger"),
    ("пахне газом", "danger"),
    ("у него нож", "danger"),
    ("на меня напали", "danger"),
    ("меня хотят убить", "danger"),
    # domestic abuse
    ("мене б'є чоловік", "domestic_abuse"),
    ("мене бʼє чоловік", "domestic_abuse"),
    ("мене б’є чоловік", "domestic_abuse"),
    ("мене бє чоловік", "domestic_abuse"),
    ("чоловік б'є мене і дітей", "domestic_abuse"),
    ("чоловік мене б'є", "domestic_abuse"),
    ("mene bye cholovik", "domestic_abuse"),
    ("це домашнє насильство?", "domestic_abuse"),
    ("he hits me", "domestic_abuse"),
    ("My husband beats me", "domestic_abuse"),
    ("my boyfriend hit me yesterday", "domestic_abuse"),
    ("I am afraid of my husband", "domestic_abuse"),
    ("where to report domestic violence", "domestic_abuse"),
    ("mijn man slaat me", "domestic_abuse"),
    ("Mijn vriend slaat mij", "domestic_abuse"),
    ("ik word mishandeld", "domestic_abuse"),
    ("huiselijk geweld", "domestic_abuse"),
    ("муж бьет меня", "domestic_abuse"),
    ("меня бьёт муж", "domestic_abuse"),
    ("домашнее насилие", "domestic_abuse"),
    # medical emergency
    ("не можу дихати", "medical"),
    ("у мами інсульт", "medical"),
    ("він непритомний", "medical"),
    ("викличте швидку!", "medical"),
    ("heart attack", "medical"),
    ("I can't breathe", "medical"),
    ("I can’t breathe", "medical"),
    ("my father is not breathing", "medical"),
    ("she is unconscious", "medical"),
    ("please call an ambulance", "medical"),
    ("hartaanval", "medical"),
    ("mijn vader is bewusteloos", "medical"),
    ("ik krijg geen lucht", "medical"),
    ("ik kan bijna niet ademen", "medical"),
    ("bel een ambulance", "medical"),
    ("не могу дышать", "medical"),
    ("у него инфаркт", "medical"),
    ("вызовите скорую", "medical"),
    # plain words for a medical emergency (issue 17)
    ("моя дитина погано дихає", "medical"),
    ("Ви чи хтось із вас у небезпечній для життя ситуації?", "medical"),
    ("my baby is barely breathing", "medical"),
    ("it is life-threatening", "medical"),
    ("mijn kind ademt heel moeilijk", "medical"),
    ("is het levensgevaarlijk?", "medical"),
    ("мой ребенок плохо дышит", "medical"),
    ("это опасно для жизни", "medical"),
    # swallowed a battery, a magnet or poison; seizures
    ("син проковтнув батарейку", "medical"),
    ("у дитини судоми", "medical"),
    ("my son swallowed a battery", "medical"),
    ("my daughter drank bleach", "medical"),
    ("mijn kind heeft een batterij ingeslikt", "medical"),
    ("hij heeft te veel pillen ingenomen", "medical"),
    ("сын проглотил батарейку", "medical"),
    ("у ребенка судороги", "medical"),
]

NEGATIVES = [
    "ik heb mijn pillen ingeslikt, mag ik nu eten?",
    "які таблетки від судом продають в аптеці",
    "food poisoning, what can I eat",
    "батарейки куди викидати",
    "waar lever ik batterijen in?",
    "emergency housing",
    "Where can I find emergency housing?",
    "emergency number for the gemeente?",
    "who do I call in an emergency?",
    "When to call 112",  # the huisarts entry says when: 112 for danger to life
    "In case of emergency",
    "дихальні вправи для вагітних",
    "ademhalingsoefeningen bij stress",
    "I am dying to learn Dutch",
    "how do I kill time while I wait for my appointment?",
    "suicide prevention volunteer work",
    "I want to do volunteer work in suicide prevention",
    "first aid course",
    "Where can I do an EHBO course?",
    "he beat me at chess",
    "hit me up on Telegram",
    "beats me why the form is so long",
    "my phone battery is dying",
    "this heat is killing me",
    "I could kill for a coffee",
    "I don't want to live in this shelter anymore",
    "we want to live together in Almere",
    "do I have to pay for an ambulance?",
    "how much does the ambulance cost?",
    "fire safety rules in my building",
    "I need a flu shot",
    "I'm dead tired",
    "my back hurts",
    "I cut myself while cooking",
    "my mum will kill me if I am late",
    "a stroke of luck",
    "he stabbed me in the back at work",
    "noodopvang",
    "Ik zoek noodopvang",
    "huisarts spoed bij koorts?",
    "EHBO cursus",
    "Ik ga dood van de honger",
    "Ik schrik me dood",
    "dat slaat nergens op",
    "de schrik sloeg me om het hart",
    "ik wil niet meer naar die school",
    "ik wil niet meer in Almere wonen",
    "spoedeisende hulp openingstijden",
    "brandverzekering afsluiten",
    "vacature bij de brandweer",
    "wie betaalt de ambulance?",
    "vrijwilligerswerk bij zelfmoordpreventie",
    "mijn kind heeft koorts, moet ik de huisarts bellen?",
    "de website reageert niet",
    "термінове житло",
    "як вбити час у черзі",
    "вмираю від нудьги",
    "помираю зі сміху",
    "курси першої допомоги",
    "чи платна швидка допомога?",
    "не хочу жити в цьому гуртожитку",
    "не хочу тут жити",
    "мене б'є лихоманка",
    "пожежна безпека в гуртожитку",
    "мій чоловік шукає роботу",
    "де знайти психолога?",
    "волонтерство у сфері профілактики самогубств",
    "убить время",
    "умираю от скуки",
    "срочное жильё",
    "курсы первой помощи",
    "пожарная безопасность",
    "не хочу жить в общежитии",
    "муж ищет работу",
    "меня бьет озноб",
    "",
    "112",
]


# Known false alarms, accepted (see "Decisions" in texts/crisis_terms.yml): pinned so that a
# change to them is a decision too.
ACCEPTED_FALSE_ALARMS: list[tuple[str, CrisisKind]] = [
    ("my boss is going to kill me", "danger"),
    ("I don't want to live in Rotterdam", "suicide"),
    ("Як викликати швидку допомогу вночі?", "medical"),  # 112 is the answer
    ("Welk nummer moet ik bellen voor een ambulance?", "medical"),
]


@pytest.mark.parametrize(("text", "kind"), POSITIVES + ACCEPTED_FALSE_ALARMS)
def test_crisis_fires(text: str, kind: CrisisKind) -> None:
    match = detect_crisis(text)
    assert match is not None, text
    assert match.kind == kind


@pytest.mark.parametrize("text", NEGATIVES)
def test_ordinary_question_does_not_fire(text: str) -> None:
    assert detect_crisis(text) is None


def _knowledge_base_questions() -> list[tuple[str, str]]:
    questions = []
    for path in entry_paths(ROOT / "faq"):
        entry = yaml.safe_load(path.read_text(encoding="utf-8"))
        for field in ("questions", "heldout"):
            for texts in (entry.get(field) or {}).values():
                questions.extend((path.stem, text) for text in texts)
    return questions


def test_no_question_of_the_knowledge_base_fires() -> None:
    """Hundreds of real questions newcomers ask; one that fired could never be answered."""
    questions = _knowledge_base_questions()
    assert len(questions) > 1000
    fired = [(entry, text, m.term) for entry, text in questions if (m := detect_crisis(text))]
    assert fired == []


def test_every_kind_and_language_is_tested() -> None:
    """The lists above cover each kind in Ukrainian, English, Dutch and Russian (by script
    and a word or two, roughly: a guard against a kind losing its examples)."""
    assert {kind for _, kind in POSITIVES} == set(KINDS)
    assert len(POSITIVES) >= 40
    assert len(NEGATIVES) >= 40


def test_the_first_kind_wins() -> None:
    match = detect_crisis("I want to die, my husband hits me and he has a knife")
    assert match is not None
    assert match.kind == "suicide"


def test_match_names_the_term_as_written() -> None:
    match = detect_crisis("Mijn MAN slaat me!")
    assert match is not None
    assert (
        match.term
        == "(slaat|sloeg|schopt|schopte|mishandelt|mishandelde|wurgt|wurgde) (me|mij|ons)"
    )


def test_a_crisis_inside_a_long_message() -> None:
    text = (
        "Goedemiddag, ik woon sinds maart in Almere en heb vragen over mijn uitkering en de "
        "school van mijn zoon. Maar eerlijk gezegd: ik wil niet meer leven. Wat moet ik doen?"
    )
    match = detect_crisis(text)
    assert match is not None
    assert match.kind == "suicide"


def test_exclusion_does_not_hide_a_crisis_elsewhere_in_the_message() -> None:
    match = detect_crisis("I do volunteer work in suicide prevention, but now I want to die")
    assert match is not None
    assert match.kind == "suicide"


# --- normalisation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Б'Є", "бе"),
        ("бʼє б’є б`є", "бе бе бе"),
        ("Suïcidaal, écht!", "suicidaal echt"),
        ("їжак ґанок йод", "іжак ганок йод"),  # й keeps its mark
        ("ёлка", "елка"),
        ("суiцид мeне", "суіцид мене"),  # Latin i and e typed in Cyrillic words
        ("self-harm", "self harm"),
        ("ＩＣＨ", "ich"),  # full-width letters (NFKC)
        ("  many   spaces\n\tand_underscores ", "many spaces and underscores"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


@given(st.text(max_size=300))
def test_never_raises_and_normalising_twice_changes_nothing(text: str) -> None:
    detect_crisis(text)
    once = normalize(text)
    assert normalize(once) == once


# --- the terms file ----------------------------------------------------------------------


def _terms_file() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / TERMS_FILE).read_text(encoding="utf-8"))
    return data


def test_every_kind_has_terms_in_every_language() -> None:
    terms = _terms_file()["terms"]
    assert set(terms) == set(KINDS)
    for kind in KINDS:
        assert set(terms[kind]) == set(TERM_LANGUAGES), kind
        for language in TERM_LANGUAGES:
            assert len(terms[kind][language]) >= 5, (kind, language)


def _examples(term: str) -> list[str]:
    """Phrases a term must match: each alternative once, with the others at their first."""
    tokens = [t for t in re.findall(r"\([^()]*\)|[^\s()]+", term) if t != "..."]
    options = [t[1:-1].split("|") if t.startswith("(") else [t] for t in tokens]
    examples = []
    for i, alternatives in enumerate(options):
        for alternative in alternatives:
            words = [alternative if j == i else other[0] for j, other in enumerate(options)]
            examples.append(" ".join(words).replace("*", ""))
    return examples


def _all_terms() -> list[tuple[CrisisKind, str]]:
    terms = _terms_file()["terms"]
    return [(kind, term) for kind in KINDS for lang in TERM_LANGUAGES for term in terms[kind][lang]]


@pytest.mark.parametrize(("kind", "term"), _all_terms())
def test_every_term_fires_on_its_own_words(kind: CrisisKind, term: str) -> None:
    """Catches a term that normalisation, an exclusion or a typo in the syntax has disabled."""
    for example in _examples(term):
        match = detect_crisis(example)
        assert match is not None, example
        assert KINDS.index(match.kind) <= KINDS.index(kind), example


def _valid() -> dict[str, Any]:
    return {
        "terms": {kind: {lang: ["a b"] for lang in TERM_LANGUAGES} for kind in KINDS},
        "exclusions": {"en": ["c d"]},
    }


def _broken(path: str, value: object) -> dict[str, Any]:
    data = _valid()
    *parents, last = path.split(".")
    table = data
    for key in parents:
        table = table[key]
    if value is None:
        del table[last]
    else:
        table[last] = value
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "needs exactly 'terms' and 'exclusions'"),
        (_broken("exclusions", None), "needs exactly 'terms' and 'exclusions'"),
        (_broken("terms.medical", None), "terms needs exactly the kinds"),
        (_broken("terms.other", {}), "terms needs exactly the kinds"),
        (_broken("terms.danger.ru", None), "terms.danger needs exactly uk, en, nl, ru"),
        (_broken("terms.danger.de", ["x"]), "terms.danger needs exactly uk, en, nl, ru"),
        (_broken("terms.suicide.uk", []), "terms.suicide.uk: needs a list of phrases"),
        (_broken("terms.suicide.uk", ["ok", True]), "terms.suicide.uk: needs a list of phrases"),
        (_broken("terms.suicide.en", ["(a|b"]), "unbalanced or nested parentheses"),
        (_broken("terms.suicide.en", ["((a|b))"]), "unbalanced or nested parentheses"),
        (_broken("terms.suicide.en", ["... a"]), "starts or ends with ..."),
        (_broken("terms.suicide.en", ["(a||b)"]), "has an empty alternative"),
        (_broken("terms.suicide.en", ["a*b"]), "'a*b' is not a word"),
        (_broken("terms.suicide.en", ["a !!!"]), "'!!!' is not a word"),
        (_broken("exclusions.de", ["x"]), "exclusions are listed per language"),
    ],
)
def test_malformed_terms_are_refused(data: Any, message: str) -> None:
    with pytest.raises(CrisisTermsError, match=re.escape(message)):
        parse_crisis_terms(data)


def test_valid_minimal_terms_are_accepted() -> None:
    assert len(parse_crisis_terms(_valid()).terms.terms) == len(KINDS) * len(TERM_LANGUAGES)


def test_terms_are_loaded_once() -> None:
    assert load_crisis_terms(ROOT) is load_crisis_terms(ROOT)


# --- the reply ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", SUPPORTED)
def test_reply_gives_the_three_services(language: Language) -> None:
    reply = crisis_reply(language, root=ROOT)
    for needed in (
        "112",
        "113 Zelfmoordpreventie",
        "0800-0113",
        "113.nl",
        "Veilig Thuis",
        "0800-2000",
    ):
        assert needed in reply, (language, needed)


@pytest.mark.parametrize("language", SUPPORTED)
def test_reply_has_no_other_numbers(language: Language) -> None:
    """Only the verified numbers: a wrong number in a crisis is the worst mistake here."""
    reply = crisis_reply(language, root=ROOT)
    assert set(re.findall(r"\d[\d-]*\d|\d", reply)) == {"112", "113", "0800-0113", "0800-2000"}
    assert redact(reply).kinds == ()  # and redaction leaves them alone


def test_reply_ukrainian_has_no_russian_letters() -> None:
    assert not set("ыэъёЫЭЪЁ") & set(crisis_reply("uk", root=ROOT))


def test_reply_texts_are_distinct_per_language() -> None:
    replies = {crisis_reply(language, root=ROOT) for language in SUPPORTED}
    assert len(replies) == len(SUPPORTED)
