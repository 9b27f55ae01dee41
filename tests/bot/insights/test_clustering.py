"""The grouping of missed questions: deterministic, biggest first, and a chain of look-alikes
does not merge two subjects (bot/insights/clustering.py)."""

from __future__ import annotations

import numpy as np

from bot.insights.clustering import group_rows


def unit(*rows: list[float]) -> np.ndarray:
    matrix = np.asarray(rows, dtype=np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_groups_are_biggest_first_and_the_same_every_time() -> None:
    features = unit(
        [1, 0, 0], [0.95, 0.05, 0], [0, 1, 0], [0.9, 0.1, 0], [0, 0.97, 0.03], [0, 0, 1]
    )
    first = group_rows(features, 0.9)
    assert first == [[0, 1, 3], [2, 4], [5]]
    assert group_rows(features, 0.9) == first
    assert group_rows(features[:0], 0.9) == []


def test_a_chain_does_not_merge_two_subjects() -> None:
    # a .. e lie on an arc: each close to its neighbour, the ends far apart
    angles = np.radians([0, 20, 40, 60, 80])
    features = unit(*[[float(np.cos(a)), float(np.sin(a)), 0.0] for a in angles])
    groups = group_rows(features, float(np.cos(np.radians(25))))
    assert len(groups) > 1
    assert all(not (0 in members and 4 in members) for members in groups)
