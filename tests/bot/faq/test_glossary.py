"""The glossary (one term for each thing) and the marks on sources, as check-faq reports them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.faq.glossary import load_glossary
from bot.faq.render import answer_text
from bot.faq.schema import KnowledgeBaseError, load_entry, load_knowledge_base
from bot.municipality import read_layer
from bot.texts import load_texts

ALMERE = read_layer(PROJECT_ROOT / "faq", "almere")  # fills the slots of a national entry


@pytest.fixture
def kb_root(tmp_path: Path) -> Path:
    """A copy of the real knowledge base and glossary, to break one thing at a time."""
    root = tmp_path / "faq"
    shutil.copytree(PROJECT_ROOT / "faq", root)
    return root


def _edit(path: Path, change: dict[str, object]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for dotted, value in change.items():
        target = data
        *parents, last = dotted.split(".")
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[int(last) if last.isdigit() else last] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _problems(root: Path) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(root)
    return [str(problem) for problem in caught.value.problems]


def test_the_real_glossary_loads_and_names_one_term_per_thing() -> None:
    glossary = load_glossary(PROJECT_ROOT / "faq" / "glossary.yml")
    uk = {concept.concept: concept.uk for concept in glossary.terms if concept.uk}
    assert uk["leefgeld (money for daily costs from the municipality)"].use.startswith(
        "гроші на проживання"
    )
    assert "персональний номер (BSN)" in [term.use for term in uk.values()]


def test_an_avoided_term_in_an_answer_is_reported_with_the_term_to_use(kb_root: Path) -> None:
    path = kb_root / "local" / "almere" / "money" / "money_leefgeld.yml"
    answer = yaml.safe_load(path.read_text(encoding="utf-8"))["answer"]["uk"]
    _edit(path, {"answer.uk": answer + "\nГроші на життя приходять щомісяця."})
    assert _problems(kb_root) == [
        "faq/local/almere/money/money_leefgeld.yml: answer.uk: uses 'гроші на життя': write "
        "'гроші на проживання (leefgeld)' (leefgeld (money for daily costs from the "
        "municipality); see faq/glossary.yml)"
    ]


def test_an_avoided_term_in_a_title_is_reported(kb_root: Path) -> None:
    _edit(
        kb_root / "local" / "almere" / "housing" / "housing_shelter_location.yml",
        {"title.uk": "Життя на локації"},
    )
    problems = _problems(kb_root)
    assert len(problems) == 1
    assert problems[0].startswith(
        "faq/local/almere/housing/housing_shelter_location.yml: title.uk: uses 'локаці'"
    )


def test_newcomers_may_use_any_word_in_training_questions(kb_root: Path) -> None:
    path = kb_root / "local" / "almere" / "housing" / "housing_shelter_location.yml"
    questions = yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]["uk"]
    assert any("локаці" in question for question in questions)
    assert len(load_knowledge_base(kb_root).entries) >= 60


def test_a_dutch_term_is_checked_in_dutch_only(kb_root: Path) -> None:
    path = kb_root / "registration" / "registration_digid.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert "DigiD app" in data["answer"]["en"]  # English spelling, not a problem
    _edit(path, {"answer.nl": data["answer"]["nl"].replace("DigiD-app", "DigiD app")})
    assert [p.split(": ")[1] for p in _problems(kb_root)] == ["answer.nl"]


def test_an_unmarked_homepage_source_is_reported(kb_root: Path) -> None:
    path = kb_root / "registration" / "registration_bsn.yml"
    _edit(path, {"sources": [{"name": "Rijksoverheid", "url": "https://www.rijksoverheid.nl/"}]})
    assert _problems(kb_root) == [
        "faq/registration/registration_bsn.yml: sources.0: https://www.rijksoverheid.nl/ is a "
        "homepage: link the page itself, or mark it 'review: homepage' until someone finds it"
    ]


def test_a_deep_link_marked_as_homepage_and_a_future_seen_date_are_reported(
    kb_root: Path,
) -> None:
    source = {
        "name": "IND",
        "url": "https://ind.nl/en/ukraine",
        "review": "homepage",
        "seen": "2999-01-01",
    }
    _edit(kb_root / "registration" / "registration_bsn.yml", {"sources": [source]})
    messages = [p.split(": sources.0: ")[1] for p in _problems(kb_root)]
    assert messages == [
        "https://ind.nl/en/ukraine is not a homepage: remove 'review: homepage'",
        "seen 2999-01-01 is in the future",
    ]


def test_a_language_front_page_counts_as_a_homepage(kb_root: Path) -> None:
    path = kb_root / "registration" / "registration_bsn.yml"
    _edit(path, {"sources": [{"name": "IND", "url": "https://ind.nl/en"}]})
    assert "is a homepage" in _problems(kb_root)[0]


def test_a_source_for_some_languages_is_shown_only_to_them() -> None:
    kb = load_knowledge_base(PROJECT_ROOT / "faq")
    texts = load_texts(PROJECT_ROOT)
    entry = kb.by_id()["legal_proof_of_residence"]
    dutch_page = "https://ind.nl/nl/oekraine/oekraine-afspraak-ophalen-bewijs-van-verblijf"
    english_page = "https://ind.nl/en/ukraine/ukraine-appointment-to-collect-proof-of-residency"
    assert dutch_page in answer_text(entry, "nl", texts)
    assert english_page not in answer_text(entry, "nl", texts)
    for language in ("uk", "en"):
        text = answer_text(entry, language, texts)
        assert english_page in text
        assert dutch_page not in text


def test_every_language_must_see_a_source(tmp_path: Path) -> None:
    path = PROJECT_ROOT / "faq" / "registration" / "registration_bsn.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for source in data["sources"]:
        if "local" not in source:  # the municipality's own source (Almere's: Dutch only)
            source["languages"] = ["nl"]
    folder = tmp_path / "faq" / "registration"
    folder.mkdir(parents=True)
    (folder / "registration_bsn.yml").write_text(yaml.safe_dump(data, allow_unicode=True))
    _entry, problems = load_entry(folder / "registration_bsn.yml", ALMERE)
    assert [(p.field, p.message) for p in problems] == [
        ("sources", "no source is shown in uk"),
        ("sources", "no source is shown in en"),
    ]


def test_check_faq_counts_the_sources_marked_for_review() -> None:
    kb = load_knowledge_base(PROJECT_ROOT / "faq")
    marked = kb.sources_for_review()
    assert marked
    assert all(source.is_homepage for source in marked if source.review == "homepage")
    assert [s.url.host for s in marked if s.review == "unconfirmed"] == [
        "duo.nl",
        "www.duo.nl",
        "www.uaf.nl",
        "www.belastingdienst.nl",
        "www.belastingdienst.nl",
        "www.belastingdienst.nl",
    ]
    every = [source for entry in kb.entries for source in entry.sources]
    assert [s for s in every if s.is_homepage and not s.review] == []
