"""Tunes the thresholds of bot/escalation/similar.py on labelled newcomer questions in uk, en,
nl and ru (tests/bot/escalation/similar_cases.yml): precision and recall over every pair of
questions (a pair is right when both ask the same thing).

    .venvs/app/bin/python -m bench.measure.similar_tickets

Also a check against tuning on the test: the groups are split in two at random, the threshold
is chosen on one half (best F1) and measured on the other, three times each way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from bot.escalation.similar import SAME_QUESTION, SAME_QUESTION_RAW, same_question_scores
from bot.faq.search import EntryIndex, EntrySearch
from bot.semantics.embedder import Vectors, shared_embedder

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "bot" / "escalation" / "similar_cases.yml"
THRESHOLDS = {"index": np.arange(0.20, 0.61, 0.02), "raw": np.arange(0.80, 0.951, 0.01)}


@dataclass(frozen=True)
class Labelled:
    texts: list[str]
    languages: list[str]  # the ticket's language: ru questions are uk tickets
    groups: list[str]


def labelled() -> Labelled:
    raw: dict[str, list[dict[str, str]]] = yaml.safe_load(CASES.read_text(encoding="utf-8"))[
        "groups"
    ]
    texts, languages, groups = [], [], []
    for group, items in raw.items():
        for item in items:
            ((language, text),) = item.items()
            texts.append(text)
            languages.append("uk" if language == "ru" else language)
            groups.append(group)
    return Labelled(texts, languages, groups)


def pair_matrix(
    vectors: Vectors, languages: list[str], index: EntryIndex | None
) -> npt.NDArray[Any]:
    """Score of every pair (i, j), i < j, as similar_waiting computes it for ticket i."""
    count = len(languages)
    matrix = np.full((count, count), np.nan)
    for i in range(count - 1):
        rows = [i, *range(i + 1, count)]
        matrix[i, i + 1 :] = same_question_scores(
            vectors[rows], [languages[r] for r in rows], index
        )
    return matrix


def measure(
    matrix: npt.NDArray[Any], groups: list[str], members: list[int], threshold: float
) -> tuple[float, float, float]:
    found = same = true = 0
    for a, i in enumerate(members):
        for j in members[a + 1 :]:
            hit, right = bool(matrix[i, j] >= threshold), groups[i] == groups[j]
            found += hit
            same += right
            true += hit and right
    precision = true / found if found else 1.0
    recall = true / same if same else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main() -> None:
    cases = labelled()
    embedder = shared_embedder()
    started = time.perf_counter()
    index = EntrySearch(ROOT, embedder).index()
    print(
        f"knowledge-base index: {time.perf_counter() - started:.1f} s (cached: {index.from_cache})"
    )
    vectors = embedder.queries(cases.texts)
    everyone = list(range(len(cases.texts)))
    pairs = len(everyone) * (len(everyone) - 1) // 2
    print(f"{len(cases.texts)} questions in {len(set(cases.groups))} groups, {pairs} pairs")
    for name, used, current in (
        ("index", index, SAME_QUESTION),
        ("raw", None, SAME_QUESTION_RAW),
    ):
        matrix = pair_matrix(vectors, cases.languages, used)
        print(f"\n{name}: | threshold | precision | recall | F1 |")
        for threshold in THRESHOLDS[name]:
            p, r, f = measure(matrix, cases.groups, everyone, float(threshold))
            mark = " (current)" if abs(threshold - current) < 1e-6 else ""
            print(f"| {threshold:.2f}{mark} | {p:.1%} | {r:.1%} | {f:.3f} |")
        rng = np.random.default_rng(7)
        names = sorted(set(cases.groups))
        held: list[tuple[float, float, float]] = []
        for _ in range(3):
            shuffled = list(rng.permutation(names))
            half = set(shuffled[: len(names) // 2])
            for train in (half, set(names) - half):
                tune = [i for i in everyone if cases.groups[i] in train]
                test = [i for i in everyone if cases.groups[i] not in train]
                best = max(
                    THRESHOLDS[name],
                    key=lambda t: measure(matrix, cases.groups, tune, float(t))[2],
                )
                held.append(measure(matrix, cases.groups, test, float(best)))
        p, r, f = (float(np.mean([h[k] for h in held])) for k in range(3))
        print(
            f"{name}: tuned on half the groups, measured on the other: "
            f"P {p:.1%} R {r:.1%} F1 {f:.3f}"
        )


if __name__ == "__main__":
    main()
