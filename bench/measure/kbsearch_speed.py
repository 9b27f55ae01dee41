"""Speed of the staff's entry search (bot/faq/search.py): building its index without and with
the cache in var/cache/, the time of one search (the held-out questions, uk/en/nl/ru), and of
similar_waiting (bot/escalation/similar.py) over a queue of 300 waiting tickets on SQLite.

    .venvs/app/bin/python -m bench.measure.kbsearch_speed          # uses the cache if there
    .venvs/app/bin/python -m bench.measure.kbsearch_speed --cold   # deletes it first
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.measure.similar_tickets import labelled
from bot.db.migrate import migrate
from bot.db.session import make_engine, make_sessionmaker
from bot.escalation import similar, tickets
from bot.escalation.tickets import ExcerptLine
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

    asyncio.run(time_similar(search))


async def time_similar(search: EntrySearch, *, queue: int = 300) -> None:
    cases = labelled()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        migrate(url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        async with sessions.begin() as session:
            made = []
            for number in range(queue):
                text = cases.texts[number % len(cases.texts)]
                question = text if number < len(cases.texts) else f"{text} ({number})"
                made.append(
                    await tickets.create_ticket(
                        session,
                        conversation_id=f"bench-{number}",
                        channel="web",
                        language=cases.languages[number % len(cases.texts)],
                        question=question,
                        excerpt=[ExcerptLine("newcomer", question)],
                    )
                )
        timings = []
        async with sessions() as session:
            for ticket in made[:20]:
                started = time.perf_counter()
                await similar.similar_waiting(session, ticket, shared_embedder(), search=search)
                timings.append(time.perf_counter() - started)
        await engine.dispose()
    ms = np.array(timings) * 1000
    print(
        f"similar_waiting over {queue} waiting tickets: first call {ms[0]:.0f} ms "
        f"(embeds the {queue} questions), then p50 {np.percentile(ms[1:], 50):.1f} ms, "
        f"max {ms[1:].max():.1f} ms"
    )


if __name__ == "__main__":
    main()
