"""Chooses how the staff's entry search (bot/faq/search.py) embeds the knowledge base and how
much the words count, on the held-out questions (uk, en, nl, ru), which the search never reads.

    .venvs/app/bin/python -m bench.measure.kbsearch_tune

Variants of meaning (the question is always embedded as an e5 query):
  queries   each title and training question embedded as a query, entry = best match
  passages  the same texts embedded as passages
  documents one passage per entry and language: its title and all its questions
Embeddings are kept in var/bench/kbsearch/ (about 3 minutes the first time on 2 cores).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.faq import words as word_module
from bot.faq.schema import Entry, load_knowledge_base
from bot.faq.search import EntrySearch, embedded_texts, entry_documents, word_documents
from bot.faq.words import WordIndex
from bot.semantics.embedder import Vectors, shared_embedder

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "var" / "bench" / "kbsearch"
LANGUAGES = ("uk", "en", "nl", "ru")


def cached(name: str, texts: list[str], embed: Callable[[list[str]], Vectors]) -> Vectors:
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = CACHE / f"{name}-{key}.npy"
    if path.exists():
        return np.load(path)  # type: ignore[no-any-return]
    started = time.perf_counter()
    vectors = embed(texts)
    print(f"  embedded {len(texts)} {name} in {time.perf_counter() - started:.1f} s")
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def best_per_entry(similarity: Vectors, owners: npt.NDArray[Any], count: int) -> Vectors:
    """(queries, entries): each entry's best similarity over its vectors."""
    result = np.full((similarity.shape[0], count), -1.0, dtype=np.float32)
    for entry in range(count):
        result[:, entry] = similarity[:, owners == entry].max(axis=1)
    return result


def rank_of(scores: npt.NDArray[Any], right: int) -> int:
    return int((scores > scores[right]).sum()) + 1


def report(name: str, scores: npt.NDArray[Any], truth: list[int], languages: list[str]) -> float:
    ranks = np.array([rank_of(scores[i], truth[i]) for i in range(len(truth))])
    line = [f"{name:<34}"]
    for language in LANGUAGES:
        mask = np.array([lang == language for lang in languages])
        if mask.any():
            top1, top3 = np.mean(ranks[mask] == 1), np.mean(ranks[mask] <= 3)
            line.append(f"{language} top1 {top1:.1%} top3 {top3:.1%}")
    top1 = float(np.mean(ranks == 1))
    line.append(f"| all top1 {top1:.1%} top3 {np.mean(ranks <= 3):.1%}")
    print("  ".join(line))
    return top1


def main() -> None:
    kb = load_knowledge_base(ROOT / "faq")
    entries: list[Entry] = list(kb.entries)
    embedder = shared_embedder()
    queries: list[str] = []
    truth: list[int] = []
    languages: list[str] = []
    for number, entry in enumerate(entries):
        for language in LANGUAGES:
            for question in getattr(entry.heldout, language):
                queries.append(question)
                truth.append(number)
                languages.append(language)
    print(f"{len(queries)} held-out questions, {len(entries)} entries")
    asked = cached("heldout", queries, embedder.queries)

    texts, owners_list, _languages = embedded_texts(entries)
    owners = np.array(owners_list)
    documents = [document for entry in entries for document in entry_documents(entry)]
    document_owners = np.repeat(np.arange(len(entries)), 3)
    meaning = {
        "queries": best_per_entry(
            asked @ cached("texts-as-queries", texts, embedder.queries).T, owners, len(entries)
        ),
        "passages": best_per_entry(
            asked @ cached("texts-as-passages", texts, embedder.passages).T, owners, len(entries)
        ),
        "documents": best_per_entry(
            asked @ cached("documents", documents, embedder.passages).T,
            document_owners,
            len(entries),
        ),
    }
    for name, scores in meaning.items():
        report(f"meaning: {name}", scores, truth, languages)

    shipped_letters = word_module.STEM_LETTERS
    for letters in (4, 5, 6, 7, 99):
        word_module.STEM_LETTERS = letters
        index = WordIndex.build(word_documents(entries))
        stems = np.array([index.scores(query) for query in queries], dtype=np.float32)
        report(f"words, stems of {letters} letters", stems, truth, languages)
    word_module.STEM_LETTERS = shipped_letters
    for with_answers in (False, True):
        index = WordIndex.build(word_documents(entries, with_answers=with_answers))
        words = np.array([index.scores(query) for query in queries], dtype=np.float32)
        report(f"words (answers: {with_answers})", words, truth, languages)
    index = WordIndex.build(word_documents(entries, with_answers=True))
    words = np.array([index.scores(query) for query in queries], dtype=np.float32)
    best = ("", 0.0)
    for name, scores in meaning.items():
        for weight in (0.02, 0.05, 0.08, 0.12, 0.2):
            for saturation in (2.0, 5.0, 10.0):
                combined = scores + weight * words / (words + saturation)
                top1 = report(f"{name} + {weight} w/(w+{saturation})", combined, truth, languages)
                if top1 > best[1]:
                    best = (f"{name} + {weight} w/(w+{saturation})", top1)
    print(f"best: {best[0]} top1 {best[1]:.1%}")
    for share in (0.3, 0.5, 0.7):
        mixed = share * meaning["queries"] + (1 - share) * meaning["documents"]
        report(f"{share} queries + {1 - share:.1f} documents", mixed, truth, languages)
        report("  + 0.08 w/(w+10)", mixed + 0.08 * words / (words + 10), truth, languages)
    search = EntrySearch(ROOT, embedder)
    ranks = []
    for number, query in enumerate(queries):
        hits = [hit.entry_id for hit in search.search(query, language="en", limit=len(entries))]
        wanted = entries[truth[number]].id
        ranks.append(hits.index(wanted) + 1 if wanted in hits else len(entries) + 1)
    ranked = np.array(ranks)
    print(
        f"as shipped (EntrySearch.search): top1 {np.mean(ranked == 1):.1%} "
        f"top3 {np.mean(ranked <= 3):.1%} top8 {np.mean(ranked <= 8):.1%} "
        f"not shown {np.mean(ranked > len(entries)):.1%}"
    )

    right = meaning["queries"][np.arange(len(truth)), truth]
    others = meaning["queries"].copy()
    others[np.arange(len(truth)), truth] = -1
    print(
        "meaning (queries) similarity of the right entry: "
        f"p10 {np.percentile(right, 10):.3f} p50 {np.median(right):.3f}; "
        f"best wrong entry p50 {np.median(others.max(axis=1)):.3f} "
        f"p90 {np.percentile(others.max(axis=1), 90):.3f}"
    )


if __name__ == "__main__":
    main()
