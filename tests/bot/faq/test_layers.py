"""One national core, a layer per municipality: the slots, the overrides and their versions,
and the build for Almere and for the fictional demo municipality (no Rasa training)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot.config import PROJECT_ROOT, Settings
from bot.faq.build import build_all, stale_files
from bot.faq.check import check_every_layer
from bot.faq.layers import version_of
from bot.faq.schema import TOPICS, KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from bot.municipality import SLOT, SlotForms, fill_text, known_municipalities
from bot.privacy_page import read_privacy
from bot.texts import TextsError, read_texts
from bot.translation.factory import load_terms

ALMERE = re.compile(r"almere|алмере", re.IGNORECASE)
MUNICIPALITIES = ("almere", "demo")
LANGUAGES = ("uk", "en", "nl")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the real faq/ and texts/, to break one thing at a time."""
    for folder in ("faq", "texts"):
        shutil.copytree(PROJECT_ROOT / folder, tmp_path / folder)
    return tmp_path


def _problems(faq_dir: Path, municipality: str) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(faq_dir, municipality=municipality)
    return [str(problem) for problem in caught.value.problems]


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def _kb_texts(kb: KnowledgeBase) -> list[str]:
    texts: list[str] = []
    for entry in kb.entries:
        texts += _strings(entry.model_dump(mode="json"))
    return texts


def test_both_layers_are_found_and_check_faq_checks_each() -> None:
    assert set(MUNICIPALITIES) <= set(known_municipalities(PROJECT_ROOT / "faq"))
    report = check_every_layer(PROJECT_ROOT)
    assert report.problems == []
    assert [line.split(":")[0] for line in report.summary if line.startswith("OK")] == [
        "OK almere",
        "OK demo",
    ]


def test_the_demo_build_never_names_almere() -> None:
    built = build_all(PROJECT_ROOT, "demo")
    assert {b.path.name for b in built} == {
        "responses.yml",
        "faq.yml",
        "faq_nlu.yml",
        "faq_rules.yml",
    }
    for one in built:
        assert not ALMERE.search(one.content), one.path.name
    responses = next(b.content for b in built if b.path.name == "responses.yml")
    assert "гемеенте Ворбелдстад (Gemeente Voorbeeldstad)" in responses
    nlu = next(b.content for b in built if b.path.name == "faq_nlu.yml")
    assert "у ворбелдстаді" in nlu  # "в алмере" in a Ukrainian question, declined


def test_the_demo_knowledge_base_and_texts_never_name_almere() -> None:
    kb = load_knowledge_base(PROJECT_ROOT / "faq", municipality="demo")
    found = [text for text in _kb_texts(kb) if ALMERE.search(text)]
    assert found == []
    texts = read_texts(PROJECT_ROOT, "demo")
    tables = [texts.responses, texts.messages, texts.buttons, texts.gateway, texts.widget]
    assert [t for table in tables for t in _strings(table) if ALMERE.search(t)] == []
    privacy = _strings(read_privacy(PROJECT_ROOT, "demo"))
    assert [text for text in privacy if ALMERE.search(text)] == []
    assert any("de gemeente Voorbeeldstad" in text for text in privacy)
    assert any("De gemeente Voorbeeldstad is verantwoordelijk" in text for text in privacy)


def test_the_demo_has_its_own_entries_and_not_almeres() -> None:
    demo = load_knowledge_base(PROJECT_ROOT / "faq", municipality="demo").by_id()
    almere = load_knowledge_base(PROJECT_ROOT / "faq", municipality="almere").by_id()
    almere_only = {e for e, entry in almere.items() if entry.scope == "local"} - set(demo)
    assert {"registration_brp", "money_leefgeld", "housing_shelter_location"} <= almere_only
    assert demo["registration_city_hall_appointment"].scope == "local"
    assert "Voorbeeldstad" in demo["registration_city_hall_appointment"].answer.get("en")
    # an override: the demo's taalcafé replaces the national entry; Almere has the national one
    assert "taalcafé every week" in demo["language_taalmaatje"].answer.get("en")
    assert "taalcafé every week" not in almere["language_taalmaatje"].answer.get("en")
    # Almere's layer replaces the national utilities entry with its own water company
    assert "Vitens" in almere["housing_utilities"].answer.get("nl")
    assert "Vitens" not in demo["housing_utilities"].answer.get("nl")
    # a national entry's municipal source comes from the layer
    urls = {str(source.url) for source in demo["registration_bsn"].sources}
    assert not any("almere" in url for url in urls)
    assert any("www.almere.nl" in str(s.url) for s in almere["registration_bsn"].sources)


def test_the_almere_build_is_what_is_committed_and_names_almere() -> None:
    assert stale_files(PROJECT_ROOT, "almere") == []
    texts = read_texts(PROJECT_ROOT, "almere")
    greeting = texts.responses["utter_greet"]["text"]
    assert "автоматичний помічник гемеенте Алмере (Gemeente Almere)." in greeting["uk"]
    assert (
        "the automated assistant of the municipality of Almere (Gemeente Almere)."
        in (greeting["en"])
    )
    assert "de digitale assistent van de gemeente Almere." in greeting["nl"]
    assert texts.button("topic_community", "nl").title == "Meedoen in Almere"
    assert not SLOT.search("".join(_strings(texts.responses) + _strings(texts.gateway)))
    privacy = _strings(read_privacy(PROJECT_ROOT, "almere"))
    assert any("De gemeente Almere is verantwoordelijk" in text for text in privacy)


@pytest.mark.parametrize("municipality", MUNICIPALITIES)
def test_parity_and_heldout_hold_for_every_municipality(municipality: str) -> None:
    kb = load_knowledge_base(PROJECT_ROOT / "faq", municipality=municipality)
    assert len(kb.entries) >= 50
    for topic in TOPICS:  # the demo's layer is small: 3 housing entries are national
        assert len(kb.in_topic(topic)) >= 3, topic
    contents = {b.path.name: b.content for b in build_all(PROJECT_ROOT, municipality)}
    trained = {
        " ".join(q.lower().split())
        for entry in kb.entries
        for language in LANGUAGES
        for q in getattr(entry.questions, language)
    }
    for entry in kb.entries:
        for language in LANGUAGES:
            assert entry.title.get(language)
            assert entry.answer.get(language)
            assert len(getattr(entry.questions, language)) >= 8
            heldout = getattr(entry.heldout, language)
            assert len(heldout) >= 2
            assert not {" ".join(q.lower().split()) for q in heldout} & trained, entry.id
        assert f"intent: faq_{entry.id}\n" in contents["faq_nlu.yml"]
        assert f"- faq_{entry.id}\n" in contents["faq.yml"]
        assert f"faq_{entry.id}" in contents["faq_rules.yml"]
    assert not SLOT.search(contents["faq_nlu.yml"] + contents["responses.yml"])


def test_every_municipality_has_the_same_texts() -> None:
    almere, demo = (read_texts(PROJECT_ROOT, m) for m in MUNICIPALITIES)
    assert almere.responses.keys() == demo.responses.keys()
    assert almere.messages.keys() == demo.messages.keys()
    assert almere.buttons.keys() == demo.buttons.keys()


def test_a_stale_override_names_both_files(project: Path) -> None:
    national = project / "faq" / "language" / "language_taalmaatje.yml"
    before = version_of(national)
    national.write_text(national.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    problems = _problems(project / "faq", "demo")
    assert problems == [
        "faq/local/demo/language/language_taalmaatje.yml: overrides.version: stale: "
        f"faq/language/language_taalmaatje.yml changed since version {before}; read what "
        "changed, change this entry if it must, then write version: "
        f"{version_of(national)}"
    ]
    load_knowledge_base(project / "faq", municipality="almere")  # Almere does not override it


def test_a_local_entry_with_a_national_id_must_say_it_overrides(project: Path) -> None:
    local = project / "faq" / "local" / "demo" / "language" / "language_taalmaatje.yml"
    data = yaml.safe_load(local.read_text(encoding="utf-8"))
    del data["overrides"]
    local.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    national = project / "faq" / "language" / "language_taalmaatje.yml"
    [problem] = _problems(project / "faq", "demo")
    assert problem.startswith("faq/local/demo/language/language_taalmaatje.yml: overrides: ")
    assert f"version: {version_of(national)}" in problem


def test_an_override_of_no_national_entry_is_reported(project: Path) -> None:
    local = project / "faq" / "local" / "demo" / "registration"
    path = local / "registration_city_hall_appointment.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["overrides"] = {"entry": "registration_city_hall_appointment", "version": "0" * 12}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert _problems(project / "faq", "demo") == [
        "faq/local/demo/registration/registration_city_hall_appointment.yml: "
        "overrides.entry: no national entry 'registration_city_hall_appointment' to replace"
    ]


def test_an_unknown_slot_is_reported_with_file_and_field(project: Path) -> None:
    path = project / "faq" / "health" / "health_dentist.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"зубний лікар', '"{{mayor}} зубний лікар', 1), "utf-8")
    for municipality in MUNICIPALITIES:
        [problem] = _problems(project / "faq", municipality)
        assert problem.startswith("faq/health/health_dentist.yml: questions.uk.")
        assert "unknown slot '{{mayor}}'" in problem
        assert "municipality" in problem.split("(slots: ")[1]  # names the slots there are


def test_an_unknown_slot_in_texts_is_reported_with_file_and_field(project: Path) -> None:
    path = project / "texts" / "widget.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["title"]["en"] = "The digital assistant of {{town}}"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(TextsError) as caught:
        read_texts(project, "demo")
    [problem] = caught.value.problems
    assert problem.startswith("texts/widget.yml: title.en: unknown slot '{{town}}'")
    report = check_every_layer(project)
    assert any("texts/widget.yml: title.en" in line for line in report.problems)


def test_an_unknown_municipality_names_the_known_ones(project: Path) -> None:
    [problem] = _problems(project / "faq", "lelystad")
    assert "no layer for municipality 'lelystad' (MUNICIPALITY)" in problem
    assert "known: almere, demo" in problem
    with pytest.raises(TextsError, match="lelystad"):
        read_texts(project, "lelystad")


def test_slots_take_filters() -> None:
    slots: dict[str, str | SlotForms] = {
        "name": SlotForms(uk="Алмере", en="Almere", nl="Almere"),
        "municipality": SlotForms(uk="гемеенте Алмере", en="the municipality", nl="de gemeente"),
    }
    assert fill_text("в {{name|lower}}", slots, "uk") == ("в алмере", [])
    assert fill_text("Windesheim {{name|nl}}", slots, "uk") == ("Windesheim Almere", [])
    assert fill_text("{{municipality|capital}} is", slots, "nl") == ("De gemeente is", [])
    assert fill_text("ru: {{name}}", slots, "ru") == ("ru: Алмере", [])  # Russian: as Ukrainian
    _, problems = fill_text("{{name}}", slots, None)
    assert problems == ["slot '{{name}}' differs by language; write it in a language"]
    _, problems = fill_text("{{name|shout}}", slots, "en")
    assert "unknown filter 'shout'" in problems[0]
    _, problems = fill_text("{{ Name }}", slots, "en")
    assert problems == ["has '{{' or '}}' that is not a slot: write a slot as {{name}}"]
    assert fill_text("[[privacy_url]] {code}", slots, "en") == ("[[privacy_url]] {code}", [])


def test_the_layer_gives_the_defaults_and_the_environment_still_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("MUNICIPALITY", "MUNICIPALITY_CONTACT_URL", "OFFICE_HOURS"):
        monkeypatch.delenv(name, raising=False)
    almere = Settings(_env_file=None)  # type: ignore[call-arg]
    assert almere.municipality == "almere"
    assert almere.links()["municipality_contact_url"] == "https://www.almere.nl/contact"
    assert almere.effective_office_hours == "mon-fri 09:00-17:00"
    monkeypatch.setenv("MUNICIPALITY", "demo")
    demo = Settings(_env_file=None)  # type: ignore[call-arg]
    assert demo.links()["municipality_contact_url"] == "https://www.example.com/contact"
    assert demo.effective_office_hours == "mon-thu 09:00-16:00; fri 09:00-12:00"
    monkeypatch.setenv("MUNICIPALITY_CONTACT_URL", "https://contact.example.org/")
    monkeypatch.setenv("OFFICE_HOURS", "mon 10:00-11:00")
    chosen = Settings(_env_file=None)  # type: ignore[call-arg]
    assert chosen.links()["municipality_contact_url"] == "https://contact.example.org/"
    assert chosen.effective_office_hours == "mon 10:00-11:00"


def test_machine_translation_keeps_the_municipalitys_place_names() -> None:
    almere, demo = (load_terms(PROJECT_ROOT, m) for m in MUNICIPALITIES)
    assert {"Almere", "Almere Buiten"} <= set(almere)
    assert "Voorbeeldstad" in demo
    assert not [term for term in demo if ALMERE.search(term)]
    assert "Juridisch Loket" in almere
    assert "Juridisch Loket" in demo
