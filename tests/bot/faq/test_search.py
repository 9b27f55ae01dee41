"""The staff's entry search over the real knowledge base, with the bot's real model: questions
in uk, en, nl and ru find their entry, by meaning, by words, or by both."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.faq.search import EntrySearch, content_key, snippet
from bot.faq.words import words
from bot.semantics.embedder import shared_embedder
from tests.kbsearch_support import ROOT, entry_search

__all__ = ["entry_search"]

# (question, the entry it must find, how: "meaning" = no word in common with the entry,
# "words" = the model alone is not near enough or ranks another entry first, "both").
CASES = [
    ("BSN", "registration_bsn", "both"),
    ("DigiD", "registration_digid", "both"),
    ("113", "health_mental_health", "words"),
    ("eigen risico", "health_insurance", "words"),
    ("TWV", "work_permission_status_holders_asylum", "both"),
    ("у ребенка болят зубы", "health_dentist", "meaning"),
    ("жена беременна, что делать", "health_pregnancy", "meaning"),
    ("мені потрібна допомога психолога", "health_mental_health", "both"),
    ("у нас сусіди дуже галасливі", "housing_neighbours", "both"),
    ("хочу вчитися в університеті", "education_higher_education", "both"),
    ("where can I pray with other Ukrainians", "community_religion_ukrainian_community", "both"),
    ("a stranger called me asking for my bank details", "legal_scams", "both"),
    ("how do I report that I moved house", "registration_address_change", "both"),
    ("mijn buren maken veel lawaai", "housing_neighbours", "both"),
    ("kan ik met mijn Oekraïens rijbewijs rijden", "registration_driving_licence", "both"),
    ("как записаться к семейному врачу", "health_huisarts", "both"),
]


@pytest.mark.parametrize(("question", "expected", "how"), CASES)
def test_a_question_finds_its_entry_first(
    entry_search: EntrySearch, question: str, expected: str, how: str
) -> None:
    hits = entry_search.search(question, language="nl")
    assert hits, question
    assert hits[0].entry_id == expected, [hit.entry_id for hit in hits]
    index = entry_search.index()
    number = [entry.id for entry in index.entries].index(expected)
    meaning = index.meaning(shared_embedder().queries([question])[0])
    word_scores = np.asarray(index.words.scores(question))
    if how == "meaning":
        assert word_scores[number] == 0  # found though it shares no word with the entry
        assert hits[0].by_meaning
        assert not hits[0].by_words
    if how == "words":
        assert hits[0].by_words
        # The model alone would not put it first (or not near enough to show it).
        assert int(np.argmax(meaning)) != number or not hits[0].by_meaning


def test_titles_and_snippets_come_in_the_requested_language(entry_search: EntrySearch) -> None:
    entry = next(e for e in entry_search.index().entries if e.id == "registration_bsn")
    for language in ("uk", "en", "nl"):
        hit = entry_search.search("BSN", language=language)[0]
        assert hit.entry_id == "registration_bsn"
        assert hit.topic == "registration"
        assert hit.title == entry.title.get(language)
        assert hit.snippet[:40] == " ".join(entry.answer.get(language).split())[:40]
        assert len(hit.snippet) <= 161


def test_nothing_is_found_for_nonsense_or_nothing(entry_search: EntrySearch) -> None:
    assert entry_search.search("xyzzy qwerty", language="en") == []
    assert entry_search.search("   ", language="en") == []
    assert len(entry_search.search("huisarts", language="en", limit=3)) == 3
    with pytest.raises(ValueError, match="language"):
        entry_search.search("BSN", language="de")


def test_a_new_process_reads_the_cached_index(entry_search: EntrySearch) -> None:
    built = entry_search.index()
    again = EntrySearch(ROOT, shared_embedder(), cache_dir=ROOT / "var" / "cache").index()
    assert again.from_cache
    assert np.array_equal(again.vectors, built.vectors)
    assert np.array_equal(again.documents, built.documents)


def test_the_cache_key_follows_every_entry_file(tmp_path: Path) -> None:
    faq = tmp_path / "faq"
    shutil.copytree(ROOT / "faq", faq)
    embedder = shared_embedder()
    before = content_key(faq, embedder)
    assert content_key(faq, embedder) == before
    path = faq / "registration" / "registration_bsn.yml"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    changed = content_key(faq, embedder)
    assert changed != before
    # the municipality's layer, and which municipality, are part of the key
    assert content_key(faq, embedder, "demo") != changed
    layer_file = faq / "local" / "almere" / "municipality.yml"
    layer_file.write_text(layer_file.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert content_key(faq, embedder, "almere") != changed


def test_words_fold_case_and_forms() -> None:
    assert words("BSN-nummer") == ["bsn", "numme"]
    assert words("номера")[0] == words("номером")[0]
    assert words("Verhuizing")[0] == words("verhuizen")[0]


def test_a_snippet_is_cut_at_a_word() -> None:
    text = "word " * 100
    cut = snippet(text, length=22)
    assert cut == "word word word word…"
    assert snippet("short answer") == "short answer"
