"""How well the editors' groups of missed questions (bot/insights/clustering.py) hold
together, on the development set's real questions (bench/devset/questions.yml; questions
expected to be answered by no entry or by the crisis reply are left out: they share no
subject).

    .venvs/app/bin/python -m bench.measure.missed_groups

For each threshold: purity (of the questions in groups of two or more, the share whose
expected entry is their group's most common one; topic: the same for its topic), pair
precision and recall (two questions in one group / with one expected entry), groups, and
questions left alone.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.devset import load_devset
from bot.escalation.similar import question_features
from bot.faq.search import EntrySearch
from bot.insights.clustering import GROUP_THRESHOLD, GROUP_THRESHOLD_RAW, group_rows
from bot.semantics.embedder import shared_embedder

ROOT = Path(__file__).resolve().parents[2]
THRESHOLDS = {"index": np.arange(0.30, 0.71, 0.05), "raw": np.arange(0.84, 0.941, 0.01)}


@dataclass(frozen=True)
class Quality:
    threshold: float
    purity: float
    topic_purity: float
    precision: float
    recall: float
    groups: int
    alone: int
    mixed: float  # share of the groups of two or more with more than one language


def _purity(grouped: list[list[int]], labels: list[str]) -> float:
    in_groups = sum(len(members) for members in grouped)
    majority = sum(
        Counter(labels[row] for row in members).most_common(1)[0][1] for members in grouped
    )
    return majority / in_groups if in_groups else 1.0


def quality(
    groups: list[list[int]],
    expected: list[str],
    topics: list[str],
    languages: Sequence[str],
    threshold: float,
) -> Quality:
    grouped = [members for members in groups if len(members) > 1]
    mixed = sum(1 for members in grouped if len({languages[row] for row in members}) > 1)
    together = {
        (a, b) for members in grouped for a in members for b in members if a < b
    }  # fmt: skip
    same = {
        (a, b)
        for a in range(len(expected))
        for b in range(a + 1, len(expected))
        if expected[a] == expected[b]
    }
    right = len(together & same)
    return Quality(
        threshold=round(float(threshold), 2),
        purity=_purity(grouped, expected),
        topic_purity=_purity(grouped, topics),
        precision=right / len(together) if together else 1.0,
        recall=right / len(same) if same else 1.0,
        groups=len(grouped),
        alone=len(groups) - len(grouped),
        mixed=mixed / len(grouped) if grouped else 0.0,
    )


def main() -> None:
    questions = [q for q in load_devset() if q.is_answerable]
    texts = [q.text for q in questions]
    languages = ["uk" if q.language == "ru" else q.language for q in questions]
    expected = [q.expected for q in questions]
    embedder = shared_embedder()
    vectors = embedder.queries(texts)
    index = EntrySearch(ROOT, embedder, cache_dir=ROOT / "var" / "cache").index()
    topic_of = {entry.id: entry.topic for entry in index.entries}
    topics = [topic_of.get(entry, entry) for entry in expected]
    print(
        f"{len(questions)} answerable questions, {len(set(expected))} expected entries, "
        f"languages {dict(Counter(languages))}"
    )
    for name, chosen in (("index", GROUP_THRESHOLD), ("raw", GROUP_THRESHOLD_RAW)):
        features = question_features(vectors, languages, index if name == "index" else None)
        print(f"\n{name} (chosen {chosen}):")
        print("threshold  purity  topic  precision  recall  groups  alone  mixed")
        for value in THRESHOLDS[name]:
            threshold = float(value)
            made = quality(group_rows(features, threshold), expected, topics, languages, threshold)
            mark = " <" if abs(made.threshold - chosen) < 1e-6 else ""
            print(
                f"{made.threshold:9.2f}  {made.purity:6.1%}  {made.topic_purity:5.0%}  "
                f"{made.precision:9.1%}  {made.recall:6.1%}  {made.groups:6d}  "
                f"{made.alone:5d}  {made.mixed:5.0%}{mark}"
            )
    many = np.repeat(vectors, 2000 // len(vectors) + 1, axis=0)[:2000]
    many = many + np.random.default_rng(0).normal(0, 0.01, many.shape).astype(np.float32)
    started = time.perf_counter()
    features = question_features(many, (languages * 10)[:2000], index)
    grouped = group_rows(features, GROUP_THRESHOLD)
    print(f"\n2,000 questions grouped in {time.perf_counter() - started:.2f} s ({len(grouped)})")


if __name__ == "__main__":
    main()
