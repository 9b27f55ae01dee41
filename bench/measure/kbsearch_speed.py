"""Speed of the staff's entry search (bot/faq/search.py): building its index without and with
the cache in var/cache/, and the time of one search (the held-out questions, uk/en/nl/ru).

    .venvs/app/bin/python -m bench.measure.kbsearch_speed          # uses the cache if there
    .venvs/app/bin/python -m bench.measure.kbsearch_speed --cold   # deletes it first
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from bot.faq.search import EntrySearch
from bot.semantics.embedder import shared_embedder

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "var" / "cache"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cold", action="store_true", help="delete the cached index first")
    args = parser.parse_args()
    if args.cold:
        for old in CACHE.glob("kbsearch-*.npy"):
            old.unlink()
    embedder = shared_embedder()
    embedder.queries(["warm-up"])  # the model's own load is not the index's
    started = time.perf_counter()
    first = EntrySearch(ROOT, embedder, cache_dir=CACHE).index()
    print(
        f"index built in {time.perf_counter() - started:.2f} s "
        f"({len(first.entries)} entries, {len(first.vectors)} questions, "
        f"{len(first.documents)} documents; from cache: {first.from_cache})"
    )
    search = EntrySearch(ROOT, embedder, cache_dir=CACHE)
    started = time.perf_counter()
    again = search.index()
    print(
        f"index in a new process (cache): {time.perf_counter() - started:.2f} s "
        f"(from cache: {again.from_cache})"
    )
    questions = [
        question
        for entry in again.entries
        for language in ("uk", "en", "nl", "ru")
        for question in getattr(entry.heldout, language)
    ]
    timings = []
    for number, question in enumerate(questions):
        started = time.perf_counter()
        search.search(question, language=("nl", "en", "uk")[number % 3])
        timings.append(time.perf_counter() - started)
    ms = np.array(timings) * 1000
    print(
        f"search: {len(ms)} queries, p50 {np.percentile(ms, 50):.1f} ms, "
        f"p95 {np.percentile(ms, 95):.1f} ms, max {ms.max():.1f} ms"
    )


if __name__ == "__main__":
    main()
